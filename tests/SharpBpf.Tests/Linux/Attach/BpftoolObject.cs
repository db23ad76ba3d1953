using System.Runtime.InteropServices;
using SharpBpf.Linux.Attach;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux.Attach;

/// <summary>
/// Loads a compiled test program into the kernel with `bpftool prog loadall` into a private bpffs mount and opens
/// the pinned programs and maps (BPF_OBJ_GET). Stands in for the kernel loader until that lands. Dispose unmounts.
/// </summary>
internal sealed class BpftoolObject : IDisposable
{
    private readonly string _dir;
    private readonly List<SafeHandle> _handles = [];

    public BpftoolObject(string sourceFile)
    {
        var bpftool = Requirements.Tool("bpftool");
        var obj = TestPrograms.Compile(sourceFile);
        _dir = Path.Combine(Path.GetTempPath(), $"sharpbpf-hooks-{Environment.ProcessId}-{Guid.NewGuid():N}"[..48]);
        Directory.CreateDirectory(_dir);
        if (NativeCalls.mount("bpf", _dir, "bpf", 0, 0) != 0)
            throw new InvalidOperationException($"mount bpffs at {_dir}: errno {Marshal.GetLastPInvokeError()}");
        var (code, stdout, stderr) = TestPrograms.Run(bpftool, ["prog", "loadall", obj, Path.Combine(_dir, "p"), "pinmaps", Path.Combine(_dir, "m")]);
        if (code != 0)
        {
            Dispose();
            throw new InvalidOperationException($"bpftool prog loadall {sourceFile} failed:\n{stdout}\n{stderr}");
        }
    }

    /// <summary>The bpffs directory (pins of links created by tests may go here).</summary>
    public string BpffsDir => _dir;

    public SafeHandle Program(string name) => Open(Path.Combine(_dir, "p", name));

    public SafeHandle Map(string name) => Open(Path.Combine(_dir, "m", name));

    private SafeHandle Open(string path)
    {
        var h = BpfCalls.ObjGet(path);
        _handles.Add(h);
        return h;
    }

    public ulong ReadU64(string map, uint key)
    {
        var fd = (int)Map(map).DangerousGetHandle();
        Span<byte> value = stackalloc byte[8];
        Assert.True(BpfCalls.MapLookup(fd, BitConverter.GetBytes(key), value));
        return BitConverter.ToUInt64(value);
    }

    public void WriteU64(string map, uint key, ulong value) =>
        BpfCalls.MapUpdate((int)Map(map).DangerousGetHandle(), BitConverter.GetBytes(key), BitConverter.GetBytes(value), map);

    public void Dispose()
    {
        foreach (var h in _handles)
            h.Dispose();
        NativeCalls.umount2(_dir, 2 /* MNT_DETACH */);
        try
        {
            Directory.Delete(_dir);
        }
        catch (IOException)
        {
        }
    }
}
