// syscall-counts: a live `strace -c` for the whole machine (or one process) from a raw tracepoint on sys_enter.
// The BPF program counts calls per (process, syscall) in a hash map and announces every process it sees for the first
// time through a ring buffer; this host names the processes, and every --interval seconds prints the top rows.
//
//   sudo dotnet SyscallCounts.dll [--duration SECONDS] [--interval SECONDS] [--pid PID] [--top N]
using System.Buffers.Binary;
using System.Text;
using SharpBpf;
using SharpBpf.Examples;
using SharpBpf.Linux;
using SharpBpf.Linux.Attach;
using SharpBpf.Linux.Events;
using SharpBpf.Maps;
using SharpBpf.Objects;
using SyscallCounts;

Options options;
try
{
    options = Options.Parse(args, "--duration", "--interval", "--pid", "--top");
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"syscall-counts: {e.Message}\nusage: syscall-counts [--duration SECONDS] [--interval SECONDS] [--pid PID] [--top N]");
    return 2;
}
if (!Privileges.Check("syscall-counts"))
    return 1;

var duration = TimeSpan.FromSeconds(options.Number("--duration", 0)); // 0: until Ctrl-C
var interval = TimeSpan.FromSeconds(Math.Max(0.1, options.Number("--interval", 1)));
int onlyPid = options.Integer("--pid", 0), top = options.Integer("--top", 15);
try
{
    var spec = ObjectSpec.Load(BpfSource.Compile("syscall_counts.bpf.c"));
    using var loaded = new KernelEngine().Load(spec);
    var config = new BpfMap<uint, uint>(loaded.Maps["config"]);
    config[0] = (uint)onlyPid;
    config[1] = (uint)Environment.ProcessId; // our own polling would top the table otherwise
    using var link = AutoAttach.Attach(loaded.Programs["count_syscalls"], spec.Programs.Single(p => p.Name == "count_syscalls"));
    Console.WriteLine($"counting system calls {(onlyPid != 0 ? $"of process {onlyPid}" : "of every process")} ({link.Description})" +
        $"{(duration > TimeSpan.Zero ? $" for {duration.TotalSeconds:0.#}s" : ", Ctrl-C to stop")}");

    using var stop = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
    if (duration > TimeSpan.Zero)
        stop.CancelAfter(duration);

    // New processes arrive through the ring buffer, read on the shared event thread; the table is printed from this one.
    var names = new Dictionary<uint, string>();
    using var ring = new RingBufferReader(loaded.Maps["processes"]);
    var reader = Task.Run(async () =>
    {
        try
        {
            await foreach (var process in ring.ReadAllAsync(stop.Token))
            {
                var record = process.Data.Span;
                uint pid = BinaryPrimitives.ReadUInt32LittleEndian(record);
                var first = BinaryPrimitives.ReadUInt32LittleEndian(record[4..]);
                var comm = Encoding.ASCII.GetString(record.Slice(8, 16)).TrimEnd('\0');
                lock (names)
                    names[pid] = comm;
                Console.WriteLine($"new process {pid} ({comm}), first syscall seen: {SyscallName(first)}");
            }
        }
        catch (OperationCanceledException)
        {
            // --duration elapsed or Ctrl-C
        }
    });

    var started = DateTime.UtcNow;
    while (!stop.Token.WaitHandle.WaitOne(interval))
        PrintTable(DateTime.UtcNow - started);
    await reader;
    PrintTable(DateTime.UtcNow - started);
    return 0;

    void PrintTable(TimeSpan elapsed)
    {
        var rows = new List<(uint Pid, uint Syscall, ulong Calls)>();
        foreach (var (key, value) in loaded.Maps["counts"].Entries())
            rows.Add((BinaryPrimitives.ReadUInt32LittleEndian(key), BinaryPrimitives.ReadUInt32LittleEndian(key.AsSpan(4)),
                BinaryPrimitives.ReadUInt64LittleEndian(value)));
        ulong total = rows.Aggregate(0UL, (sum, r) => sum + r.Calls);
        Console.WriteLine();
        Console.WriteLine($"after {elapsed.TotalSeconds:0.0}s: {total} calls, {rows.Select(r => r.Pid).Distinct().Count()} processes, {rows.Count} (process, syscall) pairs; top {top}:");
        Console.WriteLine($"  {"% calls",7} {"calls",10}  {"syscall",-22} {"pid",7}  comm");
        lock (names)
            foreach (var row in rows.OrderByDescending(r => r.Calls).Take(top))
                Console.WriteLine($"  {100.0 * row.Calls / total,7:0.00} {row.Calls,10}  {SyscallName(row.Syscall),-22} {row.Pid,7}  {names.GetValueOrDefault(row.Pid, "?")}");
    }
}
catch (Exception e) when (e is BpfException or IOException)
{
    Console.Error.WriteLine($"syscall-counts: {e.Message}");
    return 1;
}

static string SyscallName(uint id) => SyscallNames.X64.TryGetValue(id, out var name) ? name : $"syscall {id}";
