using SharpBpf.Skeletons;
using SkeletonDemo;

// ProbeSkeleton is generated at build time from probe.bpf.c (see SkeletonDemo.csproj).
var engine = args.Contains("--kernel") ? SkeletonEngine.Kernel : SkeletonEngine.Vm;
using var skeleton = new ProbeSkeleton();
skeleton.Rodata.MinSize = 60; // a .rodata constant, set before loading
skeleton.Load(engine);
Console.WriteLine($"loaded {skeleton.Spec.Name} into the {engine.ToString().ToLowerInvariant()}: {skeleton.Programs.CountFrames}");

(ushort EtherType, int Size)[] frames = [(0x0800, 64), (0x0800, 128), (0x86DD, 90), (0x0806, 42), (0x0800, 1514)];
foreach (var (etherType, size) in frames)
{
    var frame = new byte[size];
    frame[12] = (byte)(etherType >> 8);
    frame[13] = (byte)etherType;
    var verdict = skeleton.Programs.CountFrames.Run(frame).ReturnValue switch { 1 => "drop", 2 => "pass", var v => v.ToString() };
    Console.WriteLine($"frame {etherType:x4} {size,4} bytes: {verdict}");
}

ref var totals = ref skeleton.Bss.Totals;
Console.WriteLine($"totals: packets={totals.Packets} bytes={totals.Bytes} largest={totals.Largest} dropped={totals.Dropped}");
foreach (var etherType in skeleton.Maps.ByProto.Keys.Order())
    Console.WriteLine($"ethertype {etherType:x4}: {skeleton.Maps.ByProto[etherType]}");
