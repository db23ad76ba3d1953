namespace SharpBpf;

/// <summary>The engine or the running kernel lacks what was asked for (a kprobe on a kernel without the kprobe PMU, a
/// kfunc in the VM): nothing is wrong with the input, it needs another engine or kernel.</summary>
public class BpfNotSupportedException : BpfException
{
    public BpfNotSupportedException(string message, Exception? inner = null) : base(message, inner) { }
}
