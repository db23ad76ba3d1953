// slab-ages: the kernel sample tracex4 from C#. slab_ages.bpf.c records every slab object's allocation time and call
// site in a hash map and deletes the entry when the object is freed; every --interval seconds this host prints the
// objects alive for more than a second: how many, the call sites that allocated most of them, and the oldest ones.
// It hooks the kmem tracepoints, or tracex4's kprobes when the kernel has kprobes and --hook kprobe asks for them.
//
//   sudo dotnet SlabAges.dll [--duration SECONDS] [--interval SECONDS] [--top N] [--hook auto|tracepoint|kprobe]
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using SharpBpf;
using SharpBpf.Examples;
using SharpBpf.Linux;
using SharpBpf.Linux.Attach;
using SharpBpf.Objects;
using SlabAges;

Options options;
try
{
    options = Options.Parse(args, "--duration", "--interval", "--top", "--hook");
    if (options.Get("--hook") is { } h && h is not ("auto" or "tracepoint" or "kprobe"))
        throw new ArgumentException($"--hook: '{h}' is not auto, tracepoint or kprobe");
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"slab-ages: {e.Message}\nusage: slab-ages [--duration SECONDS] [--interval SECONDS] [--top N] [--hook auto|tracepoint|kprobe]");
    return 2;
}
if (!Privileges.Check("slab-ages"))
    return 1;

var duration = TimeSpan.FromSeconds(options.Number("--duration", 0));
var interval = TimeSpan.FromSeconds(Math.Max(0.1, options.Number("--interval", 1)));
int top = options.Integer("--top", 10);
const ulong OldNs = 1_000_000_000;
try
{
    // tracex4 used kprobes; this kernel may have none (no CONFIG_KPROBE_EVENTS), the kmem tracepoints are the portable way.
    var hook = options.Get("--hook") ?? "auto";
    var kprobeFunction = KprobeAllocFunction();
    if (hook == "kprobe" && kprobeFunction is null)
        throw new BpfException("--hook kprobe: this kernel has no kprobes (no /sys/bus/event_source/devices/kprobe) or no kmem_cache_alloc_node");
    bool useKprobes = hook == "kprobe" || (hook == "auto" && kprobeFunction is not null); // auto: as tracex4 when it can
    string[] wanted = useKprobes ? ["kp_alloc", "kp_free"] : ["tp_alloc", "tp_free"];

    var spec = ObjectSpec.Load(BpfSource.Compile("slab_ages.bpf.c"));
    using var loaded = new KernelEngine(new KernelEngineOptions { ShouldLoad = p => wanted.Contains(p.Name) }).Load(spec);
    var symbols = KernelAddresses.Load(); // before attaching: reading kallsyms takes a while
    var links = new List<IBpfLink>();
    try
    {
        if (useKprobes)
        {
            links.Add(Kprobe.Attach(loaded.Programs["kp_alloc"].Fd, kprobeFunction!, retprobe: true));
            links.Add(Kprobe.Attach(loaded.Programs["kp_free"].Fd, "kmem_cache_free"));
        }
        else
            foreach (var name in wanted)
                links.Add(AutoAttach.Attach(loaded.Programs[name], spec.Programs.Single(p => p.Name == name)));
        Console.WriteLine($"tracking slab objects through {string.Join(" and ", links.Select(l => l.Description))}" +
            $"{(duration > TimeSpan.Zero ? $" for {duration.TotalSeconds:0.#}s" : ", Ctrl-C to stop")}");

        var started = DateTime.UtcNow;
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        if (duration > TimeSpan.Zero)
            stop.CancelAfter(duration);
        var objects = loaded.Maps["objects"];
        var reported = started;
        while (!stop.Token.WaitHandle.WaitOne(interval))
        {
            reported = DateTime.UtcNow;
            Report(reported - started);
        }
        if (DateTime.UtcNow - reported > interval / 4)
            Report(DateTime.UtcNow - started); // the last stretch
        return 0;

        void Report(TimeSpan elapsed)
        {
            ulong now = MonotonicNs();
            var old = new List<(ulong Object, ulong AgeNs, ulong CallSite)>();
            int tracked = 0;
            foreach (var (key, value) in objects.Entries())
            {
                tracked++;
                ulong born = BinaryPrimitives.ReadUInt64LittleEndian(value);
                if (now > born && now - born > OldNs)
                    old.Add((BinaryPrimitives.ReadUInt64LittleEndian(key), now - born, BinaryPrimitives.ReadUInt64LittleEndian(value.AsSpan(8))));
            }
            Console.WriteLine();
            Console.WriteLine($"after {elapsed.TotalSeconds:0.0}s: {old.Count} of {tracked} tracked slab objects alive for more than 1s" +
                (tracked >= objects.MaxEntries ? $" (the map is full: {objects.MaxEntries} entries)" : ""));
            Console.WriteLine($"  {"objects",8} {"oldest",8}  call site");
            foreach (var site in old.GroupBy(o => o.CallSite).OrderByDescending(g => g.Count()).Take(top))
                Console.WriteLine($"  {site.Count(),8} {site.Max(o => o.AgeNs) / 1e9,7:0.0}s  {symbols.Name(site.Key)}");
            foreach (var o in old.OrderByDescending(o => o.AgeNs).Take(Math.Min(top, 5)))
                Console.WriteLine($"  obj 0x{o.Object:x} is {o.AgeNs / 1_000_000_000,2}s old, allocated at {symbols.Name(o.CallSite)}");
        }
    }
    finally
    {
        foreach (var link in links)
            link.Dispose();
    }
}
catch (Exception e) when (e is BpfException or IOException)
{
    Console.Error.WriteLine($"slab-ages: {e.Message}");
    return 1;
}

// The kretprobe target when kprobes exist: the allocator's name changed in 6.10 (the _noprof suffix of alloc tagging).
static string? KprobeAllocFunction()
{
    if (!Directory.Exists(Kprobe.DefaultPmuDir))
        return null;
    var names = File.ReadLines("/proc/kallsyms").Select(l => l.Split(' ', 4)).Where(p => p.Length >= 3).Select(p => p[2]).ToHashSet();
    return new[] { "kmem_cache_alloc_node", "kmem_cache_alloc_node_noprof" }.FirstOrDefault(names.Contains);
}

static ulong MonotonicNs()
{
    Span<long> ts = stackalloc long[2];
    unsafe
    {
        fixed (long* p = ts)
            if (NativeClock.clock_gettime(1 /* CLOCK_MONOTONIC, bpf_ktime_get_ns's clock */, p) != 0)
                throw new IOException("clock_gettime(CLOCK_MONOTONIC) failed");
    }
    return (ulong)(ts[0] * 1_000_000_000 + ts[1]);
}

internal static unsafe partial class NativeClock
{
    [LibraryImport("libc")]
    internal static partial int clock_gettime(int clock, long* timespec);
}
