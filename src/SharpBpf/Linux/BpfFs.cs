using SharpBpf.Native;
namespace SharpBpf.Linux;

/// <summary>The bpf filesystem, where objects are pinned: find one, or mount one where asked.</summary>
public static unsafe class BpfFs
{
    /// <summary>BPF_FS_MAGIC, the f_type statfs reports for a bpf filesystem.</summary>
    public const long Magic = 0xcafe4a11;
    public const string DefaultPath = "/sys/fs/bpf";

    /// <summary>True when <paramref name="path"/> is on a bpf filesystem.</summary>
    public static bool IsBpfFs(string path)
    {
        LibC.StatFs st;
        return LibC.statfs(path, &st) == 0 && (st.Type & 0xffffffff) == Magic;
    }

    /// <summary>Mounts a bpf filesystem at <paramref name="path"/> (creating the directory) unless one is already there.</summary>
    public static void EnsureMounted(string path)
    {
        Directory.CreateDirectory(path);
        if (IsBpfFs(path))
            return;
        if (LibC.mount("bpf", path, "bpf", 0, null) != 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            throw new BpfException($"cannot mount a bpf filesystem at {path}: {LibC.ErrorText(errno)} ({Errno.Name(errno)})" +
                (errno == Errno.EPERM ? ". Mounting needs CAP_SYS_ADMIN" : ""));
        }
    }

    /// <summary>Unmounts the bpf filesystem at <paramref name="path"/> (lazily, so open files do not block it).</summary>
    public static void Unmount(string path)
    {
        const int MntDetach = 2;
        if (LibC.umount2(path, MntDetach) != 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            throw new BpfException($"cannot unmount {path}: {LibC.ErrorText(errno)} ({Errno.Name(errno)})");
        }
    }

    /// <summary>
    /// Mounts the bpf filesystem at <see cref="DefaultPath"/> when <paramref name="path"/> lies under it and nothing is
    /// mounted there yet, as bpftool does for pins: a freshly booted machine may not have mounted it.
    /// </summary>
    public static void MountDefaultFor(string path)
    {
        var full = Path.GetFullPath(path);
        bool underDefault = full == DefaultPath || full.StartsWith(DefaultPath + "/", StringComparison.Ordinal);
        if (underDefault && Directory.Exists(DefaultPath) && !IsBpfFs(DefaultPath))
            EnsureMounted(DefaultPath);
    }

    /// <summary>The directory of the path's bpf filesystem check: throws a clear error when pinning outside one.</summary>
    public static void RequireBpfFsFor(string pinPath)
    {
        MountDefaultFor(pinPath);
        var dir = Path.GetDirectoryName(Path.GetFullPath(pinPath)) ?? "/";
        if (!Directory.Exists(dir))
            throw new BpfException($"cannot pin at {pinPath}: directory {dir} does not exist");
        if (!IsBpfFs(dir))
            throw new BpfException($"cannot pin at {pinPath}: {dir} is not on a bpf filesystem (mount one with `mount -t bpf bpf {dir}`)");
    }

    /// <summary>Creates a directory for pins as libbpf does (mode 0700), with an error a person can act on.</summary>
    public static void CreatePinDirectory(string path)
    {
        MountDefaultFor(path);
        try
        {
            if (OperatingSystem.IsWindows())
                throw new PlatformNotSupportedException("bpf filesystems exist on Linux only");
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(path));
            throw new BpfException($"cannot create pin directory {path}: " + (File.Exists(path) ? "a file of that name exists"
                : name.Contains('.') ? "a bpf filesystem refuses names containing '.'"
                : e is UnauthorizedAccessException ? "permission denied" : e.Message));
        }
    }

    /// <summary>Every pinned file under <paramref name="root"/> (recursively), for bpftool's "pinned" lists.</summary>
    public static IEnumerable<string> PinnedFiles(string root = DefaultPath)
    {
        if (!Directory.Exists(root) || !IsBpfFs(root))
            return [];
        try
        {
            return Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true });
        }
        catch (IOException)
        {
            return [];
        }
    }
}
