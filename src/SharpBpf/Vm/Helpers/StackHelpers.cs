using SharpBpf.Vm.Maps;

namespace SharpBpf.Vm.Helpers;

/// <summary>
/// bpf_get_stackid and bpf_get_stack. A VM run has no kernel stack and no user process, so the VM's stand-in kernel stack
/// is one frame: a made-up kernel-style address of the calling instruction, 0xffffffffc0000000 + the program's name hash
/// (bits 20..27) + pc * 8, so one call site always gives one stack and different call sites different ones. A user stack
/// (BPF_F_USER_STACK) is empty: EFAULT, as the kernel answers for a task without one. Skipping frames past the one is EFAULT too.
/// </summary>
internal static class StackHelpers
{
    private const ulong SkipMask = 0xff, UserStack = 1 << 8, FastStackCompare = 1 << 9, ReuseStackId = 1 << 10, UserBuildId = 1 << 11;
    private const ulong StandInBase = 0xffffffffc0000000;

    public static void Register(VmHelperTable t)
    {
        t.Register("bpf_get_stackid", GetStackId);
        t.Register("bpf_get_stack", GetStack);
    }

    private static ulong Error(int errno) => unchecked((ulong)-errno);

    /// <summary>The stand-in stack after skipping; empty when there is nothing left.</summary>
    private static ulong[] Stack(VmCallContext vm, ulong flags)
    {
        if ((flags & UserStack) != 0 || (flags & SkipMask) > 0)
            return [];
        uint nameHash = 0;
        foreach (char c in vm.Program.Name)
            nameHash = nameHash * 31 + c;
        return [StandInBase + ((ulong)(nameHash & 0xff) << 20) + (ulong)vm.CurrentPc * 8];
    }

    private static ulong GetStackId(VmCallContext vm, ulong ctx, ulong map, ulong flags, ulong r4, ulong r5)
    {
        if (vm.GetMap(map) is not VmStackTraceMap stacks)
            throw vm.Fault("bpf_get_stackid needs a STACK_TRACE map");
        if ((flags & ~(SkipMask | UserStack | FastStackCompare | ReuseStackId)) != 0)
            return Error(Errno.EINVAL);
        var ips = Stack(vm, flags);
        if (ips.Length == 0)
            return Error(Errno.EFAULT);
        int depth = Math.Min(ips.Length, stacks.ValueSize / 8);
        return unchecked((ulong)stacks.Store(ips.AsSpan(0, depth), (flags & ReuseStackId) != 0));
    }

    private static ulong GetStack(VmCallContext vm, ulong ctx, ulong buf, ulong size, ulong flags, ulong r5)
    {
        var dest = vm.GetSpan(buf, size, write: true);
        if ((flags & ~(SkipMask | UserStack | UserBuildId)) != 0 || ((flags & UserBuildId) != 0 && (flags & UserStack) == 0) || size % 8 != 0)
        {
            dest.Clear();
            return Error(Errno.EINVAL);
        }
        var ips = Stack(vm, flags);
        if (ips.Length == 0)
        {
            dest.Clear();
            return Error(Errno.EFAULT);
        }
        int copied = Math.Min(ips.Length, dest.Length / 8) * 8;
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(ips.AsSpan()).Slice(0, copied).CopyTo(dest);
        dest[copied..].Clear();
        return (ulong)copied;
    }
}
