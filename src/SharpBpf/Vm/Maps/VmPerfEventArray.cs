using SharpBpf.Objects;

namespace SharpBpf.Vm.Maps;

/// <summary>
/// PERF_EVENT_ARRAY: slot i holds the <see cref="VmPerfEventBuffer"/> that receives bpf_perf_event_output samples
/// sent to index i (user space stores buffer ids through the resolver, or the engine calls <see cref="Attach"/>;
/// <see cref="VmPerfEventReader"/> does it for every CPU). Output to an empty slot is ENOENT, past the end E2BIG,
/// to a full buffer ENOSPC (counted as lost). User-space lookup is ENOTSUPP, as in the kernel.
/// </summary>
public sealed unsafe class VmPerfEventArray : VmFdArray, IVmPerfEventArray
{
    internal VmPerfEventArray(MapSpec spec, IVmObjectResolver resolver) : base(spec, resolver) { }

    public long Output(uint index, byte* data, ulong size)
    {
        if (index >= (uint)MaxEntries)
            return -Errno.E2BIG;
        if (Get(index) is not VmPerfEventBuffer buffer)
            return -Errno.ENOENT;
        if (size > VmPerfEventBuffer.MaxSampleSize)
            return -Errno.E2BIG;  // a record's u16 size could not describe it
        return buffer.Write(new ReadOnlySpan<byte>(data, (int)size)) ? 0 : -Errno.ENOSPC;
    }

    /// <summary>Puts <paramref name="buffer"/> in slot <paramref name="index"/> (user space's update with a perf event fd).</summary>
    public void Attach(uint index, VmPerfEventBuffer buffer)
    {
        int err;
        lock (Gate)
        {
            ThrowIfDisposed();
            err = Set(index, buffer, 0);
        }
        if (err != 0)
            throw Fail("update", err, $"index {index} is past max_entries {MaxEntries}");
    }

    /// <summary>Empties slot <paramref name="index"/> if it still holds <paramref name="buffer"/>.</summary>
    public void Detach(uint index, VmPerfEventBuffer buffer)
    {
        lock (Gate)
        {
            if (!IsDisposed && Get(index) == buffer)
                DeleteCore(BitConverter.GetBytes(index));
        }
    }

    private protected override int Accept(object target) => target is VmPerfEventBuffer ? 0 : Errno.EBADF;

    private protected override bool UserLookupReturnsId => false;
}
