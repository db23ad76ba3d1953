using SharpBpf.Linux;
using SharpBpf.Maps;
using SharpBpf.Objects;
using SharpBpf.Vm;

namespace XdpBlacklist;

/// <summary>The example's object loaded into one of the two engines: its maps by name and its XDP program.</summary>
public abstract class LoadedExample : IDisposable
{
    /// <summary>A map of the object; both engines' maps are <see cref="IBpfMap"/>s.</summary>
    public abstract IBpfMap Map(string name);

    /// <summary>Runs the program on one packet and returns its verdict (XDP_DROP, XDP_PASS...).</summary>
    public abstract uint Run(byte[] packet);

    public abstract void Dispose();

    /// <summary>Loads into the embedded VM: maps live in native memory of this process, no privileges needed.</summary>
    public static LoadedExample InVm(ObjectSpec obj, string program)
    {
        var engine = new VmEngine();
        try
        {
            var collection = engine.Load(obj);
            return new Vm(engine, collection, collection.Program(program));
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    /// <summary>Loads into the Linux kernel (root): the verifier checks the program, runs use BPF_PROG_TEST_RUN.</summary>
    public static LoadedExample InKernel(ObjectSpec obj, string program)
    {
        var collection = KernelEngine.Load(obj);
        if (!collection.Programs.TryGetValue(program, out var loaded))
        {
            collection.Dispose();
            throw new SharpBpf.BpfException($"the object has no program '{program}'");
        }
        return new Kernel(collection, loaded);
    }

    private sealed class Vm(VmEngine engine, VmCollection collection, VmProgram program) : LoadedExample
    {
        public override IBpfMap Map(string name) => collection.Map(name);
        public override uint Run(byte[] packet) => (uint)program.Run(packet).ReturnValue;
        public override void Dispose() => engine.Dispose();
    }

    private sealed class Kernel(KernelCollection collection, KernelProgram program) : LoadedExample
    {
        public override IBpfMap Map(string name) => collection.Maps.TryGetValue(name, out var map) ? map
            : throw new SharpBpf.BpfException($"the object has no map '{name}'");
        public override uint Run(byte[] packet) => program.TestRun(packet).ReturnValue;
        public override void Dispose() => collection.Dispose();
    }
}
