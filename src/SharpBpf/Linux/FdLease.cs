using System.Runtime.InteropServices;

namespace SharpBpf.Linux;

/// <summary>
/// Holds a descriptor's SafeHandle (AddRef) while its number is passed to the kernel, so a concurrent Dispose cannot
/// close it mid-call and let the number be reused by another object; released on Dispose.
/// </summary>
internal ref struct FdLease
{
    private readonly SafeHandle _handle;
    private bool _added;

    public FdLease(SafeHandle handle, string what)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (handle.IsClosed || handle.IsInvalid)
            throw new ObjectDisposedException(what, $"{what}: the descriptor is closed or invalid");
        _handle = handle;
        _added = false;
        handle.DangerousAddRef(ref _added);
        Fd = (int)handle.DangerousGetHandle().ToInt64();
    }

    /// <summary>The descriptor number, valid until Dispose.</summary>
    public int Fd { get; }

    public void Dispose()
    {
        if (_added)
            _handle.DangerousRelease();
        _added = false;
    }
}
