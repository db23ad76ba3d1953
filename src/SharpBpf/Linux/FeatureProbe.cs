using SharpBpf.Native;
using System.Text;
using SharpBpf.Btf;

namespace SharpBpf.Linux;

/// <summary>Why a program type's helper list is empty.</summary>
public enum HelperProbeStatus
{
    Probed,
    ProgramTypeNotSupported,
    CouldNotDetermine,
}

/// <summary>What <c>feature probe kernel</c> found.</summary>
public sealed record FeatureReport
{
    /// <summary>Sysctls (value, or -1 when unreadable) then CONFIG_ options (value text or null), in bpftool's order.</summary>
    public required IReadOnlyList<(string Name, long? Number, string? Text, bool IsSysctl)> SystemConfig { get; init; }
    public bool HaveBpfSyscall { get; init; }
    public required IReadOnlyList<(BpfProgramType Type, bool Available)> ProgramTypes { get; init; }
    public required IReadOnlyList<(BpfMapType Type, bool Available)> MapTypes { get; init; }
    public required IReadOnlyList<(BpfProgramType Type, HelperProbeStatus Status, IReadOnlyList<string> Helpers)> Helpers { get; init; }
    public bool LargeInsnLimit { get; init; }
    public bool BoundedLoops { get; init; }
    public bool IsaV2 { get; init; }
    public bool IsaV3 { get; init; }
}

/// <summary>
/// Probes what the running kernel supports, the way libbpf/bpftool do (load a minimal program, create a minimal map),
/// but judging helpers by the verifier's current messages: a helper the program type may not call is reported
/// as unavailable whether the kernel says "unknown func" (old kernels) or "program of this type cannot use helper" (6.x).
/// </summary>
public static unsafe class FeatureProbe
{
    private static readonly string[] Sysctls = ["unprivileged_bpf_disabled", "bpf_jit_enable", "bpf_jit_harden", "bpf_jit_kallsyms", "bpf_jit_limit"];

    /// <summary>The kernel config options bpftool reports, in its order.</summary>
    public static readonly string[] ConfigOptions =
    [
        "CONFIG_BPF", "CONFIG_BPF_SYSCALL", "CONFIG_HAVE_EBPF_JIT", "CONFIG_BPF_JIT", "CONFIG_BPF_JIT_ALWAYS_ON", "CONFIG_DEBUG_INFO_BTF",
        "CONFIG_DEBUG_INFO_BTF_MODULES", "CONFIG_CGROUPS", "CONFIG_CGROUP_BPF", "CONFIG_CGROUP_NET_CLASSID", "CONFIG_SOCK_CGROUP_DATA",
        "CONFIG_BPF_EVENTS", "CONFIG_KPROBE_EVENTS", "CONFIG_UPROBE_EVENTS", "CONFIG_TRACING", "CONFIG_FTRACE_SYSCALLS",
        "CONFIG_FUNCTION_ERROR_INJECTION", "CONFIG_BPF_KPROBE_OVERRIDE", "CONFIG_NET", "CONFIG_XDP_SOCKETS", "CONFIG_LWTUNNEL_BPF",
        "CONFIG_NET_ACT_BPF", "CONFIG_NET_CLS_BPF", "CONFIG_NET_CLS_ACT", "CONFIG_NET_SCH_INGRESS", "CONFIG_XFRM", "CONFIG_IP_ROUTE_CLASSID",
        "CONFIG_IPV6_SEG6_BPF", "CONFIG_BPF_LIRC_MODE2", "CONFIG_BPF_STREAM_PARSER", "CONFIG_NETFILTER_XT_MATCH_BPF", "CONFIG_BPFILTER",
        "CONFIG_BPFILTER_UMH", "CONFIG_TEST_BPF", "CONFIG_HZ",
    ];

    /// <summary>Helpers bpftool leaves out unless asked for "full": calling them in a probe writes to the kernel log or user memory.</summary>
    private static readonly string[] NoisyHelpers = ["bpf_trace_printk", "bpf_trace_vprintk", "bpf_probe_write_user"];

    /// <param name="full">also probe bpf_trace_printk, bpf_trace_vprintk and bpf_probe_write_user (bpftool's "full").</param>
    public static FeatureReport ProbeKernel(bool probeHelpers = true, bool full = false)
    {
        MemoryLimits.EnsureMemlockForBpf();
        var config = new List<(string, long?, string?, bool)>();
        foreach (var name in Sysctls)
            config.Add((name, ReadSysctl(name), null, true));
        foreach (var name in ConfigOptions)
            config.Add((name, null, KernelConfig.Option(name), false));

        var programTypes = Enum.GetValues<BpfProgramType>().Where(t => t != BpfProgramType.Unspec)
            .Select(t => (t, ProgramTypeAvailable(t))).ToList();
        var mapTypes = Enum.GetValues<BpfMapType>().Where(t => t != BpfMapType.Unspec)
            .Select(t => (t, MapTypeAvailable(t))).ToList();
        var helpers = new List<(BpfProgramType, HelperProbeStatus, IReadOnlyList<string>)>();
        if (probeHelpers)
        {
            foreach (var (type, available) in programTypes)
            {
                if (!available)
                    helpers.Add((type, HelperProbeStatus.ProgramTypeNotSupported, []));
                else if (ProbeTarget(type) is not { } target)
                    helpers.Add((type, HelperProbeStatus.CouldNotDetermine, []));
                else
                    helpers.Add((type, HelperProbeStatus.Probed, AvailableHelpers(type, target, full)));
            }
        }
        return new FeatureReport
        {
            SystemConfig = config,
            HaveBpfSyscall = true,
            ProgramTypes = programTypes,
            MapTypes = mapTypes,
            Helpers = helpers,
            LargeInsnLimit = LoadsOk(BpfProgramType.SchedCls, [.. Enumerable.Repeat(Mov(0, 1), 4096), Exit]),
            BoundedLoops = LoadsOk(BpfProgramType.SocketFilter, [Mov(0, 10), Insn(0x17, 0, 0, 0, 1), Insn(0x55, 0, 0, -2, 0), Exit]),
            IsaV2 = LoadsOk(BpfProgramType.SocketFilter, [Mov(0, 0), Insn(0xa5, 0, 0, 1, 0), Mov(0, 1), Exit]),
            IsaV3 = LoadsOk(BpfProgramType.SocketFilter, [Mov(0, 0), Insn(0xa6, 0, 0, 1, 0), Mov(0, 1), Exit]),
        };
    }

    /// <summary>libbpf's FEAT_BPF_COOKIE (the LINUX_HAS_BPF_COOKIE kconfig): a kprobe program may call bpf_get_attach_cookie (5.15).</summary>
    public static bool HasBpfCookie => BpfCookie.Value;

    private static readonly Lazy<bool> BpfCookie = new(() => LoadsOk(BpfProgramType.Kprobe, [Insn(0x85, 0, 0, 0, 174), Exit]));

    private static ulong Insn(byte op, byte dst, byte src, short off, int imm) =>
        op | ((ulong)(byte)(dst | (src << 4)) << 8) | ((ulong)(ushort)off << 16) | ((ulong)(uint)imm << 32);

    private static ulong Mov(byte dst, int imm) => Insn(0xb7, dst, 0, 0, imm);
    private static readonly ulong Exit = Insn(0x95, 0, 0, 0, 0);

    private static long? ReadSysctl(string name)
    {
        try
        {
            return long.TryParse(File.ReadAllText($"/proc/sys/net/core/{name}").Trim(), out var v) ? v
                : long.TryParse(File.ReadAllText($"/proc/sys/kernel/{name}").Trim(), out v) ? v : -1;
        }
        catch (IOException)
        {
            try { return long.TryParse(File.ReadAllText($"/proc/sys/kernel/{name}").Trim(), out var v) ? v : -1; }
            catch (IOException) { return -1; }
        }
        catch (UnauthorizedAccessException) { return -1; }
    }

    /// <summary>What a minimal program of a type needs to load: its expected attach type and, for tracing, an attach BTF id.</summary>
    private sealed record Target(BpfAttachType ExpectedAttach, uint AttachBtfId);

    private static Target? ProbeTarget(BpfProgramType type) => type switch
    {
        BpfProgramType.CgroupSockAddr => new(BpfAttachType.CgroupInet4Connect, 0),
        BpfProgramType.CgroupSockopt => new(BpfAttachType.CgroupGetsockopt, 0),
        BpfProgramType.SkLookup => new(BpfAttachType.SkLookup, 0),
        BpfProgramType.LircMode2 => new(BpfAttachType.LircMode2, 0),
        BpfProgramType.Netfilter => new(BpfAttachType.Netfilter, 0),
        BpfProgramType.Tracing => VmlinuxFunction("bpf_fentry_test1") is uint id and > 0 ? new(BpfAttachType.TraceFentry, id) : null,
        BpfProgramType.Lsm => VmlinuxFunction("bpf_lsm_file_open") is uint id and > 0 ? new(BpfAttachType.LsmMac, id) : null,
        BpfProgramType.StructOps or BpfProgramType.Ext => null,
        _ => new(0, 0),
    };

    private static readonly Lazy<BtfSpec?> Vmlinux = new(() =>
    {
        try { return BtfSpec.LoadFile("/sys/kernel/btf/vmlinux"); }
        catch (Exception e) when (e is IOException or BpfException or UnauthorizedAccessException) { return null; }
    });

    private static uint? VmlinuxFunction(string name) => Vmlinux.Value?.FindByName(name, BtfKind.Func).FirstOrDefault();

    /// <summary>
    /// A type exists when a minimal program loads, or when the verifier ran at all (it left a log: an unknown
    /// type fails before the verifier with an empty log).
    /// </summary>
    public static bool ProgramTypeAvailable(BpfProgramType type)
    {
        var target = ProbeTarget(type) ?? new Target(0, 0);
        var (fd, log) = TryLoad(type, [Mov(0, 0), Exit], target, wantLog: true);
        return fd >= 0 || log.Length > 0;
    }

    private static List<string> AvailableHelpers(BpfProgramType type, Target target, bool full)
    {
        var result = new List<string>();
        for (int id = 1; id < BpfHelperNames.Count; id++)
        {
            if (!full && NoisyHelpers.Contains(BpfHelperNames.Name(id)))
                continue;
            var (fd, log) = TryLoad(type, [Insn(0x85, 0, 0, 0, id), Exit], target, wantLog: true);
            if (fd >= 0 || !(log.Contains("invalid func ") || log.Contains("unknown func ") || log.Contains("program of this type cannot use helper ")))
                if (BpfHelperNames.Name(id) is { } name)
                    result.Add(name);
        }
        return result;
    }

    private static bool LoadsOk(BpfProgramType type, ulong[] insns) => TryLoad(type, insns, new Target(0, 0), wantLog: false).Fd >= 0;

    [ThreadStatic] private static byte[]? _log;

    private static (int Fd, string Log) TryLoad(BpfProgramType type, ulong[] insns, Target target, bool wantLog)
    {
        var log = wantLog ? _log ??= new byte[16384] : null;
        var license = "GPL\0"u8;
        fixed (ulong* p = insns)
        fixed (byte* lic = license, l = log)
        {
            if (log is not null)
                log[0] = 0;
            var attr = new ProgLoadAttr
            {
                ProgType = (uint)type,
                InsnCnt = (uint)insns.Length,
                Insns = (ulong)p,
                License = (ulong)lic,
                LogLevel = log is null ? 0u : 1u,
                LogSize = log is null ? 0u : (uint)log.Length,
                LogBuf = (ulong)l,
                ExpectedAttachType = (uint)target.ExpectedAttach,
                AttachBtfId = target.AttachBtfId,
                KernVersion = type == BpfProgramType.Kprobe ? KernelConfig.LinuxKernelVersion() : 0,
            };
            int fd = BpfSyscall.TryInvoke(BpfCommand.ProgLoad, ref attr);
            if (fd >= 0)
                LibC.close(fd);
            string text = "";
            if (log is not null)
            {
                int end = Array.IndexOf(log, (byte)0);
                text = Encoding.UTF8.GetString(log, 0, end < 0 ? log.Length : end);
            }
            return (fd, text);
        }
    }

    /// <summary>A map type exists when a minimal map of it can be created (with the shape each type insists on).</summary>
    public static bool MapTypeAvailable(BpfMapType type)
    {
        uint key = 4, value = 4, max = 1, flags = 0, btfKey = 0, btfValue = 0;
        KernelBtf? btf = null;
        KernelMap? inner = null;
        try
        {
            switch (type)
            {
                case BpfMapType.LpmTrie: key = 8; value = 8; flags = 1; break;
                case BpfMapType.StackTrace: value = 8; break;
                case BpfMapType.CgroupStorage or BpfMapType.PercpuCgroupStorage: key = 16; max = 0; break; // struct bpf_cgroup_storage_key
                case BpfMapType.Queue or BpfMapType.Stack: key = 0; break;
                case BpfMapType.BloomFilter: key = 0; break;
                case BpfMapType.Ringbuf or BpfMapType.UserRingbuf: key = 0; value = 0; max = (uint)Environment.SystemPageSize; break;
                case BpfMapType.Arena: key = 0; value = 0; max = 1; flags = 0x400; break;
                case BpfMapType.SkStorage or BpfMapType.InodeStorage or BpfMapType.TaskStorage or BpfMapType.CgrpStorage:
                    max = 0; flags = 1;
                    btf = KernelBtf.Load(StorageBtf());
                    btfKey = 1; btfValue = 2;
                    break;
                case BpfMapType.ArrayOfMaps or BpfMapType.HashOfMaps:
                    inner = KernelMap.Create("", BpfMapType.Array, 4, 4, 1);
                    break;
                case BpfMapType.StructOps:
                    // Needs a struct_ops type from vmlinux: exists when the kernel checks for one (EINVAL only on a bad type id).
                    return StructOpsMapKnown();
            }
            var attr = new MapCreateAttr
            {
                MapType = (uint)type, KeySize = key, ValueSize = value, MaxEntries = max, MapFlags = flags,
                InnerMapFd = inner is null ? 0 : (uint)inner.Fd.Value,
                BtfFd = btf is null ? 0 : (uint)btf.Fd.Value, BtfKeyTypeId = btfKey, BtfValueTypeId = btfValue,
            };
            int fd = BpfSyscall.TryInvoke(BpfCommand.MapCreate, ref attr);
            if (fd >= 0)
                LibC.close(fd);
            return fd >= 0;
        }
        catch (BpfSyscallException)
        {
            return false;
        }
        finally
        {
            btf?.Dispose();
            inner?.Dispose();
        }
    }

    private static bool StructOpsMapKnown()
    {
        var ops = Vmlinux.Value?.FindByName("bpf_struct_ops_tcp_congestion_ops", BtfKind.Struct).FirstOrDefault() ?? 0;
        if (ops == 0)
            return false;
        var attr = new MapCreateAttr { MapType = (uint)BpfMapType.StructOps, KeySize = 4, ValueSize = 0, MaxEntries = 1, BtfVmlinuxValueTypeId = ops };
        int fd = BpfSyscall.TryInvoke(BpfCommand.MapCreate, ref attr);
        if (fd >= 0)
            LibC.close(fd);
        // A wrong value size is refused with EINVAL after the type was recognised; an unknown map type never gets that far.
        return fd >= 0 || -fd is Errno.EINVAL or Errno.ENOTSUPP;
    }

    /// <summary>BTF with "int" (id 1) and "struct val { int cnt; }" (id 2) for local-storage maps.</summary>
    private static byte[] StorageBtf()
    {
        var strings = "\0int\0val\0cnt\0"u8.ToArray();
        var types = new List<byte>();
        void U32(uint v) => types.AddRange(BitConverter.GetBytes(v));
        U32(1); U32(1u << 24); U32(4); U32((1u << 24) | 32);      // [1] int: 4 bytes, signed, 32 bits
        U32(5); U32((4u << 24) | 1); U32(4);                        // [2] struct val, 1 member, 4 bytes
        U32(9); U32(1); U32(0);                                     // cnt: int at bit 0
        var header = new List<byte>();
        header.AddRange(BitConverter.GetBytes((ushort)0xeb9f)); header.Add(1); header.Add(0);
        header.AddRange(BitConverter.GetBytes(24u)); header.AddRange(BitConverter.GetBytes(0u));
        header.AddRange(BitConverter.GetBytes((uint)types.Count)); header.AddRange(BitConverter.GetBytes((uint)types.Count));
        header.AddRange(BitConverter.GetBytes((uint)strings.Length));
        return [.. header, .. types, .. strings];
    }
}
