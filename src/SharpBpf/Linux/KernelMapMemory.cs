using SharpBpf.Native;
using System.Runtime.InteropServices;

namespace SharpBpf.Linux;

/// <summary>
/// The value memory of a BPF_F_MMAPABLE array map (global data: .data, .bss) mapped into this process with mmap:
/// reads and writes go straight to the memory the programs use. Dispose to unmap.
/// </summary>
public sealed unsafe class KernelMapMemory : IDisposable
{
    private const uint MmapableFlag = 1u << 10;
    private byte* _address;

    private KernelMapMemory(byte* address, long length, bool writable)
    {
        _address = address;
        Length = length;
        Writable = writable;
    }

    /// <summary>The first byte of element 0; elements follow each other round8(value size) bytes apart.</summary>
    public byte* Address
    {
        get
        {
            ObjectDisposedException.ThrowIf(_address is null, this);
            return _address;
        }
    }

    /// <summary>Bytes mapped (whole pages).</summary>
    public long Length { get; }
    public bool Writable { get; }

    /// <summary>Maps the values of <paramref name="map"/> (an ARRAY created with BPF_F_MMAPABLE). A frozen map can only be mapped read-only.</summary>
    public static KernelMapMemory Map(KernelMap map, bool writable = true)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (map.Type != BpfMapType.Array || (map.Flags & MmapableFlag) == 0)
            throw new BpfException($"map '{map.Name}' cannot be memory-mapped: only ARRAY maps created with BPF_F_MMAPABLE can " +
                "(global data maps get the flag when they hold a non-static variable)");
        long elem = (map.ValueSize + 7L) & ~7L;
        long page = Environment.SystemPageSize;
        long length = (elem * map.MaxEntries + page - 1) / page * page;
        nint address;
        using (var lease = map.Fd.Lease())
            address = LibC.mmap(0, (nint)length, LibC.PROT_READ | (writable ? LibC.PROT_WRITE : 0), LibC.MAP_SHARED, lease.Fd, 0);
        if (address == -1)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new BpfException($"map '{map.Name}': mmap of {length} bytes failed: {LibC.ErrorText(errno)} ({Errno.Name(errno)})" +
                (writable && errno == Errno.EPERM ? " (a frozen map, such as .rodata after load, can only be mapped read-only)" : ""));
        }
        return new KernelMapMemory((byte*)address, length, writable);
    }

    public void Dispose()
    {
        if (_address is null)
            return;
        LibC.munmap((nint)_address, (nint)Length);
        _address = null;
    }
}
