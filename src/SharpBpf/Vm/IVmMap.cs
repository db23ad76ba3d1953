using SharpBpf.Maps;

namespace SharpBpf.Vm;

/// <summary>A block of native memory that a program running in the VM may touch.</summary>
public readonly record struct VmRegion(nint Start, long Length, bool Writable)
{
    public bool Contains(nint address, long size) =>
        size >= 0 && address >= Start && (long)(address - Start) <= Length - size;
}

/// <summary>
/// Turns the small integers user space passes for programs and maps (the VM's stand-ins for file descriptors,
/// as in <c>prog_array[i] = prog_fd</c>) into the live objects.
/// </summary>
public interface IVmObjectResolver
{
    /// <summary>The VM program or map registered under <paramref name="id"/>, or null.</summary>
    object? Resolve(int id);
}

/// <summary>
/// A map living in the VM's native memory. Values never move while they are in the map: programs hold
/// pointers to them. The program-side operations take raw pointers (already bounds-checked by the VM) and
/// return what the kernel's helpers return: 0 or a negative errno.
/// </summary>
public unsafe interface IVmMap : IBpfMap
{
    /// <summary>The memory a program may reach through pointers this map hands out (its value storage).</summary>
    IReadOnlyList<VmRegion> Regions { get; }

    /// <summary>Possible CPUs: the number of value copies of a per-CPU map (1 for other maps).</summary>
    int CpuCount { get; }

    /// <summary>bpf_map_lookup_elem: the value (this CPU's copy for per-CPU maps), or null.</summary>
    byte* LookupFromProgram(byte* key, int cpu);

    /// <summary>bpf_map_update_elem: 0, or -EEXIST/-ENOENT/-E2BIG/-ENOMEM/-EINVAL as the kernel.</summary>
    long UpdateFromProgram(byte* key, byte* value, ulong flags, int cpu);

    /// <summary>bpf_map_delete_elem: 0 or -ENOENT (-EINVAL for arrays).</summary>
    long DeleteFromProgram(byte* key);

    /// <summary>bpf_map_push_elem (QUEUE, STACK, BLOOM_FILTER), else -EINVAL.</summary>
    long PushFromProgram(byte* value, ulong flags);

    /// <summary>bpf_map_pop_elem (QUEUE, STACK), else -EINVAL.</summary>
    long PopFromProgram(byte* value);

    /// <summary>bpf_map_peek_elem (QUEUE, STACK, BLOOM_FILTER: 0 when possibly present, -ENOENT when not), else -EINVAL.</summary>
    long PeekFromProgram(byte* value);
}

/// <summary>ARRAY_OF_MAPS and HASH_OF_MAPS: a lookup from a program yields the inner map itself.</summary>
public unsafe interface IVmMapOfMaps : IVmMap
{
    IVmMap? GetInner(byte* key);
}

/// <summary>PROG_ARRAY: the tail-call targets.</summary>
public interface IVmProgramArray : IVmMap
{
    /// <summary>The program in slot <paramref name="index"/> (whatever object the engine registered), or null.</summary>
    object? GetProgram(uint index);
}

/// <summary>RINGBUF as the helpers see it. The program may write only the samples it reserved in the current run (the
/// run tracks them); <see cref="IVmMap.Regions"/> should not expose the ring's memory.</summary>
public unsafe interface IVmRingBuffer : IVmMap
{
    /// <summary>bpf_ringbuf_reserve: a pointer to <paramref name="size"/> writable bytes, or null when full.</summary>
    byte* Reserve(ulong size, ulong flags);
    void Submit(byte* record, ulong flags);
    void Discard(byte* record, ulong flags);
    /// <summary>bpf_ringbuf_output: 0 or -EAGAIN when there is no room.</summary>
    long Output(byte* data, ulong size, ulong flags);
    /// <summary>bpf_ringbuf_query: BPF_RB_AVAIL_DATA, BPF_RB_RING_SIZE, BPF_RB_CONS_POS, BPF_RB_PROD_POS.</summary>
    ulong Query(ulong flags);
}

/// <summary>PERF_EVENT_ARRAY: bpf_perf_event_output sends samples to a C#-side reader.</summary>
public unsafe interface IVmPerfEventArray : IVmMap
{
    /// <summary>Sends a sample to the reader of slot <paramref name="index"/> (BPF_F_CURRENT_CPU resolved by the caller); 0 or -errno.</summary>
    long Output(uint index, byte* data, ulong size);
}
