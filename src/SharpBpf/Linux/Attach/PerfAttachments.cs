using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace SharpBpf.Linux.Attach;

/// <summary>What a perf-event or raw-tracepoint fd runs (BPF_TASK_FD_QUERY's fd_type).</summary>
public enum PerfAttachmentKind : uint
{
    RawTracepoint = 0,
    Tracepoint = 1,
    Kprobe = 2,
    Kretprobe = 3,
    Uprobe = 4,
    Uretprobe = 5,
}

/// <summary>
/// One program attached through a perf event or a raw tracepoint, as a process holds it: the process and fd, the program,
/// and where it is attached: a tracepoint name, a kernel function (+ offset) or address, a file and offset for uprobes.
/// </summary>
public sealed record PerfAttachment(int Pid, int Fd, uint ProgramId, PerfAttachmentKind Kind, string Name, ulong ProbeOffset, ulong ProbeAddress);

/// <summary>
/// Finds the programs attached through perf events and raw tracepoints (bpftool perf list): every fd of every process
/// in /proc is asked BPF_TASK_FD_QUERY; processes and fds that vanish meanwhile are skipped.
/// </summary>
public static class PerfAttachments
{
    public static List<PerfAttachment> All()
    {
        var found = new List<PerfAttachment>();
        foreach (var pid in Numbered("/proc"))
        {
            foreach (var fd in Numbered($"/proc/{pid}/fd"))
            {
                if (Query(pid, fd) is { } attachment)
                    found.Add(attachment);
            }
        }
        return found;
    }

    /// <summary>BPF_TASK_FD_QUERY on fd <paramref name="fd"/> of process <paramref name="pid"/>; null when it holds no such attachment.</summary>
    public static unsafe PerfAttachment? Query(int pid, int fd)
    {
        var buffer = new byte[256];
        fixed (byte* b = buffer)
        {
            var attr = new TaskFdQueryAttr { Pid = (uint)pid, Fd = (uint)fd, BufLen = (uint)buffer.Length, Buf = (ulong)b };
            if (BpfSyscall.TryInvoke(BpfCommand.TaskFdQuery, ref attr) < 0)
                return null;  // not a perf event or raw tracepoint with a program, or gone meanwhile
            var length = Math.Min((int)attr.BufLen, buffer.Length);
            var end = Array.IndexOf(buffer, (byte)0, 0, length);
            var name = Encoding.UTF8.GetString(buffer, 0, end < 0 ? length : end);
            return new PerfAttachment(pid, fd, attr.ProgId, (PerfAttachmentKind)attr.FdType, name, attr.ProbeOffset, attr.ProbeAddr);
        }
    }

    private static IEnumerable<int> Numbered(string directory)
    {
        string[] entries;
        try
        {
            entries = Directory.GetFileSystemEntries(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;  // the process exited while listed
        }
        var numbers = new List<int>();
        foreach (var entry in entries)
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                numbers.Add(n);
        }
        numbers.Sort();
        foreach (var n in numbers)
            yield return n;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TaskFdQueryAttr
    {
        public uint Pid;
        public uint Fd;
        public uint Flags;
        public uint BufLen;
        public ulong Buf;
        public uint ProgId;
        public uint FdType;
        public ulong ProbeOffset;
        public ulong ProbeAddr;
    }
}
