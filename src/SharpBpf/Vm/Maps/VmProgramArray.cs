using SharpBpf.Maps;
using SharpBpf.Objects;

namespace SharpBpf.Vm.Maps;

/// <summary>
/// PROG_ARRAY: tail-call targets. User space stores program ids (resolved through the
/// <see cref="IVmObjectResolver"/>; an id resolving to a map is EINVAL) and reads them back;
/// <see cref="GetProgram"/> gives the VM the program object for bpf_tail_call.
/// </summary>
public sealed class VmProgramArray : VmFdArray, IVmProgramArray
{
    internal VmProgramArray(MapSpec spec, IVmObjectResolver resolver) : base(spec, resolver) { }

    public object? GetProgram(uint index) => Get(index);

    /// <summary>Puts a program in slot <paramref name="index"/> directly; <paramref name="id"/> is what user-space lookups return.</summary>
    public void SetProgram(uint index, object program, int id)
    {
        int err;
        lock (Gate)
        {
            ThrowIfDisposed();
            err = Set(index, program, (uint)id);
        }
        if (err != 0)
            throw Fail("update", err, err == Errno.E2BIG ? $"index {index} is past max_entries {MaxEntries}" : "not a program");
    }

    private protected override int Accept(object target) => target is IBpfMap ? Errno.EINVAL : 0;
}
