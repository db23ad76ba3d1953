using SharpBpf.Native;
using System.Diagnostics;

namespace SharpBpf.Vm.Helpers;

/// <summary>Time, randomness, CPU, current task (the host process), probe_read (no kernel memory), bpf_loop, spin locks.</summary>
internal static unsafe class SystemHelpers
{
    private const ulong MaxLoops = 1 << 23;

    public static void Register(VmHelperTable t)
    {
        t.Register("bpf_ktime_get_ns", (_, _, _, _, _, _) => MonotonicNs());
        t.Register("bpf_ktime_get_boot_ns", (_, _, _, _, _, _) => MonotonicNs());
        t.Register("bpf_ktime_get_coarse_ns", (_, _, _, _, _, _) => MonotonicNs());
        t.Register("bpf_ktime_get_tai_ns", (_, _, _, _, _, _) => (ulong)(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000 + 37_000_000_000));
        t.Register("bpf_jiffies64", (_, _, _, _, _, _) => MonotonicNs() / 4_000_000); // CONFIG_HZ=250
        t.Register("bpf_get_prandom_u32", (vm, _, _, _, _, _) => vm.Engine.NextRandom());
        t.Register("bpf_get_smp_processor_id", (vm, _, _, _, _, _) => (ulong)vm.Cpu);
        t.Register("bpf_get_numa_node_id", (_, _, _, _, _, _) => 0);
        t.Register("bpf_get_current_pid_tgid", (_, _, _, _, _, _) => ((ulong)(uint)Environment.ProcessId << 32) | (uint)ThreadId());
        t.Register("bpf_get_current_uid_gid", (_, _, _, _, _, _) => ((ulong)Gid() << 32) | Uid());
        t.Register("bpf_get_current_comm", CurrentComm);
        t.Register("bpf_probe_read", ProbeReadKernel);
        t.Register("bpf_probe_read_kernel", ProbeReadKernel);
        t.Register("bpf_probe_read_str", ProbeReadKernelStr);
        t.Register("bpf_probe_read_kernel_str", ProbeReadKernelStr);
        t.Register("bpf_probe_read_user", ProbeReadUser);
        t.Register("bpf_probe_read_user_str", ProbeReadUserStr);
        t.Register("bpf_loop", Loop);
        t.Register("bpf_spin_lock", SpinLock);
        t.Register("bpf_spin_unlock", SpinUnlock);
    }

    private static ulong MonotonicNs() => (ulong)(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency));

    private static readonly byte[] Comm = ReadComm();

    private static byte[] ReadComm()
    {
        try
        {
            var text = File.ReadAllText("/proc/self/comm").TrimEnd('\n');
            return System.Text.Encoding.UTF8.GetBytes(text);
        }
        catch (IOException)
        {
            return System.Text.Encoding.UTF8.GetBytes(Process.GetCurrentProcess().ProcessName);
        }
        catch (UnauthorizedAccessException)
        {
            return System.Text.Encoding.UTF8.GetBytes(Process.GetCurrentProcess().ProcessName);
        }
    }

    private static int ThreadId()
    {
        if (!OperatingSystem.IsLinux())
            return Environment.CurrentManagedThreadId;
        try { return LibC.gettid(); }
        catch (EntryPointNotFoundException) { return Environment.ProcessId; }
    }

    private static uint Uid() => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() ? LibC.getuid() : 0;
    private static uint Gid() => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() ? LibC.getgid() : 0;

    /// <summary>bpf_get_current_comm(buf, size): the task name (15 bytes at most), NUL-terminated and zero-padded.</summary>
    private static ulong CurrentComm(VmCallContext vm, ulong buf, ulong size, ulong r3, ulong r4, ulong r5)
    {
        var dst = vm.GetSpan(buf, size, write: true);
        dst.Clear();
        if (dst.IsEmpty)
            return unchecked((ulong)-Errno.EINVAL);
        int n = Math.Min(Math.Min(Comm.Length, 15), dst.Length - 1);
        Comm.AsSpan(0, n).CopyTo(dst);
        return 0;
    }

    /// <summary>There is no kernel memory in the VM: the read fails as the kernel's does on a bad address (destination zeroed).</summary>
    private static ulong ProbeReadKernel(VmCallContext vm, ulong dst, ulong size, ulong src, ulong r4, ulong r5)
    {
        vm.GetSpan(dst, size, write: true).Clear();
        return unchecked((ulong)-Errno.EFAULT);
    }

    private static ulong ProbeReadKernelStr(VmCallContext vm, ulong dst, ulong size, ulong src, ulong r4, ulong r5)
    {
        vm.GetSpan(dst, size, write: true).Clear();
        return unchecked((ulong)-Errno.EFAULT);
    }

    /// <summary>"User memory" is what the program itself may read in the VM (its stack, packet, map values); anything else is -EFAULT.</summary>
    private static ulong ProbeReadUser(VmCallContext vm, ulong dst, ulong size, ulong src, ulong r4, ulong r5)
    {
        var to = vm.GetSpan(dst, size, write: true);
        if (!vm.TryGetReadable(src, size, out var from))
        {
            to.Clear();
            return unchecked((ulong)-Errno.EFAULT);
        }
        from.CopyTo(to);
        return 0;
    }

    private static ulong ProbeReadUserStr(VmCallContext vm, ulong dst, ulong size, ulong src, ulong r4, ulong r5)
    {
        var to = vm.GetSpan(dst, size, write: true);
        if (to.IsEmpty)
            return 0;
        for (int i = 0; i < to.Length - 1; i++)
        {
            if (!vm.TryGetReadable(src + (ulong)i, 1, out var b))
            {
                to.Clear();
                return unchecked((ulong)-Errno.EFAULT);
            }
            to[i] = b[0];
            if (b[0] == 0)
                return (ulong)(i + 1);
        }
        to[^1] = 0;
        return (ulong)to.Length;
    }

    /// <summary>bpf_loop(nr_loops, callback, ctx, flags): callback(i, ctx) until it returns non-zero; returns the iterations run.</summary>
    private static ulong Loop(VmCallContext vm, ulong count, ulong callback, ulong ctx, ulong flags, ulong r5)
    {
        if (flags != 0)
            return unchecked((ulong)-Errno.EINVAL);
        if (count > MaxLoops)
            return unchecked((ulong)-Errno.E2BIG);
        for (ulong i = 0; i < count; i++)
        {
            if (vm.InvokeCallback(callback, i, ctx) != 0)
                return i + 1;
        }
        return count;
    }

    /// <summary>bpf_spin_lock on a struct bpf_spin_lock (a u32) in a map value: a real lock, so concurrent runs serialize.</summary>
    private static ulong SpinLock(VmCallContext vm, ulong lockAddress, ulong r2, ulong r3, ulong r4, ulong r5)
    {
        if ((lockAddress & 3) != 0)
            throw vm.Fault("bpf_spin_lock: misaligned lock", lockAddress, 4);
        if (vm.SpinLockHeld != 0)
            throw vm.Fault("bpf_spin_lock: a lock is already held (the kernel allows one at a time)", lockAddress, 4);
        ref int word = ref *(int*)vm.GetPointer(lockAddress, 4, write: true);
        var spin = new SpinWait();
        long deadline = 0;
        while (Interlocked.CompareExchange(ref word, 1, 0) != 0)
        {
            spin.SpinOnce();
            if (!spin.NextSpinWillYield)
                continue;
            // A lock word no run will ever release (the kernel's verifier rules this out statically): fault instead of hanging.
            long now = Stopwatch.GetTimestamp();
            if (deadline == 0)
                deadline = now + Stopwatch.Frequency;
            else if (now > deadline)
                throw vm.Fault("bpf_spin_lock: the lock stayed taken for a second (never released, or not a bpf_spin_lock)", lockAddress, 4);
        }
        vm.SpinLockHeld = 1;
        vm.SpinLockAddress = lockAddress;
        return 0;
    }

    private static ulong SpinUnlock(VmCallContext vm, ulong lockAddress, ulong r2, ulong r3, ulong r4, ulong r5)
    {
        if ((lockAddress & 3) != 0)
            throw vm.Fault("bpf_spin_unlock: misaligned lock", lockAddress, 4);
        ref int word = ref *(int*)vm.GetPointer(lockAddress, 4, write: true);
        Volatile.Write(ref word, 0);
        vm.SpinLockHeld = 0;
        return 0;
    }
}
