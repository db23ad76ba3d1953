namespace SharpBpf.Linux.Netlink;

/// <summary>Where an XDP program runs (XDP_FLAGS_*_MODE); <see cref="Default"/> lets the kernel choose (driver if it can).</summary>
public enum XdpMode : uint
{
    Default = 0,
    Generic = 2,
    Driver = 4,
    Offload = 8,
}
