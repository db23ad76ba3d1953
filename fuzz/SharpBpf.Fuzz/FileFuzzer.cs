using System.Buffers.Binary;
using System.Reflection;

namespace SharpBpf.Fuzz;

/// <summary>
/// Mutates seed objects (and raw BTF), aiming most mutations at .BTF, .BTF.ext and the ELF headers, and runs every CLI
/// command that reads a file over each mutant, in-process. A command may refuse its input (exit 1, one line); exit code
/// 70 (the CLI's internal error) or an exception escaping the CLI is a finding.
/// </summary>
internal static class FileFuzzer
{
    private static readonly uint[] InterestingWords =
        [0, 1, 2, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0x1000, 0x7fff, 0xffff, 0x10000, 22_000, 1 << 20, 1 << 24, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff];

    public static int RunWorker(int seed, long start, long count, string[] seedFiles)
    {
        var seeds = seedFiles.Select(File.ReadAllBytes).ToArray();
        var cli = Assembly.Load("sharpbpf").EntryPoint ?? throw new InvalidOperationException("the sharpbpf CLI has no entry point");
        var dir = Directory.CreateTempSubdirectory("sharpbpf-fuzz-");
        string file = Path.Combine(dir.FullName, "mutant.o"), packet = Path.Combine(dir.FullName, "packet.bin");
        File.WriteAllBytes(packet, new byte[64]);
        string[][] commands =
        [
            ["objdump", "-dr", file], ["objdump", "-h", "-s", "-t", file], ["object", "show", file], ["object", "show", file, "--json"],
            ["btf", "dump", "file", file], ["btf", "dump", "file", file, "format", "c"], ["btf", "dump", "file", file, "-j"],
            ["gen", "skeleton", file], ["prog", "run", file, "--data-in", packet, "--json"],
        ];
        try
        {
            using var protocol = new WorkerProtocol();
            var errors = new StringWriter();
            for (long n = start; n < start + count; n++)
            {
                protocol.Begin(n);
                var rng = new Random(HashCode.Combine(seed, n, 13));
                File.WriteAllBytes(file, Mutate(seeds[rng.Next(seeds.Length)], rng));
                foreach (var command in commands)
                {
                    errors.GetStringBuilder().Clear();
                    Console.SetError(errors);
                    try
                    {
                        if (cli.Invoke(null, [command]) is 70)
                            protocol.Finding(n, "exception", $"{string.Join(' ', command[..^1])}: {errors.ToString().Trim()}");
                    }
                    catch (TargetInvocationException e)
                    {
                        protocol.Finding(n, "exception", $"{string.Join(' ', command[..^1])}: {e.InnerException?.GetType().Name}: {e.InnerException?.Message}");
                    }
                    finally
                    {
                        Console.SetError(TextWriter.Null);
                    }
                }
                protocol.End(n);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
        return 0;
    }

    /// <summary>1–8 mutations, most of them inside .BTF, .BTF.ext or the ELF and section headers.</summary>
    public static byte[] Mutate(byte[] seed, Random rng)
    {
        var data = (byte[])seed.Clone();
        var regions = Regions(data);
        for (int m = rng.Next(1, 9); m > 0 && data.Length > 0; m--)
        {
            var (start, length) = regions.Count > 0 && rng.Next(5) != 0 ? regions[rng.Next(regions.Count)] : (0, data.Length);
            int at = start + rng.Next(Math.Max(length, 1));
            if (at >= data.Length)
                continue;
            switch (rng.Next(10))
            {
                case 0 or 1: data[at] ^= (byte)(1 << rng.Next(8)); break;
                case 2: data[at] = (byte)rng.Next(256); break;
                case 3 or 4 or 5:
                    if (at + 4 <= data.Length)
                        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan((at & ~3) + 4 <= data.Length ? at & ~3 : at), InterestingWords[rng.Next(InterestingWords.Length)]);
                    break;
                case 6:
                    if (at + 2 <= data.Length)
                        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(at), (ushort)InterestingWords[rng.Next(InterestingWords.Length)]);
                    break;
                case 7:
                {
                    int from = rng.Next(data.Length), n = Math.Min(rng.Next(1, 64), Math.Min(data.Length - from, data.Length - at));
                    Array.Copy(data, from, data, at, n);
                    break;
                }
                case 8:
                    if (rng.Next(4) == 0)
                        data = data[..at];
                    break;
                default:
                    data[at] = (byte)(data[at] + rng.Next(-2, 3));
                    break;
            }
        }
        return data;
    }

    /// <summary>Where the interesting bytes are: the ELF header, the section header table, .BTF and .BTF.ext (raw BTF: all).</summary>
    private static List<(int Start, int Length)> Regions(byte[] d)
    {
        var regions = new List<(int, int)>();
        if (d.Length < 64 || d[0] != 0x7f || d[1] != 'E' || d[4] != 2)
            return regions;
        regions.Add((0, 64));
        long shoff = BinaryPrimitives.ReadInt64LittleEndian(d.AsSpan(0x28));
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(d.AsSpan(0x3a)), shnum = BinaryPrimitives.ReadUInt16LittleEndian(d.AsSpan(0x3c));
        int shstrndx = BinaryPrimitives.ReadUInt16LittleEndian(d.AsSpan(0x3e));
        if (shentsize != 64 || shoff <= 0 || shoff + (long)shnum * 64 > d.Length || shstrndx >= shnum)
            return regions;
        regions.Add(((int)shoff, shnum * 64));
        (long Offset, long Size, uint Name) Header(int i)
        {
            var h = d.AsSpan((int)shoff + i * 64);
            return (BinaryPrimitives.ReadInt64LittleEndian(h[0x18..]), BinaryPrimitives.ReadInt64LittleEndian(h[0x20..]), BinaryPrimitives.ReadUInt32LittleEndian(h));
        }
        var strings = Header(shstrndx);
        for (int i = 0; i < shnum; i++)
        {
            var (offset, size, name) = Header(i);
            long at = strings.Offset + name;
            if (offset < 0 || size <= 0 || offset + size > d.Length || at < 0 || at + 9 > d.Length)
                continue;
            var text = System.Text.Encoding.ASCII.GetString(d, (int)at, (int)Math.Min(9, d.Length - at));
            if (text.StartsWith(".BTF\0", StringComparison.Ordinal) || text.StartsWith(".BTF.ext\0", StringComparison.Ordinal))
                regions.Add(((int)offset, (int)size));
        }
        return regions;
    }
}
