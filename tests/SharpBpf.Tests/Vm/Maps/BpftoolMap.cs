using System.Diagnostics;
using System.Text.Json;
using SharpBpf.Objects;

namespace SharpBpf.Tests.Vm.Maps;

/// <summary>
/// A real kernel map driven through bpftool: the oracle for the VM maps. Each operation returns the errno
/// the kernel gave (bpftool exits with -errno) and, for reads, the bytes (per-CPU values concatenated with
/// each CPU's value padded to 8 bytes, the syscall's layout).
/// </summary>
public sealed class BpftoolMap
{
    private readonly string _pin;
    private readonly MapSpec _spec;

    private BpftoolMap(string pin, MapSpec spec)
    {
        _pin = pin;
        _spec = spec;
    }

    /// <summary>Creates the map; returns it, or the errno of the refusal.</summary>
    public static (BpftoolMap? Map, int Errno) Create(BpffsMount fs, MapSpec spec, string? extraArgs = null)
    {
        var pin = Path.Combine(fs.Path, spec.Name);
        var type = spec.Type switch
        {
            BpfMapType.PercpuHash => "percpu_hash",
            BpfMapType.PercpuArray => "percpu_array",
            BpfMapType.LruHash => "lru_hash",
            BpfMapType.LruPercpuHash => "lru_percpu_hash",
            BpfMapType.LpmTrie => "lpm_trie",
            BpfMapType.BloomFilter => "bloom_filter",
            BpfMapType.Queue => "queue",
            BpfMapType.Stack => "stack",
            BpfMapType.Ringbuf => "ringbuf",
            BpfMapType.Array => "array",
            BpfMapType.Hash => "hash",
            BpfMapType.ProgArray => "prog_array",
            BpfMapType.PerfEventArray => "perf_event_array",
            BpfMapType.ArrayOfMaps => "array_of_maps",
            BpfMapType.HashOfMaps => "hash_of_maps",
            _ => BpfNames.MapType(spec.Type),
        };
        var args = $"map create {pin} type {type} key {spec.KeySize} value {spec.ValueSize} entries {spec.MaxEntries} name {spec.Name} flags {spec.Flags}";
        // bpftool 7.1 has no map_extra argument: bloom filters get the kernel's default hash count.
        if (extraArgs is not null)
            args += " " + extraArgs;
        var (rc, _) = Run(args);
        return rc == 0 ? (new BpftoolMap(pin, spec), 0) : (null, rc);
    }

    /// <summary>The bpffs path the map is pinned at.</summary>
    public string PinPath => _pin;

    /// <summary>max_entries as the kernel reports it (bpftool map show).</summary>
    public int MaxEntries() => JsonDocument.Parse(Run($"map show pinned {_pin}").Json).RootElement.GetProperty("max_entries").GetInt32();

    /// <summary>Stores another pinned map as the value (maps of maps).</summary>
    public int UpdateWithMap(byte[] key, BpftoolMap inner, string flags = "any") =>
        Run($"map update pinned {_pin}{Key(key)} value pinned {inner.PinPath} {flags}").Errno;

    public int Update(byte[] key, byte[] value, string flags = "any") =>
        Run($"map update pinned {_pin}{Key(key)} value hex {Hex(value)} {flags}").Errno;

    public int Delete(byte[] key) => Run($"map delete pinned {_pin}{Key(key)}").Errno;

    public (int Errno, byte[]? Value) Lookup(byte[] key) => ReadValue($"map lookup pinned {_pin}{Key(key)}");

    public (int Errno, byte[]? Next) GetNext(byte[]? key)
    {
        var (rc, json) = Run($"map getnext pinned {_pin}{(key is null ? "" : Key(key))}");
        return rc != 0 ? (rc, null) : (0, Bytes(JsonDocument.Parse(json).RootElement.GetProperty("next_key")));
    }

    /// <summary>Push through "map update" without a key, which (unlike "map push") passes the flags.</summary>
    public int PushWithFlags(byte[] value, string flags) => Run($"map update pinned {_pin} value hex {Hex(value)} {flags}").Errno;

    public int Push(byte[] value) => Run($"map push pinned {_pin} value hex {Hex(value)}").Errno;
    public (int Errno, byte[]? Value) Pop() => ReadValue($"map pop pinned {_pin}");
    public (int Errno, byte[]? Value) Peek() => ReadValue($"map peek pinned {_pin}");

    /// <summary>Every (key, value) in the kernel's iteration order.</summary>
    public List<(byte[] Key, byte[] Value)> Dump()
    {
        var (rc, json) = Run($"map dump pinned {_pin}");
        if (rc != 0)
            throw new InvalidOperationException($"bpftool dump failed: {rc}");
        return JsonDocument.Parse(json).RootElement.EnumerateArray().Select(e => (Bytes(e.GetProperty("key")), Value(e))).ToList();
    }

    private (int, byte[]?) ReadValue(string args)
    {
        var (rc, json) = Run(args);
        if (rc != 0)
            return (rc, null);
        var root = JsonDocument.Parse(json).RootElement;
        return root.ValueKind == JsonValueKind.Null ? (Errno.ENOENT, null) : (0, Value(root));
    }

    private byte[] Value(JsonElement e)
    {
        if (e.TryGetProperty("value", out var v))
            return Bytes(v);
        var stride = (_spec.ValueSize + 7) & ~7;
        var cpus = e.GetProperty("values").EnumerateArray().ToList();
        var all = new byte[stride * cpus.Count];
        foreach (var c in cpus)
            Bytes(c.GetProperty("value")).CopyTo(all, c.GetProperty("cpu").GetInt32() * stride);
        return all;
    }

    private static byte[] Bytes(JsonElement arr) =>
        arr.EnumerateArray().Select(x => Convert.ToByte(x.GetString()!, 16)).ToArray();

    private static string Key(byte[] key) => key.Length == 0 ? "" : $" key hex {Hex(key)}";

    private static string Hex(byte[] b) => string.Join(' ', b.Select(x => x.ToString("x2")));

    private static (int Errno, string Json) Run(string args)
    {
        var psi = new ProcessStartInfo("bpftool") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-j");
        foreach (var a in args.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode == 0)
            return (0, stdout);
        // bpftool reports the strerror text of the failing bpf() call ({"error": "...: File exists"}) and usually,
        // but not for map create, exits with the negated errno.
        var message = stdout.Contains("\"error\"") ? JsonDocument.Parse(stdout).RootElement.GetProperty("error").GetString() ?? "" : "";
        var known = StrError.FirstOrDefault(e => message.EndsWith(e.Text, StringComparison.Ordinal));
        return (known.Text is not null ? known.Errno : 256 - p.ExitCode, stdout);
    }

    private static readonly (string Text, int Errno)[] StrError =
    [
        ("Operation not permitted", Errno.EPERM), ("No such file or directory", Errno.ENOENT),
        ("Argument list too long", Errno.E2BIG), ("Cannot allocate memory", Errno.ENOMEM),
        ("File exists", Errno.EEXIST), ("Invalid argument", Errno.EINVAL), ("No space left on device", Errno.ENOSPC),
        ("Operation not supported", Errno.EOPNOTSUPP), ("Unknown error 524", Errno.ENOTSUPP),
        ("Bad file descriptor", Errno.EBADF), ("Resource temporarily unavailable", Errno.EAGAIN),
    ];
}
