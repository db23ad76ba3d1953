using SharpBpf.Vm.Contexts;

namespace SharpBpf.Vm.Helpers;

/// <summary>bpf_xdp_load_bytes / bpf_xdp_store_bytes (bpf_xdp_pointer's checks: offset and length up to 0xffff, else EFAULT;
/// past the frame's end EINVAL). The VM's frames are linear, so there are no fragments to walk.</summary>
internal static unsafe class XdpBytesHelpers
{
    public static void Register(VmHelperTable t)
    {
        t.Register("bpf_xdp_load_bytes", (vm, ctx, offset, buf, len, _) =>
        {
            var dest = vm.GetSpan(buf, len, write: true);
            byte* packet = Pointer(vm, "bpf_xdp_load_bytes", offset, len, out int err);
            if (packet == null)
                return unchecked((ulong)-err);
            new ReadOnlySpan<byte>(packet, dest.Length).CopyTo(dest);
            return 0;
        });
        t.Register("bpf_xdp_store_bytes", (vm, ctx, offset, buf, len, _) =>
        {
            var src = vm.GetSpan(buf, len, write: false);
            byte* packet = Pointer(vm, "bpf_xdp_store_bytes", offset, len, out int err);
            if (packet == null)
                return unchecked((ulong)-err);
            src.CopyTo(new Span<byte>(packet, src.Length));
            return 0;
        });
    }

    private static byte* Pointer(VmCallContext vm, string helper, ulong offset, ulong len, out int err)
    {
        if (vm.Context is not XdpContext)
            throw vm.Fault($"{helper} needs an XDP context");
        err = 0;
        if ((uint)offset > 0xffff || (uint)len > 0xffff)
            err = Errno.EFAULT;
        else if ((uint)offset + (uint)len > vm.DataEnd - vm.Data)
            err = Errno.EINVAL;
        return err != 0 ? null : (byte*)(vm.Data + (nint)(uint)offset);
    }
}
