using System.Runtime.InteropServices;
using SharpBpf.Linux;
using SharpBpf.Maps;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Cli;

/// <summary>
/// `sharpbpf prog loadall OBJECT PINDIR pinmaps MAPDIR autoattach`: the links are pinned under PINDIR, so the tracepoint
/// program keeps counting after the CLI has exited, and removing the pins detaches it.
/// </summary>
public sealed partial class LoadallAutoattachTests
{
    [SkippableFact]
    public void PinnedLinksOutliveTheCliAndRemovingThemDetaches()
    {
        Requirements.Kernel();
        var obj = TestPrograms.Compile("hook_tracepoint_getpid.c");
        var root = Path.Combine(BpfFs.DefaultPath, $"sharpbpf-test-autoattach-{Environment.ProcessId}");
        var progDir = Path.Combine(root, "progs");
        var mapDir = Path.Combine(root, "maps");
        try
        {
            var (code, _, stderr) = SharpBpfCli.Run("prog", "loadall", obj, progDir, "pinmaps", mapDir, "autoattach");
            Assert.True(code == 0, stderr);
            var pinned = Path.Combine(progDir, "count_getpid");
            Assert.True(File.Exists(pinned));

            // The pin is a link (bpftool link show would list it), not the program itself.
            using (var link = SharpBpf.Linux.Attach.BpfLink.FromPin(pinned))
                Assert.Equal(SharpBpf.Linux.Attach.BpfLinkType.PerfEvent, link.Info().Type);

            using var config = KernelMap.OpenPinned(Path.Combine(mapDir, "config"));
            using var counts = KernelMap.OpenPinned(Path.Combine(mapDir, "counts"));
            var count = new BpfMap<uint, ulong>(counts);
            ulong counted = 0;
            bool detached = false;
            var worker = new Thread(() =>
            {
                new BpfMap<uint, ulong>(config)[0] = (ulong)gettid(); // the program counts this thread's getpid() only
                for (int i = 0; i < 10; i++)
                    getpid();
                counted = count[0];
                Directory.Delete(progDir, recursive: true); // the last reference to the link
                // The kernel frees an unpinned link from a workqueue: wait until a batch of calls goes uncounted.
                var deadline = DateTime.UtcNow.AddSeconds(5);
                while (!detached && DateTime.UtcNow < deadline)
                {
                    var before = count[0];
                    for (int i = 0; i < 10; i++)
                        getpid();
                    detached = count[0] == before;
                    if (!detached)
                        Thread.Sleep(20);
                }
            });
            worker.Start();
            worker.Join();
            Assert.Equal(10UL, counted); // counted while only the pin held the link, after the CLI had exited
            Assert.True(detached, "the program still runs 5 s after its link's pin was removed");
        }
        finally
        {
            if (Directory.Exists(root))
                Directory.Delete(root, recursive: true);
        }
    }

    [SkippableFact]
    public void WithoutAutoattachProgramsArePinnedAsPrograms()
    {
        Requirements.Kernel();
        var obj = TestPrograms.Compile("hook_tracepoint_getpid.c");
        var root = Path.Combine(BpfFs.DefaultPath, $"sharpbpf-test-loadall-{Environment.ProcessId}");
        try
        {
            var (code, _, stderr) = SharpBpfCli.Run("prog", "loadall", obj, root);
            Assert.True(code == 0, stderr);
            using var program = KernelProgram.OpenPinned(Path.Combine(root, "count_getpid"));
            Assert.Equal(BpfProgramType.Tracepoint, program.Type);
        }
        finally
        {
            if (Directory.Exists(root))
                Directory.Delete(root, recursive: true);
        }
    }

    [LibraryImport("libc")]
    private static partial int getpid();

    [LibraryImport("libc")]
    private static partial int gettid();
}
