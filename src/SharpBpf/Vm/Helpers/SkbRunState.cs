namespace SharpBpf.Vm.Helpers;

/// <summary>The state the kernel keeps on an skb between helper calls of one run; cleared before every run.</summary>
internal sealed class SkbRunState
{
    /// <summary>The <c>struct bpf_tunnel_key</c> (44 bytes, as given) and flags of the last bpf_skb_set_tunnel_key, or null.</summary>
    public byte[]? TunnelKey { get; set; }
    public ulong TunnelFlags { get; set; }

    /// <summary>skb->encapsulation: set by bpf_skb_adjust_room's encapsulating grow.</summary>
    public bool Encapsulated { get; set; }

    public void Clear()
    {
        TunnelKey = null;
        TunnelFlags = 0;
        Encapsulated = false;
    }
}
