using SharpBpf.Events;
using SharpBpf.Linux;
using SharpBpf.Linux.Attach;
using SharpBpf.Linux.Events;
using SharpBpf.Objects;
using SharpBpf.Tests.Linux.Attach;
using SharpBpf.Tests.Support;
using SharpBpf.Vm;
using SharpBpf.Vm.Maps;

namespace SharpBpf.Tests.Events;

/// <summary>
/// A program that writes events, a reader of them, and a way to make the program run: on the kernel a tracepoint on
/// getpid() of the firing thread, on the VM a run of the same program. Both programs select the thread by its tid
/// in config[0], which <see cref="Fire"/> sets first (tests of one process run in parallel).
/// </summary>
public abstract class EventSource : IDisposable
{
    public abstract IBpfEventReader Reader { get; }

    /// <summary>Runs the program <paramref name="times"/> times on the calling thread.</summary>
    public abstract void Fire(int times);

    public abstract void Dispose();

    /// <summary>hook_tracepoint_getpid.c: a 16-byte ring buffer record (tgid, seq, magic) per run, every fourth discarded.</summary>
    public const string RingProgram = "hook_tracepoint_getpid.c";

    /// <summary>hook_perf_output.c: a 28-byte perf sample (tgid, seq, text) per run.</summary>
    public const string PerfProgram = "hook_perf_output.c";
}

/// <summary>The kernel: the program on the syscalls/sys_enter_getpid tracepoint, read by RingBufferReader or PerfEventReader.</summary>
public sealed class KernelEventSource : EventSource
{
    private readonly LoadedObject _object;
    private readonly IBpfLink _link;
    private readonly BpfEventReader _reader;

    public KernelEventSource(string program, int perfBytesPerCpu = 8 * 4096)
    {
        Requirements.Kernel();
        _object = new LoadedObject(program);
        try
        {
            var isRing = program == RingProgram;
            _link = Tracepoint.Attach(_object.Program(isRing ? "count_getpid" : "perf_getpid").Fd, "syscalls/sys_enter_getpid");
            _reader = isRing ? new RingBufferReader(_object.Map("events")) : new PerfEventReader(_object.Map("events"), perfBytesPerCpu / Environment.SystemPageSize);
        }
        catch
        {
            _link?.Dispose();
            _object.Dispose();
            throw;
        }
    }

    public override IBpfEventReader Reader => _reader;

    /// <summary>Calls getpid() on one CPU, so a perf ring that overflowed also gets the sample after which the kernel reports the loss.</summary>
    public override void Fire(int times)
    {
        using var pinned = CpuAffinity.TryPin(Cpus.Online()[0]);
        _object.WriteU64("config", 0, (ulong)TracingHookTests.gettid());
        TracingHookTests.CallGetpid(times);
    }

    public override void Dispose()
    {
        _reader.Dispose();
        _link.Dispose();
        _object.Dispose();
    }
}

/// <summary>The VM: the same object loaded into a VmEngine, read by VmRingBufferReader or VmPerfEventReader.</summary>
public sealed class VmEventSource : EventSource
{
    private const int Cpus = 2;
    private readonly VmEngine _engine = new(new VmOptions { CpuCount = Cpus });
    private readonly VmCollection _collection;
    private readonly VmProgram _program;
    private readonly BpfEventReader _reader;

    public VmEventSource(string program, int perfBytesPerCpu = 8 * 4096)
    {
        var spec = ObjectSpec.Load(TestPrograms.Compile(program));
        foreach (var map in spec.Maps.Where(m => m.Type == BpfMapType.PerfEventArray && m.MaxEntries == 0))
            map.MaxEntries = Cpus;
        _collection = _engine.Load(spec);
        var isRing = program == RingProgram;
        _program = _collection.Program(isRing ? "count_getpid" : "perf_getpid");
        var events = _collection.Maps["events"];
        _reader = isRing ? new VmRingBufferReader((IVmRingBuffer)events) : new VmPerfEventReader((IVmPerfEventArray)events, Cpus, perfBytesPerCpu);
    }

    public override IBpfEventReader Reader => _reader;

    public override void Fire(int times)
    {
        _collection.Map("config").Update(BitConverter.GetBytes(0u), BitConverter.GetBytes((ulong)TracingHookTests.gettid()));
        var context = new byte[64];
        for (var i = 0; i < times; i++)
            _program.Run(context);
    }

    public override void Dispose()
    {
        _reader.Dispose();
        _engine.Dispose();
    }
}
