using System.CommandLine;
using SharpBpf.Cbpf;
using SharpBpf.Packets;
using SharpBpf.PcapFilter;

namespace SharpBpf.Cli;

/// <summary>
/// <c>sharpbpf filter [-d|-dd|-ddd] [-O] [-y LINKTYPE] [-r FILE [-w OUT] [--count]] EXPRESSION...</c>: compile a
/// pcap-filter expression as tcpdump does and print it, or run it over a capture. Program.cs dispatches here
/// directly, so a whole-process run starts fast.
/// </summary>
internal static class FilterCommand
{
    public const string Name = "filter";

    private const string Usage =
        "usage: sharpbpf filter [-d | -dd | -ddd] [-O] [-y EN10MB|RAW|LINUX_SLL] [-r FILE [-w OUT] [--count]] EXPRESSION...\n" +
        "  -d, -dd, -ddd  print the compiled classic BPF as tcpdump -d, -dd, -ddd\n" +
        "  -O             do not optimise (tcpdump -O)\n" +
        "  -y LINKTYPE    link type to compile for (default EN10MB, or the capture's with -r)\n" +
        "  -r FILE        filter a pcap or pcapng capture; prints one line per matching packet\n" +
        "  -w OUT         write the matching packets to OUT (pcap)\n" +
        "  --count        print only the number of matching packets\n" +
        "  --time N       time the filter alone over the capture in memory, N passes (prints matches and ns/packet)";

    public static Command Create()
    {
        var command = new Command(Name, "Compile a pcap-filter expression to classic BPF as tcpdump -d does, or filter a capture with it (-r FILE [-w OUT] [--count]).");
        var tokens = new Argument<string[]>("args") { Arity = ArgumentArity.ZeroOrMore, Description = "options and the filter expression" };
        command.Arguments.Add(tokens);
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(parse => Run([.. parse.GetValue(tokens) ?? [], .. parse.UnmatchedTokens]));
        return command;
    }

    public static int Run(string[] args)
    {
        if (args is [] or ["--help"] or ["-h"])
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        try
        {
            return Execute(args);
        }
        catch (PcapFilterException e)
        {
            Console.Out.Flush();
            Console.Error.WriteLine($"sharpbpf: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is BpfException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            Console.Out.Flush();
            Console.Error.WriteLine($"sharpbpf: {e.Message}");
            return 1;
        }
    }

    private static int Execute(string[] args)
    {
        var dump = 0;
        var optimize = true;
        var count = false;
        var timeRounds = 0;
        string? linkTypeName = null, input = null, output = null;
        var words = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"option {args[i]} needs a value");
            switch (args[i])
            {
                case "-d": dump = Math.Max(dump, 1); break;
                case "-dd": dump = Math.Max(dump, 2); break;
                case "-ddd": dump = 3; break;
                case "-O": optimize = false; break;
                case "--count": count = true; break;
                case "-y": linkTypeName = Value(); break;
                case "--time": timeRounds = int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture); break;
                case "-r": input = Value(); break;
                case "-w": output = Value(); break;
                default: words.Add(args[i]); break;
            }
        }
        var expression = string.Join(' ', words);
        if (input is null)
        {
            if (dump == 0)
                throw new ArgumentException("nothing to do: give -d/-dd/-ddd to print the program, or -r FILE to filter a capture");
            var linkType = linkTypeName is null ? LinkTypes.Ethernet : PcapFilterCompiler.LinkTypeFromName(linkTypeName);
            Print(PcapFilterCompiler.Compile(expression, linkType, optimize), dump);
            return 0;
        }
        if (timeRounds > 0)
            return Time(input, expression, linkTypeName, optimize, timeRounds);
        return FilterCapture(input, output, expression, linkTypeName, optimize, count, dump);
    }

    private static void Print(IReadOnlyList<CbpfInstruction> program, int dump) =>
        Console.Out.Write(dump switch { 1 => CbpfText.Listing(program), 2 => CbpfText.CArray(program), _ => CbpfText.Decimal(program) });

    /// <summary>
    /// --time N (for bench/pcap-filter): the filter alone over the capture held in memory, N passes; prints the
    /// matches and the median nanoseconds per packet, as bench/pcap-filter/offline_filter.c does for libpcap.
    /// </summary>
    private static int Time(string input, string expression, string? linkTypeName, bool optimize, int rounds)
    {
        var packets = PcapReader.Read(input).ToList();
        var linkType = linkTypeName is null ? packets.FirstOrDefault()?.LinkType ?? LinkTypes.Ethernet : PcapFilterCompiler.LinkTypeFromName(linkTypeName);
        var filter = new CbpfFilter(PcapFilterCompiler.Compile(expression, linkType, optimize));
        var times = new double[rounds];
        long matches = 0;
        for (var r = 0; r < rounds; r++)
        {
            matches = 0;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            foreach (var packet in packets)
                if (filter.Matches(packet.Data, (uint)packet.OriginalLength))
                    matches++;
            times[r] = clock.Elapsed.TotalNanoseconds / Math.Max(1, packets.Count);
        }
        Array.Sort(times);
        Console.WriteLine(FormattableString.Invariant($"{matches} {times[rounds / 2]:F2}"));
        return 0;
    }

    private static int FilterCapture(string input, string? output, string expression, string? linkTypeName, bool optimize, bool count, int dump)
    {
        CbpfFilter? filter = null;
        PcapWriter? writer = null;
        FileStream? file = null;
        long matched = 0, index = 0;
        var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16) { AutoFlush = false };
        using var packets = CaptureCursor.Open(input);
        try
        {
            while (packets.MoveNext())
            {
                index++;
                if (filter is null)
                {
                    var linkType = linkTypeName is null ? packets.LinkType : PcapFilterCompiler.LinkTypeFromName(linkTypeName);
                    filter = new CbpfFilter(PcapFilterCompiler.Compile(expression, linkType, optimize));
                    if (dump > 0)
                    {
                        Print(filter.Program, dump);
                        return 0;
                    }
                    if (output is not null)
                    {
                        file = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
                        writer = new PcapWriter(file, linkType, leaveOpen: true);
                    }
                }
                if (!filter.Matches(packets.Data, (uint)packets.OriginalLength))
                    continue;
                matched++;
                if (writer is not null)
                    writer.Write(packets.Current);
                else if (!count)
                {
                    var packet = packets.Current;
                    stdout.WriteLine($"{index} {packet.Timestamp.UtcDateTime:yyyy-MM-dd HH:mm:ss.ffffff} length {packet.OriginalLength}");
                }
            }
            if (filter is null)
                PcapFilterCompiler.Compile(expression, linkTypeName is null ? LinkTypes.Ethernet : PcapFilterCompiler.LinkTypeFromName(linkTypeName), optimize);
            if (count)
                stdout.WriteLine(matched);
            return 0;
        }
        finally
        {
            stdout.Flush();
            writer?.Dispose();
            file?.Dispose();
        }
    }
}
