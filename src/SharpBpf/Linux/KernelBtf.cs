using System.Text;

namespace SharpBpf.Linux;

/// <summary>BTF type information loaded into the kernel (BPF_BTF_LOAD), for maps and programs to refer to.</summary>
public sealed unsafe class KernelBtf : IDisposable
{
    private KernelBtf(BpfFd fd) => Fd = fd;

    public BpfFd Fd { get; }

    public uint Id => KernelObjectInfo.GetBtfInfo(Fd).Id;

    /// <summary>Loads raw BTF (header, types, strings). A rejection carries the kernel's BTF log.</summary>
    public static KernelBtf Load(ReadOnlySpan<byte> btf)
    {
        MemoryLimits.EnsureMemlockForBpf();
        fixed (byte* data = btf)
        {
            var attr = new BtfLoadAttr { Btf = (ulong)data, BtfSize = (uint)btf.Length };
            int r = BpfSyscall.TryInvoke(BpfCommand.BtfLoad, ref attr);
            if (r >= 0)
                return new KernelBtf(new BpfFd(r));
            // Retry with a log to say why.
            var log = new byte[1 << 20];
            fixed (byte* pLog = log)
            {
                var again = new BtfLoadAttr { Btf = (ulong)data, BtfSize = (uint)btf.Length, BtfLogBuf = (ulong)pLog, BtfLogSize = (uint)log.Length, BtfLogLevel = 1 };
                int r2 = BpfSyscall.TryInvoke(BpfCommand.BtfLoad, ref again);
                if (r2 >= 0)
                    return new KernelBtf(new BpfFd(r2));
                int end = Array.IndexOf(log, (byte)0);
                var text = Encoding.UTF8.GetString(log, 0, end < 0 ? log.Length : end).TrimEnd();
                throw new BpfSyscallException(BpfCommand.BtfLoad, -r2,
                    text.Length > 0 ? "the kernel's BTF log:\n" + text : BpfErrorHints.For(BpfCommand.BtfLoad, -r2), "BTF");
            }
        }
    }

    public static KernelBtf OpenById(uint id) => new(BpfSyscall.GetFdById(BpfObjectKind.Btf, id));

    public static KernelBtf FromFd(BpfFd fd) => new(fd);

    public BtfInfo Info(bool withData = false) => KernelObjectInfo.GetBtfInfo(Fd, withData);

    public void Dispose() => Fd.Dispose();
}
