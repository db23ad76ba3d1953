using System.Runtime.InteropServices;
using System.Text;

namespace SharpBpf.Linux.Attach;

/// <summary>
/// The bpf() commands the hooks and readers need (link create/detach/pin, raw tracepoint open, prog attach,
/// object info, map update). bpf_attr is laid out by hand in a zeroed 144-byte buffer: offsets follow
/// include/uapi/linux/bpf.h. To be folded into the shared syscall layer of SharpBpf.Linux once it exists.
/// </summary>
internal static unsafe class BpfCalls
{
    private const int AttrSize = 144;

    public const int BPF_MAP_LOOKUP_ELEM = 1, BPF_MAP_UPDATE_ELEM = 2, BPF_OBJ_PIN = 6, BPF_OBJ_GET = 7,
        BPF_PROG_ATTACH = 8, BPF_PROG_DETACH = 9, BPF_OBJ_GET_INFO_BY_FD = 15, BPF_PROG_QUERY = 16,
        BPF_RAW_TRACEPOINT_OPEN = 17, BPF_LINK_CREATE = 28, BPF_LINK_GET_FD_BY_ID = 30, BPF_LINK_GET_NEXT_ID = 31,
        BPF_LINK_DETACH = 34, BPF_PROG_GET_FD_BY_ID = 13;

    public static long Sys(int cmd, byte* attr) => NativeCalls.syscall(NativeCalls.SysBpf, cmd, (long)attr, AttrSize, 0, 0);

    private static void Put32(byte* a, int offset, uint v) => *(uint*)(a + offset) = v;
    private static void Put64(byte* a, int offset, ulong v) => *(ulong*)(a + offset) = v;

    /// <summary>BPF_LINK_CREATE; <paramref name="extra"/> fills the per-type union at offset 16.</summary>
    public static FdHandle LinkCreate(int progFd, int target, BpfAttachType type, uint flags, string what,
        ReadOnlySpan<ulong> extra = default)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        Put32(attr, 0, (uint)progFd);
        Put32(attr, 4, (uint)target);
        Put32(attr, 8, (uint)type);
        Put32(attr, 12, flags);
        for (var i = 0; i < extra.Length; i++)
            Put64(attr, 16 + 8 * i, extra[i]);
        return NativeCalls.CheckFd(Sys(BPF_LINK_CREATE, attr), $"BPF_LINK_CREATE ({type}) for {what}", Hints.Attach);
    }

    public static FdHandle RawTracepointOpen(int progFd, string name)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        var bytes = Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* p = bytes)
        {
            Put64(attr, 0, (ulong)p);
            Put32(attr, 8, (uint)progFd);
            return NativeCalls.CheckFd(Sys(BPF_RAW_TRACEPOINT_OPEN, attr), $"BPF_RAW_TRACEPOINT_OPEN '{name}'",
                e => e == Errno.ENOENT ? $"no raw tracepoint '{name}' in this kernel (see /sys/kernel/tracing/available_events)" : Hints.Attach(e));
        }
    }

    public static void LinkDetach(int linkFd)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        Put32(attr, 0, (uint)linkFd);
        NativeCalls.Check(Sys(BPF_LINK_DETACH, attr), "BPF_LINK_DETACH");
    }

    public static void ObjPin(int fd, string path)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        {
            Put64(attr, 0, (ulong)p);
            Put32(attr, 8, (uint)fd);
            NativeCalls.Check(Sys(BPF_OBJ_PIN, attr), $"BPF_OBJ_PIN '{path}'",
                e => e == Errno.EPERM || e == Errno.EINVAL ? "the path must be inside a mounted bpffs (mount -t bpf bpf /sys/fs/bpf)" : null);
        }
    }

    public static FdHandle ObjGet(string path)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        {
            Put64(attr, 0, (ulong)p);
            return NativeCalls.CheckFd(Sys(BPF_OBJ_GET, attr), $"BPF_OBJ_GET '{path}'");
        }
    }

    public static void ProgAttach(int targetFd, int progFd, BpfAttachType type, uint flags, string what)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        Put32(attr, 0, (uint)targetFd);
        Put32(attr, 4, (uint)progFd);
        Put32(attr, 8, (uint)type);
        Put32(attr, 12, flags);
        NativeCalls.Check(Sys(BPF_PROG_ATTACH, attr), $"BPF_PROG_ATTACH ({type}) for {what}", Hints.Attach);
    }

    public static void ProgDetach(int targetFd, int progFd, BpfAttachType type)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        Put32(attr, 0, (uint)targetFd);
        Put32(attr, 4, (uint)progFd);
        Put32(attr, 8, (uint)type);
        NativeCalls.Check(Sys(BPF_PROG_DETACH, attr), $"BPF_PROG_DETACH ({type})");
    }

    /// <summary>BPF_OBJ_GET_INFO_BY_FD into <paramref name="info"/>; returns the length the kernel filled.</summary>
    public static int GetInfo(int fd, Span<byte> info)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        fixed (byte* p = info)
        {
            Put32(attr, 0, (uint)fd);
            Put32(attr, 4, (uint)info.Length);
            Put64(attr, 8, (ulong)p);
            NativeCalls.Check(Sys(BPF_OBJ_GET_INFO_BY_FD, attr), "BPF_OBJ_GET_INFO_BY_FD");
            return (int)*(uint*)(attr + 4);
        }
    }

    /// <summary>BPF_PROG_QUERY: ids of programs attached at (target, type); tcx/netkit need no attach flags.</summary>
    public static uint[] ProgQuery(int target, BpfAttachType type, string what)
    {
        var ids = new uint[64];
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        fixed (uint* p = ids)
        {
            Put32(attr, 0, (uint)target);
            Put32(attr, 4, (uint)type);
            Put64(attr, 16, (ulong)p);
            Put32(attr, 24, (uint)ids.Length);
            NativeCalls.Check(Sys(BPF_PROG_QUERY, attr), $"BPF_PROG_QUERY ({type}) on {what}");
            return ids[..(int)*(uint*)(attr + 24)];
        }
    }

    public static void MapUpdate(int mapFd, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, string what)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            Put32(attr, 0, (uint)mapFd);
            Put64(attr, 8, (ulong)k);
            Put64(attr, 16, (ulong)v);
            NativeCalls.Check(Sys(BPF_MAP_UPDATE_ELEM, attr), $"BPF_MAP_UPDATE_ELEM on {what}");
        }
    }

    public static bool MapLookup(int mapFd, ReadOnlySpan<byte> key, Span<byte> value)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            Put32(attr, 0, (uint)mapFd);
            Put64(attr, 8, (ulong)k);
            Put64(attr, 16, (ulong)v);
            if (Sys(BPF_MAP_LOOKUP_ELEM, attr) == 0)
                return true;
            var errno = NativeCalls.LastErrno;
            if (errno == Errno.ENOENT)
                return false;
            throw new BpfAttachException("BPF_MAP_LOOKUP_ELEM", errno);
        }
    }

    /// <summary>Walks ids with BPF_*_GET_NEXT_ID; returns false at the end.</summary>
    public static bool NextId(int cmd, uint start, out uint next)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        Put32(attr, 0, start);
        if (Sys(cmd, attr) == 0)
        {
            next = *(uint*)(attr + 4);
            return true;
        }
        next = 0;
        var errno = NativeCalls.LastErrno;
        if (errno == Errno.ENOENT)
            return false;
        throw new BpfAttachException("BPF_*_GET_NEXT_ID", errno);
    }

    public static FdHandle? FdById(int cmd, uint id)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        Put32(attr, 0, id);
        var fd = Sys(cmd, attr);
        if (fd >= 0)
            return new FdHandle((int)fd);
        if (NativeCalls.LastErrno == Errno.ENOENT)
            return null;  // went away between the id walk and the open
        throw new BpfAttachException($"BPF_*_GET_FD_BY_ID {id}", NativeCalls.LastErrno);
    }
}

/// <summary>Hints for the errnos attaching commonly returns.</summary>
internal static class Hints
{
    public static string? Attach(int errno) => errno switch
    {
        Errno.EPERM => "needs root or CAP_BPF plus CAP_PERFMON/CAP_NET_ADMIN for this hook",
        Errno.EINVAL => "the program's type or expected attach type does not match this hook",
        Errno.EEXIST or Errno.EBUSY => "another program is already attached there (detach it, or use a multi-attach hook such as tcx)",
        Errno.EBADF => "the program or target descriptor is not open",
        _ => null,
    };
}
