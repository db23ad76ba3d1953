using System.Runtime.InteropServices;
using System.Text;

namespace SharpBpf.Linux.Attach;

/// <summary>
/// Attaches one BPF_PROG_TYPE_KPROBE program (loaded with expected attach type trace_kprobe_multi, i.e. from a
/// "kprobe.multi/..." or "kretprobe.multi/..." section) to many kernel functions through one bpf link
/// (BPF_LINK_CREATE with BPF_TRACE_KPROBE_MULTI, fprobe-based, 5.18+), with an optional BPF cookie per function.
/// </summary>
public static unsafe class KprobeMulti
{
    /// <summary>BPF_F_KPROBE_MULTI_RETURN: a kretprobe on every function.</summary>
    public const uint ReturnFlag = 1;

    /// <summary>Attaches to every traceable kernel function matching <paramref name="pattern"/> ('*' and '?' globs, as libbpf).</summary>
    public static IBpfLink Attach(SafeHandle program, string pattern, bool retprobe = false) =>
        Attach(program, Resolve(pattern, FunctionList()), retprobe);

    /// <summary>Attaches to the named functions; <paramref name="cookies"/>, when given, pairs one BPF cookie with each.</summary>
    public static IBpfLink Attach(SafeHandle program, IReadOnlyList<string> functions, bool retprobe = false, IReadOnlyList<ulong>? cookies = null)
    {
        if (functions.Count == 0)
            throw new BpfHookSpecException("a multi-kprobe needs at least one kernel function");
        if (cookies is not null && cookies.Count != functions.Count)
            throw new BpfHookSpecException($"{cookies.Count} cookies for {functions.Count} functions: give one per function or none");
        var description = $"{(retprobe ? "kretprobe.multi" : "kprobe.multi")} {functions[0]}" + (functions.Count > 1 ? $" (+{functions.Count - 1} more)" : "");
        var names = functions.Select(f => Marshal.StringToHGlobalAnsi(f)).ToArray();
        try
        {
            var cookieArray = cookies?.ToArray();
            fixed (nint* syms = names)
            fixed (ulong* c = cookieArray)
            {
                using var prog = new FdLease(program, description);
                var attr = Attr(prog.Fd, functions.Count, (ulong)syms, (ulong)c, retprobe);
                var r = BpfSyscall.TryInvoke(BpfCommand.LinkCreate, ref attr);
                if (r < 0)
                    throw Refusal(-r, description);
                return new BpfLink(new BpfFd(r), description);
            }
        }
        finally
        {
            foreach (var n in names)
                Marshal.FreeHGlobal(n);
        }
    }

    /// <summary>The BPF_LINK_CREATE attribute: link_create.kprobe_multi {flags, cnt, syms, addrs, cookies}.</summary>
    internal static LinkCreateAttr Attr(int progFd, int count, ulong symbols, ulong cookies, bool retprobe) => new()
    {
        ProgFd = (uint)progFd,
        AttachType = (uint)BpfAttachType.TraceKprobeMulti,
        Extra0 = (retprobe ? ReturnFlag : 0) | ((ulong)(uint)count << 32),
        Extra1 = symbols,
        Extra2 = 0,
        Extra3 = cookies,
    };

    internal static BpfException Refusal(int errno, string description) => errno switch
    {
        Errno.EOPNOTSUPP or Errno.ENOSYS => new HookNotSupportedException(
            $"{description}: this kernel has no multi-kprobe links (needs 5.18+ with CONFIG_FPROBE)"),
        Errno.ESRCH or Errno.ENOENT => new BpfSyscallException(BpfCommand.LinkCreate, errno,
            "a function is not traceable (see <tracefs>/available_filter_functions)", description),
        Errno.EINVAL => new BpfSyscallException(BpfCommand.LinkCreate, errno,
            "load the program from a kprobe.multi/ or kretprobe.multi/ section (expected attach type trace_kprobe_multi)", description),
        _ => new BpfSyscallException(BpfCommand.LinkCreate, errno, Hints.Attach(errno), description),
    };

    /// <summary>The distinct function names of <paramref name="lines"/> (available_filter_functions: "name [module]") matching the glob.</summary>
    public static IReadOnlyList<string> Resolve(string pattern, IEnumerable<string> lines)
    {
        if (string.IsNullOrWhiteSpace(pattern) || pattern.Contains(' ') || pattern.Contains('/'))
            throw new BpfHookSpecException($"'{pattern}' is not a kernel function pattern (a name with '*' and '?' globs)");
        var result = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var end = line.IndexOfAny([' ', '\t']);
            var name = end < 0 ? line : line[..end];
            if (name.Length > 0 && Glob(pattern, name))
                result.Add(name);
        }
        if (result.Count == 0)
            throw new BpfHookSpecException($"no traceable kernel function matches '{pattern}'");
        return [.. result];
    }

    /// <summary>Traceable functions from tracefs' available_filter_functions, else the text symbols of /proc/kallsyms (as libbpf 1.1).</summary>
    private static List<string> FunctionList()
    {
        try
        {
            var path = Path.Combine(Tracefs.Root, "available_filter_functions");
            if (File.Exists(path))
                return [.. File.ReadLines(path)];
        }
        catch (Exception e) when (e is BpfException or IOException or UnauthorizedAccessException)
        {
            // Not readable here: fall back to kallsyms.
        }
        try
        {
            return [.. File.ReadLines("/proc/kallsyms").Select(l => l.Split(' ', 4)).Where(f => f.Length >= 3 && f[1] is "t" or "T").Select(f => f[2])];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HookNotSupportedException($"cannot list kernel functions for a multi-kprobe pattern: {e.Message}");
        }
    }

    /// <summary>libbpf's glob_match: '*' any run of characters, '?' one character.</summary>
    internal static bool Glob(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
                return false;
        }
        while (p < pattern.Length && pattern[p] == '*')
            p++;
        return p == pattern.Length;
    }
}
