using SharpBpf;
using System.Text;
using System.Text.RegularExpressions;
using SharpBpf.Isa;
using SharpBpf.Maps;
using SharpBpf.Objects;
using SharpBpf.Vm;
using SharpBpf.Vm.Maps;

namespace SharpBpf.Fuzz;

/// <summary>
/// Runs each random program three times in fresh engines: twice interpreted, once compiled. What the two interpreted runs
/// disagree on depends on host addresses or time (a pointer in r0, ktime) and is masked; any other difference between the
/// interpreter and the JIT is a disagreement. An exception that is not the library's own is a finding too.
/// </summary>
internal static partial class ProgramFuzzer
{
    public static int RunWorker(int seed, long start, long count)
    {
        using var protocol = new WorkerProtocol();
        for (long n = start; n < start + count; n++)
        {
            protocol.Begin(n);
            var (program, type, budget) = Case(seed, n);
            var (disagreement, unexpected) = Compare(program, type, budget);
            foreach (var e in unexpected)
                protocol.Finding(n, "exception", e);
            // What two interpreted runs share can still depend on host addresses by chance (a pointer's low bits), so a
            // disagreement counts only when it comes back on fresh engines: a real one does, every time.
            for (int retry = 0; retry < 2 && disagreement is not null; retry++)
                disagreement = Compare(program, type, budget).Disagreement;
            if (disagreement is not null)
                protocol.Finding(n, "disagreement", disagreement);
            protocol.End(n);
        }
        return 0;
    }

    /// <summary>Two interpreted runs and a compiled one: what the JIT did differently, and exceptions not the library's own.</summary>
    private static (string? Disagreement, List<string> Unexpected) Compare(Instruction[] program, BpfProgramType type, long budget)
    {
        // The engines stay alive together so that their stacks and maps are at different addresses (a freed stack is
        // often reused by the next engine, which would hide a host address from the mask).
        var alive = new List<VmEngine>();
        var first = Run(program, type, budget, jit: false, alive);
        var second = Run(program, type, budget, jit: false, alive);
        var compiled = Run(program, type, budget, jit: true, alive);
        alive.ForEach(e => e.Dispose());
        var unexpected = new[] { first, compiled }.Select(o => o.Unexpected).OfType<string>().ToList();
        return (Disagreement(first, second, compiled), unexpected);
    }

    /// <summary>How cases end (interpreted), by kind: to see what a seed exercises. Prints one line per kind.</summary>
    public static int PrintOutcomes(int seed, long start, long count)
    {
        var kinds = new Dictionary<string, int>();
        for (long n = start; n < start + count; n++)
        {
            var (program, type, budget) = Case(seed, n);
            var alive = new List<VmEngine>();
            string status = Encoding.UTF8.GetString(Run(program, type, budget, jit: false, alive).Fields.GetValueOrDefault("status") ?? []);
            string kind = Regex.Replace(status, @"(at )?\d+", "").Trim();
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
            alive.ForEach(e => e.Dispose());
        }
        foreach (var (kind, times) in kinds.OrderByDescending(k => k.Value))
            Console.WriteLine($"{times,6}  {kind}");
        return 0;
    }

    /// <summary>Case <paramref name="n"/> of a seeded run: the same program on every machine.</summary>
    public static (Instruction[] Program, BpfProgramType Type, long Budget) Case(int seed, long n)
    {
        var rng = new Random(HashCode.Combine(seed, n));
        var type = rng.Next(8) switch { 0 => BpfProgramType.Xdp, 1 => BpfProgramType.SocketFilter, _ => BpfProgramType.Unspec };
        long budget = rng.Next(20) == 0 ? VmOptions.DefaultInstructionBudget : 200_000;
        return (new ProgramGenerator(rng).Generate(), type, budget);
    }

    private sealed class Outcome
    {
        public readonly Dictionary<string, byte[]> Fields = [];
        public string? Unexpected;

        public void Add(string name, string text) => Fields[name] = Encoding.UTF8.GetBytes(Address().Replace(text, "?"));
    }

    /// <summary>Numbers that may be host addresses in messages: hex, and decimals of ten digits or more.</summary>
    [GeneratedRegex("0x[0-9a-f]+|[0-9]{10,}")]
    private static partial Regex Address();

    private static Outcome Run(Instruction[] program, BpfProgramType type, long budget, bool jit, List<VmEngine> alive)
    {
        var outcome = new Outcome();
        var trace = new StringBuilder();
        try
        {
            var engine = new VmEngine(new VmOptions
            {
                UseJit = jit, InstructionBudget = budget, RandomSeed = 1, CpuCount = 2, TraceSink = l => trace.AppendLine(l),
                VerifyBeforeLoad = false, // random programs exercise the runtime checks, which the verifier would mostly keep them from reaching
            });
            alive.Add(engine);
            var ring = engine.CreateMap(new MapSpec { Name = "ring", Type = BpfMapType.Ringbuf, MaxEntries = 4096 });
            var array = engine.CreateMap(new MapSpec { Name = "array", Type = BpfMapType.Array, KeySize = 4, ValueSize = 256, MaxEntries = 1 });
            var hash = engine.CreateMap(new MapSpec { Name = "hash", Type = BpfMapType.Hash, KeySize = 4, ValueSize = 16, MaxEntries = 16 });
            var jump = engine.CreateMap(new MapSpec { Name = "jump", Type = BpfMapType.ProgArray, KeySize = 4, ValueSize = 4, MaxEntries = 4 });
            var queue = engine.CreateMap(new MapSpec { Name = "queue", Type = BpfMapType.Queue, ValueSize = 16, MaxEntries = 8 });
            var same = engine.LoadProgram([new Instruction(0xb7, 0, 0, 0, 11), new Instruction(0x95, 0, 0, 0, 0)], type, "same");
            var other = engine.LoadProgram([new Instruction(0xbf, 0, 1, 0, 0), new Instruction(0x95, 0, 0, 0, 0)],
                type == BpfProgramType.SocketFilter ? BpfProgramType.Xdp : BpfProgramType.SocketFilter, "other");
            jump.Update(BitConverter.GetBytes(0), BitConverter.GetBytes(same.Id));
            jump.Update(BitConverter.GetBytes(1), BitConverter.GetBytes(other.Id));
            var main = engine.LoadProgram(program, type, "fuzz");
            var data = new byte[64];
            for (int i = 0; i < data.Length; i++)
                data[i] = (byte)(i * 7);
            try
            {
                var result = main.Run(new RunInput { Data = data });
                outcome.Add("status", "ok");
                outcome.Fields["r0"] = BitConverter.GetBytes(result.ReturnValue);
                outcome.Fields["data"] = result.DataOut;
            }
            catch (VmFault fault)
            {
                outcome.Add("status", $"fault at {fault.Pc}: {fault.Reason}");
            }
            outcome.Fields["array"] = Contents(array);
            outcome.Fields["hash"] = Contents(hash);
            var records = new MemoryStream();
            using (var reader = new VmRingBufferReader((IVmRingBuffer)ring))
            {
                var record = new byte[((IVmRingBuffer)ring).MaxEntries];
                while (reader.TryRead(record, out var read))
                    records.Write(record, 0, read.Length);
            }
            outcome.Fields["ring"] = records.ToArray();
            outcome.Fields["queue"] = Contents(queue);
            outcome.Add("trace", trace.ToString());
        }
        catch (VmLoadException e)
        {
            outcome.Add("status", "load: " + e.Message);
        }
        catch (Exception e) when (e is not BpfException)
        {
            outcome.Unexpected = $"{(jit ? "jit" : "interpreter")}: {e.GetType().Name}: {e.Message} {e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}";
        }
        catch (BpfException e)
        {
            outcome.Add("status", $"{e.GetType().Name}: {e.Message}");
        }
        return outcome;
    }

    /// <summary>Every entry's key and value, in key order (queues: popped in order).</summary>
    private static byte[] Contents(IVmMap map)
    {
        var all = new MemoryStream();
        var value = new byte[map.ValueSize * 2];
        if (map.KeySize == 0)
        {
            while (map.TryLookupAndDelete([], value.AsSpan(0, map.ValueSize)))
                all.Write(value.AsSpan(0, map.ValueSize));
            return all.ToArray();
        }
        var keys = new List<byte[]>();
        var key = new byte[map.KeySize];
        byte[] previous = [];
        while (map.TryGetNextKey(previous, key) && keys.Count < 1024)
        {
            keys.Add((byte[])key.Clone());
            previous = keys[^1];
        }
        foreach (var k in keys.OrderBy(k => Convert.ToHexString(k)))
        {
            all.Write(k);
            if (map.TryLookup(k, value.AsSpan(0, map.ValueSize)))
                all.Write(value.AsSpan(0, map.ValueSize));
        }
        return all.ToArray();
    }

    /// <summary>What the JIT run did differently from the interpreter, ignoring what two interpreted runs already differ on.</summary>
    private static string? Disagreement(Outcome a, Outcome b, Outcome jit)
    {
        if (a.Unexpected is not null || jit.Unexpected is not null)
            return null; // reported as exceptions
        foreach (var (name, x) in a.Fields)
        {
            if (!b.Fields.TryGetValue(name, out var y) || x.Length != y.Length)
                continue; // varies from run to run in length (or absent): nothing to compare
            if (!jit.Fields.TryGetValue(name, out var z))
                return $"{name}: interpreted only";
            if (z.Length != x.Length)
                return $"{name}: {Show(x)} interpreted, {Show(z)} compiled";
            if (name is "status" or "trace" && !x.AsSpan().SequenceEqual(y))
                continue; // text that varies from run to run (a host address, in decimal or cut to 32 bits)
            for (int word = 0; word < x.Length; word += 8)
            {
                // A word that differs anywhere between the interpreted runs may hold an address: all its bytes are masked
                // (two allocations can share some bytes of their addresses by chance).
                var w = x.AsSpan(word, Math.Min(8, x.Length - word));
                if (w.SequenceEqual(y.AsSpan(word, w.Length)) && !w.SequenceEqual(z.AsSpan(word, w.Length)))
                    return $"{name}: {Show(x)} interpreted, {Show(z)} compiled";
            }
        }
        return jit.Fields.Keys.Except(a.Fields.Keys).FirstOrDefault() is { } extra ? $"{extra}: compiled only" : null;
    }

    private static string Show(byte[] bytes) =>
        bytes.All(c => c is >= 0x20 and < 0x7f) ? Encoding.ASCII.GetString(bytes) : Convert.ToHexString(bytes.AsSpan(0, Math.Min(bytes.Length, 64)));
}
