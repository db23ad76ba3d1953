// malloc-sizes: a uprobe on libc's malloc in one process, and a log2 histogram of the sizes it asks for (bpftrace's
// `uprobe:libc:malloc /pid == N/ { @bytes = hist(arg0); }`). Either watch a running process (--pid) or start a
// command and watch it from its first instruction (everything after --).
//
//   sudo dotnet MallocSizes.dll --pid PID [--duration SECONDS] [--interval SECONDS]
//   sudo dotnet MallocSizes.dll [--duration SECONDS] -- COMMAND [ARGS...]
using System.Buffers.Binary;
using System.Diagnostics;
using MallocSizes;
using SharpBpf;
using SharpBpf.Examples;
using SharpBpf.Linux;
using SharpBpf.Linux.Attach;
using SharpBpf.Maps;
using SharpBpf.Objects;

const string Usage = "usage: malloc-sizes --pid PID [--duration SECONDS] [--interval SECONDS]\n       malloc-sizes [--duration SECONDS] -- COMMAND [ARGS...]";
Options options;
try
{
    options = Options.Parse(args, "--pid", "--duration", "--interval");
    if ((options.Get("--pid") is null) == (options.Command.Length == 0) || options.Positional.Count > 0)
        throw new ArgumentException("give either --pid or a command after --");
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"malloc-sizes: {e.Message}\n{Usage}");
    return 2;
}
if (!Privileges.Check("malloc-sizes"))
    return 1;

var duration = TimeSpan.FromSeconds(options.Number("--duration", 0));
var interval = options.Get("--interval") is null ? (TimeSpan?)null : TimeSpan.FromSeconds(Math.Max(0.1, options.Number("--interval", 1)));
Process? child = null;
try
{
    var spec = ObjectSpec.Load(BpfSource.Compile("malloc_sizes.bpf.c"));
    using var loaded = new KernelEngine().Load(spec);
    int pid;
    string libc;
    if (options.Command.Length > 0)
    {
        // Start the command held at a `read` in a shell, so the probe is in place before it runs: the perf event follows
        // the process through exec.
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in new[] { "-c", "read go; exec \"$0\" \"$@\"" }.Concat(options.Command))
            psi.ArgumentList.Add(a);
        child = Process.Start(psi) ?? throw new IOException($"cannot start {options.Command[0]}");
        pid = child.Id;
        libc = LibraryResolver.Resolve("libc.so.6");
    }
    else
    {
        pid = options.Integer("--pid", 0);
        libc = MappedLibc(pid) ?? throw new BpfException($"process {pid} does not exist or has no libc mapped (is it statically linked?)");
    }

    using var link = Uprobe.Attach(loaded.Programs["count_malloc"].Fd, libc, "malloc", pid: pid);
    Console.WriteLine($"counting malloc() calls of {(child is null ? $"process {pid}" : $"`{string.Join(' ', options.Command)}` (pid {pid})")} ({link.Description})");

    var stop = new CancellationTokenSource(); // not disposed: the child's Exited event may still fire after Main returns
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
    if (duration > TimeSpan.Zero)
        stop.CancelAfter(duration);
    if (child is not null)
    {
        child.StandardInput.WriteLine("go");
        child.StandardInput.Close();
        child.EnableRaisingEvents = true;
        child.Exited += (_, _) => stop.Cancel();
        if (child.HasExited)
            stop.Cancel();
    }
    else
        MonitorExit(pid, stop);

    var started = DateTime.UtcNow;
    while (!stop.Token.WaitHandle.WaitOne(interval ?? Timeout.InfiniteTimeSpan))
        Print(DateTime.UtcNow - started);
    Print(DateTime.UtcNow - started);
    if (child is not null && !child.HasExited)
        child.Kill();
    return 0;

    void Print(TimeSpan elapsed)
    {
        var counts = Sum(loaded.Maps["histogram"]);
        var bytes = Sum(loaded.Maps["total_bytes"])[0];
        var calls = counts.Aggregate(0UL, (a, b) => a + b);
        Console.WriteLine();
        Console.WriteLine($"after {elapsed.TotalSeconds:0.0}s: {calls} calls, {bytes} bytes asked for{(calls > 0 ? $", {bytes / calls} on average" : "")}");
        Console.WriteLine("@bytes:");
        Console.Write(Histogram.Render(counts));
    }
}
catch (Exception e) when (e is BpfException or IOException)
{
    Console.Error.WriteLine($"malloc-sizes: {e.Message}");
    if (child is { HasExited: false })
        child.Kill();
    return 1;
}

// The per-CPU values of each slot of an array map, summed.
static ulong[] Sum(KernelMap map)
{
    var result = new ulong[map.MaxEntries];
    var value = new byte[map.UserValueSize];
    for (uint i = 0; i < result.Length; i++)
        if (map.TryLookup(BitConverter.GetBytes(i), value))
            for (int offset = 0; offset < value.Length; offset += 8)
                result[i] += BinaryPrimitives.ReadUInt64LittleEndian(value.AsSpan(offset));
    return result;
}

// The libc a running process has mapped (it may be another file than ours, e.g. in a container).
static string? MappedLibc(int pid)
{
    try
    {
        return File.ReadLines($"/proc/{pid}/maps").Select(l => l.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries))
            .Where(p => p.Length == 6 && Path.GetFileName(p[5]).StartsWith("libc.so", StringComparison.Ordinal))
            .Select(p => $"/proc/{pid}/root{p[5]}").FirstOrDefault();
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
    {
        return null;
    }
}

// Stops when a watched process exits (polling /proc: it is not our child).
static void MonitorExit(int pid, CancellationTokenSource stop) =>
    new Thread(() =>
    {
        while (!stop.IsCancellationRequested && Directory.Exists($"/proc/{pid}"))
            Thread.Sleep(200);
        stop.Cancel();
    }) { IsBackground = true }.Start();
