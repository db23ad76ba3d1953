using System.Runtime.InteropServices;

namespace SharpBpf.Vm.Maps;

/// <summary>One zeroed, 8-byte aligned block of native memory that never moves; freed exactly once.</summary>
internal sealed unsafe class NativeBlock : IDisposable
{
    private byte* _start;

    public NativeBlock(long length)
    {
        if (length < 0)
            throw new ArgumentOutOfRangeException(nameof(length));
        Length = length;
        // A zero-length map still gets a valid (empty) region start.
        var bytes = (nuint)Math.Max(length, 8);
        _start = (byte*)NativeMemory.AlignedAlloc(bytes, 8);
        NativeMemory.Clear(_start, bytes);
    }

    public byte* Start => _start;
    public long Length { get; }

    public VmRegion Region(bool writable) => new((nint)_start, Length, writable);

    public void Dispose()
    {
        if (_start is null)
            return;
        NativeMemory.AlignedFree(_start);
        _start = null;
    }
}
