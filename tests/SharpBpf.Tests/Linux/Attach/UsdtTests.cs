using SharpBpf.Linux;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using SharpBpf.Linux.Attach;
using SharpBpf.Linux.Usdt;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux.Attach;

/// <summary>
/// USDT probes in a gcc-built executable and shared library (tests/userprograms/usdt_*.c, &lt;sys/sdt.h&gt;), read
/// against readelf -n, and attached to handlers written with libbpf's usdt.bpf.h (tests/programs/usdt_args.c).
/// </summary>
public partial class UsdtTests
{
    private static readonly object Gate = new();

    /// <summary>Builds libusdt_lib.so and the usdt_target executable linked to it (cached by source hash).</summary>
    private static (string Exe, string Lib) Binaries()
    {
        var gcc = Requirements.Tool("gcc");
        if (!File.Exists("/usr/include/x86_64-linux-gnu/sys/sdt.h") && !File.Exists("/usr/include/sys/sdt.h"))
            Requirements.Tool("dtrace");  // systemtap-sdt-dev ships both; fails in CI when it is missing
        var dir = Path.Combine(TestPrograms.RepoRoot, "tests", "userprograms");
        string exeSource = Path.Combine(dir, "usdt_target.c"), libSource = Path.Combine(dir, "usdt_lib.c");
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(File.ReadAllText(exeSource) + File.ReadAllText(libSource))))[..16].ToLowerInvariant();
        var output = Path.Combine(TestPrograms.CacheDir, $"usdt.{key}");
        var (exe, lib) = (Path.Combine(output, "usdt_target"), Path.Combine(output, "libusdt_lib.so"));
        lock (Gate)
        {
            if (File.Exists(exe))
                return (exe, lib);
            var temp = output + $".{Environment.ProcessId}.tmp";
            Directory.CreateDirectory(temp);
            Gcc(gcc, "-O2", "-g", "-Wall", "-Werror", "-fPIC", "-shared", libSource, "-o", Path.Combine(temp, "libusdt_lib.so"));
            Gcc(gcc, "-O2", "-g", "-no-pie", "-fno-pie", "-Wall", "-Werror", "-DUSDT_WITH_LIB", exeSource, "-L" + temp, "-lusdt_lib",
                "-Wl,-rpath," + output, "-o", Path.Combine(temp, "usdt_target"));
            if (Directory.Exists(output))
                Directory.Delete(output, true);
            Directory.Move(temp, output);
            return (exe, lib);
        }
    }

    private static void Gcc(string gcc, params string[] args)
    {
        var (code, _, stderr) = TestPrograms.Run(gcc, args);
        if (code != 0)
            throw new InvalidOperationException($"gcc failed:\n{stderr}");
    }

    private static long[] Group(LoadedObject obj, uint group) =>
        [.. Enumerable.Range(0, 8).Select(i => (long)obj.ReadU64("seen", group * 8 + (uint)i))];

    [SkippableFact]
    public void NotesMatchReadelf()
    {
        var readelf = Requirements.Tool("readelf");
        var (exe, lib) = Binaries();
        foreach (var file in new[] { exe, lib })
        {
            var (_, text, _) = TestPrograms.Run(readelf, ["-n", file]);
            var expected = ReadelfNote().Matches(text).Select(m => (
                m.Groups["p"].Value + ":" + m.Groups["n"].Value,
                ulong.Parse(m.Groups["loc"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                ulong.Parse(m.Groups["base"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                ulong.Parse(m.Groups["sem"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                m.Groups["args"].Value.Trim())).ToList();
            var probes = UsdtNotes.Read(file);
            Assert.Equal(expected, probes.Select(p => (p.FullName, p.Address, p.Base, p.Semaphore, p.ArgumentText)).ToList());
            Assert.True(expected.Count >= 2);
        }
        // The shared library maps its text at file offset = vaddr; the non-PIE executable does not.
        Assert.All(UsdtNotes.Read(lib), p => Assert.Equal(p.Address, p.FileOffset));
        Assert.All(UsdtNotes.Read(exe), p => Assert.Equal(p.Address - 0x400000, p.FileOffset));
        Assert.All(UsdtNotes.Read(lib), p => Assert.NotEqual(0UL, p.SemaphoreFileOffset));
    }

    [GeneratedRegex(@"Provider: (?<p>\S+)\s+Name: (?<n>\S+)\s+Location: 0x(?<loc>[0-9a-f]+), Base: 0x(?<base>[0-9a-f]+), Semaphore: 0x(?<sem>[0-9a-f]+)\s+Arguments: (?<args>[^\n]*)")]
    private static partial Regex ReadelfNote();

    [Fact]
    public void ArgumentSpecsParseAsLibbpfReadsThem()
    {
        var args = UsdtArgument.ParseAll("-4@%edi 8@-8(%rbp) 4@$5 -8@$-9 2@(%rsp) 1@%r9b 8@0x10(%r12)", "p:n");
        Assert.Equal(
        [
            (-4, UsdtArgumentKind.Register, "edi", 0L, 112),
            (8, UsdtArgumentKind.Memory, "rbp", -8L, 32),
            (4, UsdtArgumentKind.Constant, null, 5L, -1),
            (-8, UsdtArgumentKind.Constant, null, -9L, -1),
            (2, UsdtArgumentKind.Memory, "rsp", 0L, 152),
            (1, UsdtArgumentKind.Register, "r9b", 0L, 64),
            (8, UsdtArgumentKind.Memory, "r12", 16L, 24),
        ], args.Select(a => (a.Size, a.Kind, a.Register, a.Value, a.PtRegsOffset)).ToList<(int, UsdtArgumentKind, string?, long, int)>());
        var spec = UsdtSpecMaps.Encode(args, 0x1234);
        Assert.Equal(UsdtSpecMaps.SpecSize, spec.Length);
        // args[0]: val_off 0, REG, reg_off 112 (di), signed, bitshift 32.
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 112, 0, 1, 32 }, spec[..16]);
        Assert.Equal(-8L, BitConverter.ToInt64(spec, 16));
        Assert.Equal(0x1234UL, BitConverter.ToUInt64(spec, 192));
        Assert.Equal((short)7, BitConverter.ToInt16(spec, 200));

        foreach (var bad in new[] { "3@%eax", "4@%xmm0", "8@foo(%rip)", "4@-4(%rbp,%rax,4)", "%eax", "4@" })
            Assert.Throws<BpfFormatException>(() => UsdtArgument.ParseAll(bad, "p:n"));
        Assert.Throws<BpfFormatException>(() => UsdtArgument.ParseAll(string.Join(' ', Enumerable.Repeat("4@%eax", 13)), "p:n"));
    }

    [Fact]
    public void SectionNamesNameBinaryProviderAndProbe()
    {
        Assert.Equal(new HookSpec(HookKind.Usdt, "/usr/lib/libc.so.6", "setjmp", Provider: "libc"), HookSpec.Parse("usdt//usr/lib/libc.so.6:libc:setjmp"));
        Assert.Equal(new HookSpec(HookKind.Usdt, "/a:b/x", "n", Provider: "p"), HookSpec.Parse("usdt//a:b/x:p:n"));
        foreach (var bad in new[] { "usdt", "usdt/x", "usdt/x:p", "usdt/x::n", "usdt/x:p:", "usdt/:p:n" })
            Assert.Throws<BpfHookSpecException>(() => HookSpec.Parse(bad));
    }

    [SkippableFact]
    public void RegisterStackAndConstantArgumentsReachTheHandler()
    {
        Requirements.Kernel();
        var (exe, _) = Binaries();
        using var obj = new LoadedObject("usdt_args.c");
        using (Usdt.Attach(obj.Program("on_registers").Fd, exe, "sharpbpf", "registers", cookie: 77))
        using (AutoAttach.Attach(obj.Program("on_stack"), $"usdt/{exe}:sharpbpf:stack"))
            Assert.Equal(0, TestPrograms.Run(exe, ["5"]).ExitCode);
        // i, 2^32 i + 7, (short)-i, (u8)(200 + i), the constant 42; five arguments; the cookie.
        Assert.Equal([5, 5, 0x500000007, -5, 205, 42, 5, 77], Group(obj, 0));
        // 3i, -1000 i, (u16)(60000 + i) read from the stack frame; cookie 0 from a section name.
        Assert.Equal([5, 15, -5000, 60005, 0, 0, 3, 0], Group(obj, 1));
    }

    [SkippableFact]
    public void SharedLibraryProbesAndSemaphores()
    {
        Requirements.Kernel();
        var (exe, lib) = Binaries();
        using var obj = new LoadedObject("usdt_args.c");
        Assert.Equal("0", TestPrograms.Run(exe, ["2"]).Stdout.Trim());  // nobody attached: the gated probe is off
        using (Usdt.Attach(obj.Program("on_lib_fired").Fd, lib, "sharpbpf_lib", "fired"))
        using (Usdt.Attach(obj.Program("on_lib_gated").Fd, lib, "sharpbpf_lib", "gated"))
            Assert.Equal("4", TestPrograms.Run(exe, ["4"]).Stdout.Trim());  // the kernel raised the semaphore
        Assert.Equal([4, 4, 16, 0, 0, 0, 2, 0], Group(obj, 2));
        Assert.Equal([4, 40, 0, 0, 0, 0, 1, 0], Group(obj, 3));
        Assert.Equal("0", TestPrograms.Run(exe, ["2"]).Stdout.Trim());  // and lowered it on detach
    }

    [SkippableFact]
    public void APidLimitsTheProbeAndFillsTheAddressMap()
    {
        Requirements.Kernel();
        var (exe, _) = Binaries();
        using var obj = new LoadedObject("usdt_args.c");
        using (Usdt.Attach(obj.Program("on_registers").Fd, exe, "sharpbpf", "registers", pid: Environment.ProcessId))
        {
            TestPrograms.Run(exe, ["3"]);
            // The executable's probe address is known without a pid: it is in the ip-to-spec map for cookie-less kernels.
            var probe = UsdtNotes.Read(exe).Single(p => p.Name == "registers");
            Span<byte> id = stackalloc byte[4];
            Assert.True(obj.Map("__bpf_usdt_ip_to_spec_id").TryLookup(BitConverter.GetBytes((long)probe.Address), id));
        }
        Assert.Equal(0L, Group(obj, 0)[0]);  // only this process, which never fires it
        Assert.Empty(obj.Map("__bpf_usdt_ip_to_spec_id").Entries());  // detaching removed the address
    }

    [SkippableFact]
    public void BadTargetsAreExplained()
    {
        Requirements.Kernel();
        var (exe, _) = Binaries();
        using var obj = new LoadedObject("usdt_args.c");
        var e = Assert.Throws<BpfHookSpecException>(() => Usdt.Attach(obj.Program("on_stack").Fd, exe, "sharpbpf", "nonesuch"));
        Assert.Contains("no USDT probe sharpbpf:nonesuch", e.Message);
        using var plain = new LoadedObject("hook_uprobe.c");
        e = Assert.Throws<BpfHookSpecException>(() => Usdt.Attach(plain.Program("on_entry").Fd, exe, "sharpbpf", "stack"));
        Assert.Contains("usdt.bpf.h", e.Message);
        Assert.Empty(UsdtNotes.Read("/bin/true"));
    }

    [SkippableFact]
    public void CliListsProbes()
    {
        var (exe, lib) = Binaries();
        var (code, stdout, stderr) = SharpBpfCli.Run("usdt", "list", lib);
        Assert.True(code == 0, stderr);
        var lines = stdout.TrimEnd('\n').Split('\n');
        Assert.Equal("PROBE               ADDRESS  OFFSET  SEMAPHORE  ARGUMENTS", lines[0]);
        Assert.Matches(@"^sharpbpf_lib:fired  0x[0-9a-f]+ +0x[0-9a-f]+ +0x[0-9a-f]+ +-4@%edi -8@%rax$", lines[1]);
        (code, stdout, _) = SharpBpfCli.Run("usdt", "list", exe, "--json");
        Assert.Equal(0, code);
        var stack = JsonDocument.Parse(stdout).RootElement.EnumerateArray().Single(p => p.GetProperty("name").GetString() == "stack");
        var first = stack.GetProperty("arguments")[0];
        Assert.Equal(("memory", "rbp", -4L, 4, true), (first.GetProperty("kind").GetString(), first.GetProperty("register").GetString(),
            first.GetProperty("offset").GetInt64(), first.GetProperty("size").GetInt32(), first.GetProperty("signed").GetBoolean()));
        (code, _, stderr) = SharpBpfCli.Run("usdt", "list", "/no/such/file");
        Assert.Equal(1, code);
        Assert.StartsWith("sharpbpf: ", stderr);
    }
}
