using System.Runtime.InteropServices;

namespace SharpBpf.Linux.Attach;

/// <summary>
/// Attaches BPF iterators (SEC("iter/...") programs, BPF_TRACE_ITER): the link it returns, pinned in bpffs, is a file whose
/// reads run the program (bpftool iter pin). Map-element iterators (iter/bpf_map_elem, iter/sk_storage_map...) need the map.
/// </summary>
public static class Iterator
{
    public static unsafe BpfLink Attach(SafeHandle program, SafeHandle? map = null)
    {
        const string what = "iterator";
        using var prog = new FdLease(program, what);
        // union bpf_iter_link_info: { map.map_fd } (its largest member, cgroup, is 16 bytes; the rest stays zero).
        var info = stackalloc uint[4];
        var attr = new LinkCreateAttr { ProgFd = (uint)prog.Fd, AttachType = (uint)BpfAttachType.TraceIter };
        if (map is null)
            return new BpfLink(BpfSyscall.InvokeFd(BpfCommand.LinkCreate, ref attr, what), what);
        using var mapLease = new FdLease(map, what);
        info[0] = (uint)mapLease.Fd;
        attr.Extra0 = (ulong)info;
        attr.Extra1 = 16;  // iter_info_len
        return new BpfLink(BpfSyscall.InvokeFd(BpfCommand.LinkCreate, ref attr, what), $"iterator over map fd {mapLease.Fd}");
    }
}
