namespace SharpBpf.Linux.Attach;

/// <summary>
/// A program attached to a hook. Disposing detaches it (unless it is a bpf link pinned in bpffs, which then
/// lives on until the pin is removed).
/// </summary>
public interface IBpfLink : IDisposable
{
    /// <summary>What the program is attached to, for people: "tracepoint syscalls/sys_enter_getpid", "xdp on veth0 (generic)".</summary>
    string Description { get; }

    /// <summary>True when this is a kernel bpf link (has an id, can be pinned and listed by `link list`).</summary>
    bool IsBpfLink { get; }

    /// <summary>Pins the link at a bpffs path so it outlives this process; throws for attachments that are not bpf links.</summary>
    void Pin(string path);
}
