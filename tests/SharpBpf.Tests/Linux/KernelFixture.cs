using SharpBpf.Isa;
using SharpBpf.Linux;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux;

/// <summary>A private bpf filesystem for one test class, mounted on a temp dir and unmounted at the end.</summary>
public sealed class PrivateBpfFs : IDisposable
{
    public PrivateBpfFs()
    {
        Requirements.Kernel();
        Path = Directory.CreateTempSubdirectory("sharpbpf-bpffs-").FullName;
        BpfFs.EnsureMounted(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            BpfFs.Unmount(Path);
            Directory.Delete(Path, recursive: true);
        }
        catch (Exception e) when (e is BpfException or IOException)
        {
        }
    }
}

/// <summary>Tiny programs written instruction by instruction.</summary>
internal static class Asm
{
    public static Instruction Mov64(byte dst, int imm) => new(0xb7, dst, 0, 0, imm);
    public static Instruction Mov64Reg(byte dst, byte src) => new(0xbf, dst, src, 0, 0);
    public static Instruction Exit() => new(0x95, 0, 0, 0, 0);
    public static Instruction Call(int helper) => new(0x85, 0, 0, 0, helper);
    public static Instruction AddImm(byte dst, int imm) => new(0x07, dst, 0, 0, imm);
    public static Instruction StoreW(byte dst, short off, int imm) => new(0x62, dst, 0, off, imm);

    /// <summary>ld_imm64 dst, map fd (BPF_PSEUDO_MAP_FD): two slots.</summary>
    public static Instruction[] LoadMapFd(byte dst, int fd) => [new(0x18, dst, 1, 0, fd), new(0, 0, 0, 0, 0)];

    public static Instruction[] Return(int value) => [Mov64(0, value), Exit()];
}

/// <summary>Names objects so concurrent test runs and other sessions' objects never collide.</summary>
internal static class TestNames
{
    private static int _counter;

    public static string Unique(string prefix) => $"{prefix}{Interlocked.Increment(ref _counter) % 1000}";
}
