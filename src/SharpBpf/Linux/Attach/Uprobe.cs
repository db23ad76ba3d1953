using System.Runtime.InteropServices;
using System.Text;

namespace SharpBpf.Linux.Attach;

/// <summary>
/// Attaches BPF_PROG_TYPE_KPROBE programs to user functions through the uprobe PMU
/// (/sys/bus/event_source/devices/uprobe: config1 = path, config2 = file offset, the retprobe config bit).
/// </summary>
public static unsafe class Uprobe
{
    /// <summary>Where the uprobe PMU is described; a parameter so tests can point at another directory.</summary>
    public const string DefaultPmuDir = "/sys/bus/event_source/devices/uprobe";

    /// <summary>Probes <paramref name="symbol"/> (optionally versioned, plus <paramref name="offset"/> bytes) in <paramref name="binary"/>.</summary>
    /// <param name="binary">a path, a library name such as "libc.so.6", or a command on PATH.</param>
    /// <param name="pid">one process, or -1 for every process mapping the binary.</param>
    public static IBpfLink Attach(SafeHandle program, string binary, string symbol, bool retprobe = false, int pid = -1, ulong offset = 0)
    {
        var path = LibraryResolver.Resolve(binary);
        var fileOffset = ElfSymbolResolver.FileOffset(path, symbol, offset);
        return AttachAt(program, path, fileOffset, retprobe, pid, $"{(retprobe ? "uretprobe" : "uprobe")} {path}:{symbol}");
    }

    /// <summary>Probes the instruction at <paramref name="fileOffset"/> of <paramref name="path"/>.</summary>
    public static IBpfLink AttachAt(SafeHandle program, string path, ulong fileOffset, bool retprobe = false, int pid = -1, string? description = null)
    {
        description ??= $"{(retprobe ? "uretprobe" : "uprobe")} {path}+0x{fileOffset:x}";
        var perf = Open(DefaultPmuDir, path, fileOffset, retprobe, pid, description);
        return PerfEvent.AttachProgram(perf, program, pid >= 0 ? $"{description} (pid {pid})" : description);
    }

    /// <param name="refCtrOffset">file offset of a USDT semaphore the kernel increments while the probe is active, or 0.</param>
    internal static BpfFd Open(string pmuDir, string path, ulong fileOffset, bool retprobe, int pid, string description, ulong refCtrOffset = 0)
    {
        var type = PerfEvent.PmuType(pmuDir)
            ?? throw new HookNotSupportedException($"this kernel has no uprobe PMU ({pmuDir}/type is missing; CONFIG_UPROBE_EVENTS)");
        var config = retprobe ? 1UL << PerfEvent.ConfigBit(pmuDir, "retprobe") : 0;
        if (refCtrOffset != 0)
            config |= refCtrOffset << PerfEvent.ConfigFieldStart(pmuDir, "ref_ctr_offset");
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        {
            var attr = new PerfEventOpen.Attr(type, config, Config1: (ulong)p, Config2: fileOffset, SamplePeriod: 1, WakeupEvents: 1);
            return PerfEventOpen.Open(attr, pid, pid < 0 ? 0 : -1, description, e => e switch
            {
                Errno.ESRCH => $"no process {pid}",
                Errno.EINVAL => "the offset is not an instruction boundary in an executable mapping of the file",
                _ => null,
            });
        }
    }
}
