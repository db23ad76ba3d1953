using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace SharpBpf.Linux.Usdt;

/// <summary>
/// The two maps libbpf's usdt.bpf.h reads, found among a loaded program's maps: <c>__bpf_usdt_specs</c> (spec id →
/// struct __bpf_usdt_spec) and <c>__bpf_usdt_ip_to_spec_id</c> (probe address → spec id, for kernels without BPF
/// cookies). Spec ids are handed out per specs map, in this process.
/// </summary>
internal sealed class UsdtSpecMaps : IDisposable
{
    /// <summary>sizeof(struct __bpf_usdt_spec): 12 arg specs of 16 bytes, the u64 cookie, the short count, padding.</summary>
    public const int SpecSize = 208;

    private static readonly Dictionary<uint, HashSet<int>> UsedIds = [];

    private UsdtSpecMaps(KernelMap specs, KernelMap? ipToSpec)
    {
        Specs = specs;
        IpToSpec = ipToSpec;
    }

    public KernelMap Specs { get; }
    public KernelMap? IpToSpec { get; }

    /// <summary>Finds the maps through the program's map ids (kernel map names are cut to 15 characters).</summary>
    public static UsdtSpecMaps Of(SafeHandle program, string what)
    {
        var lease = new FdLease(program, what);
        uint[] mapIds;
        try
        {
            mapIds = KernelObjectInfo.GetProgramInfo(new BpfFd(lease.Fd, ownsHandle: false)).MapIds;
        }
        finally
        {
            lease.Dispose();
        }
        KernelMap? specs = null, ips = null;
        foreach (var id in mapIds)
        {
            var fd = BpfSyscall.TryGetFdById(BpfObjectKind.Map, id);
            if (fd is null)
                continue;
            var map = KernelMap.FromFd(fd);
            if (specs is null && "__bpf_usdt_specs".StartsWith(map.Info.Name, StringComparison.Ordinal) && map.Info.Name.Length >= 15)
                specs = map;
            else if (ips is null && "__bpf_usdt_ip_to_spec_id".StartsWith(map.Info.Name, StringComparison.Ordinal) && map.Info.Name.Length >= 15)
                ips = map;
            else
                map.Dispose();
        }
        if (specs is null)
        {
            ips?.Dispose();
            throw new BpfHookSpecException(
                $"{what}: the program uses no __bpf_usdt_specs map; write it with libbpf's <bpf/usdt.bpf.h> (BPF_USDT, bpf_usdt_arg)");
        }
        if (specs.ValueSize != SpecSize || specs.KeySize != 4)
            throw new BpfHookSpecException($"{what}: __bpf_usdt_specs has {specs.KeySize}-byte keys and {specs.ValueSize}-byte values; " +
                $"this loader writes libbpf 1.x's layout (4 and {SpecSize})");
        return new UsdtSpecMaps(specs, ips);
    }

    /// <summary>Takes the lowest free spec id and writes the spec there.</summary>
    public int Add(byte[] spec)
    {
        int id;
        lock (UsedIds)
        {
            if (!UsedIds.TryGetValue(Specs.Id, out var used))
                UsedIds[Specs.Id] = used = [];
            id = Enumerable.Range(0, Specs.MaxEntries).FirstOrDefault(i => !used.Contains(i), -1);
            if (id < 0)
                throw new BpfHookSpecException(
                    $"all {Specs.MaxEntries} USDT spec slots of this object are in use (raise BPF_USDT_MAX_SPEC_CNT in the BPF program)");
            used.Add(id);
        }
        Specs.Update(BitConverter.GetBytes(id), spec);
        return id;
    }

    public void Release(int id)
    {
        lock (UsedIds)
            if (UsedIds.TryGetValue(Specs.Id, out var used))
                used.Remove(id);
    }

    /// <summary>Encodes struct __bpf_usdt_spec for a probe's arguments and the caller's cookie.</summary>
    public static byte[] Encode(IReadOnlyList<UsdtArgument> args, ulong cookie)
    {
        var b = new byte[SpecSize];
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            var at = b.AsSpan(i * 16, 16);
            BinaryPrimitives.WriteInt64LittleEndian(at, a.Value);
            BinaryPrimitives.WriteUInt32LittleEndian(at[8..], (uint)a.Kind);
            BinaryPrimitives.WriteInt16LittleEndian(at[12..], (short)Math.Max(0, a.PtRegsOffset));
            at[14] = a.Signed ? (byte)1 : (byte)0;
            at[15] = (byte)(64 - a.Bytes * 8);
        }
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(192), cookie);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(200), (short)args.Count);
        return b;
    }

    public void Dispose()
    {
        Specs.Dispose();
        IpToSpec?.Dispose();
    }
}
