namespace SharpBpf.PcapFilter;

internal sealed partial class Optimizer
{
    public const int AtomCount = Cbpf.Cbpf.MemWords + 2;

    public static Block Optimize(Block root) => root;
}
