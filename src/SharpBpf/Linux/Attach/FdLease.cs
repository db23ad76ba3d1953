using System.Runtime.InteropServices;

namespace SharpBpf.Linux.Attach;

/// <summary>Keeps a caller's SafeHandle alive while its raw descriptor is passed to the kernel.</summary>
internal ref struct FdLease
{
    private readonly SafeHandle _handle;
    private bool _added;

    public FdLease(SafeHandle handle, string what)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (handle.IsClosed || handle.IsInvalid)
            throw new BpfHookSpecException($"{what}: the descriptor is closed or invalid");
        _handle = handle;
        _added = false;
        handle.DangerousAddRef(ref _added);
        Fd = (int)handle.DangerousGetHandle().ToInt64();
    }

    public int Fd { get; }

    public void Dispose()
    {
        if (_added)
            _handle.DangerousRelease();
        _added = false;
    }
}
