using SharpBpf.Linux;
using System.Globalization;
using SharpBpf.Linux.Attach;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux.Attach;

/// <summary>Uprobes on a gcc-built non-PIE test binary and on libc, with symbol offsets checked against readelf.</summary>
public class UprobeTests
{
    private const string Function = "sharpbpf_uprobe_target";

    private static (ulong Calls, ulong ArgSum, ulong LastReturn, ulong Returns) Counts(LoadedObject obj) =>
        (obj.ReadU64("counts", 0), obj.ReadU64("counts", 1), obj.ReadU64("counts", 2), obj.ReadU64("counts", 3));

    [SkippableFact]
    public void UprobeAndUretprobeSeeArgumentsAndReturnValues()
    {
        Requirements.Kernel();
        var binary = UserPrograms.Build("uprobe_target.c");
        using var obj = new LoadedObject("hook_uprobe.c");
        using (Uprobe.Attach(obj.Program("on_entry").Fd, binary, Function))
        using (Uprobe.Attach(obj.Program("on_return").Fd, binary, Function, retprobe: true))
        {
            var (code, stdout, _) = TestPrograms.Run(binary, ["5"]);
            Assert.Equal(0, code);
            Assert.Equal("35", stdout.Trim());  // sum of 2i+1 for i = 1..5
        }
        Assert.Equal((5UL, 15UL, 11UL, 5UL), Counts(obj));
        Assert.True(StopsCounting(obj, binary), "the uprobe still counted calls 5 s after its link was disposed");
    }

    /// <summary>
    /// The kernel drops a closed perf event's program from a workqueue, so a detach takes effect shortly after the
    /// close, not at it: true once a run of the binary no longer counts.
    /// </summary>
    private static bool StopsCounting(LoadedObject obj, string binary)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        do
        {
            var before = obj.ReadU64("counts", 0);
            TestPrograms.Run(binary, ["3"]);
            if (obj.ReadU64("counts", 0) == before)
                return true;
            Thread.Sleep(100);
        }
        while (DateTime.UtcNow < deadline);
        return false;
    }

    [SkippableFact]
    public void SectionNamesWithBinaryAndSymbolAttach()
    {
        Requirements.Kernel();
        var binary = UserPrograms.Build("uprobe_target.c");
        using var obj = new LoadedObject("hook_uprobe.c");
        using (var link = AutoAttach.Attach(obj.Program("on_return"), $"uretprobe/{binary}:{Function}"))
        {
            Assert.StartsWith("uretprobe ", link.Description);
            TestPrograms.Run(binary, ["4"]);
        }
        Assert.Equal((0UL, 0UL, 9UL, 4UL), Counts(obj));
    }

    [SkippableFact]
    public void RawFileOffsetsFromSectionNamesAttach()
    {
        Requirements.Kernel();
        var binary = UserPrograms.Build("uprobe_target.c");
        using var obj = new LoadedObject("hook_uprobe.c");
        var offset = ElfSymbolResolver.FileOffset(binary, Function);
        using (AutoAttach.Attach(obj.Program("on_entry"), $"uprobe/{binary}:0x{offset:x}"))
            TestPrograms.Run(binary, ["2"]);
        Assert.Equal((2UL, 3UL), (obj.ReadU64("counts", 0), obj.ReadU64("counts", 1)));
    }

    [SkippableFact]
    public void APidFilterLimitsTheProbeToOneProcess()
    {
        Requirements.Kernel();
        var binary = UserPrograms.Build("uprobe_target.c");
        using var obj = new LoadedObject("hook_uprobe.c");
        // Only this test process may hit it: the binary, another process, must not count.
        using (Uprobe.Attach(obj.Program("on_entry").Fd, binary, Function, pid: Environment.ProcessId))
            TestPrograms.Run(binary, ["6"]);
        Assert.Equal(0UL, obj.ReadU64("counts", 0));
        // libc's getpid probed in this process only: our calls count.
        using (Uprobe.Attach(obj.Program("on_entry").Fd, "libc.so.6", "getpid", pid: Environment.ProcessId))
            TracingHookTests.CallGetpid(7);
        Assert.True(obj.ReadU64("counts", 0) >= 7);
    }

    [SkippableFact]
    public void SymbolOffsetsMatchReadelf()
    {
        var readelf = Requirements.Tool("readelf");
        var binary = UserPrograms.Build("uprobe_target.c");
        var libc = LibraryResolver.Resolve("libc.so.6");
        Assert.Equal(ReadelfOffset(readelf, binary, Function, dynamic: false), ElfSymbolResolver.FileOffset(binary, Function));
        Assert.NotEqual(ReadelfValue(readelf, binary, Function, false), ElfSymbolResolver.FileOffset(binary, Function));  // non-PIE: vaddr ≠ offset

        Assert.Equal(ReadelfOffset(readelf, libc, "malloc@@GLIBC_2.2.5", dynamic: true), ElfSymbolResolver.FileOffset(libc, "malloc"));
        Assert.Equal(ElfSymbolResolver.FileOffset(libc, "malloc"), ElfSymbolResolver.FileOffset(libc, "malloc@@GLIBC_2.2.5"));
        Assert.Equal(ElfSymbolResolver.FileOffset(libc, "malloc"), ElfSymbolResolver.FileOffset(libc, "malloc@GLIBC_2.2.5"));
        // memcpy has an old and a default version: the plain name means the default one.
        Assert.Equal(ReadelfOffset(readelf, libc, "memcpy@@GLIBC_2.14", true), ElfSymbolResolver.FileOffset(libc, "memcpy"));
        Assert.Equal(ReadelfOffset(readelf, libc, "memcpy@GLIBC_2.2.5", true), ElfSymbolResolver.FileOffset(libc, "memcpy@GLIBC_2.2.5"));
        Assert.NotEqual(ElfSymbolResolver.FileOffset(libc, "memcpy"), ElfSymbolResolver.FileOffset(libc, "memcpy@GLIBC_2.2.5"));
    }

    [Fact]
    public void BadTargetsAreExplained()
    {
        var self = typeof(UprobeTests).Assembly.Location;  // a PE file, not ELF
        Assert.Throws<BpfFormatException>(() => ElfSymbolResolver.FileOffset(self, "main"));
        var e = Assert.Throws<BpfHookSpecException>(() => ElfSymbolResolver.FileOffset("/bin/sh", "no_such_function_here"));
        Assert.Contains("no_such_function_here", e.Message);
        Assert.Throws<BpfHookSpecException>(() => LibraryResolver.Resolve("libdoesnotexist.so.9"));
        Assert.Throws<BpfHookSpecException>(() => LibraryResolver.Resolve("/no/such/binary"));
        Assert.Throws<BpfFormatException>(() => ElfSymbolResolver.FileOffset(new byte[10], "x"));
    }

    [Fact]
    public void LibrariesResolveThroughLdSoCache()
    {
        Skip.IfNot(File.Exists("/etc/ld.so.cache"), "no /etc/ld.so.cache");
        var fromCache = LibraryResolver.FromLdCache(File.ReadAllBytes("/etc/ld.so.cache"), "libc.so.6");
        Assert.NotNull(fromCache);
        Assert.True(File.Exists(fromCache));
        Assert.Equal(fromCache, LibraryResolver.Resolve("libc.so.6"));
        Assert.Null(LibraryResolver.FromLdCache(File.ReadAllBytes("/etc/ld.so.cache"), "libnothing.so.1"));
    }

    private static ulong ReadelfValue(string readelf, string file, string symbol, bool dynamic)
    {
        var (_, stdout, _) = TestPrograms.Run(readelf, ["-W", dynamic ? "--dyn-syms" : "--syms", file]);
        var line = stdout.Split('\n').First(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is { Length: >= 8 } f && f[7] == symbol);
        return ulong.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    /// <summary>The file offset readelf's program headers give for the symbol's address.</summary>
    private static ulong ReadelfOffset(string readelf, string file, string symbol, bool dynamic)
    {
        var value = ReadelfValue(readelf, file, symbol, dynamic);
        var (_, stdout, _) = TestPrograms.Run(readelf, ["-W", "-l", file]);
        foreach (var line in stdout.Split('\n'))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f is not ["LOAD", ..] || f.Length < 6)
                continue;
            ulong Hex(string s) => ulong.Parse(s[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var (offset, vaddr, memsz) = (Hex(f[1]), Hex(f[2]), Hex(f[5]));
            if (value >= vaddr && value < vaddr + memsz)
                return value - vaddr + offset;
        }
        throw new InvalidOperationException($"readelf: {symbol} in no LOAD segment");
    }
}
