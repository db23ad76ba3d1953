using SharpBpf.Vm.Maps;

namespace SharpBpf.Vm.Helpers;

/// <summary>bpf_map_* helpers, bpf_tail_call (carried out by the interpreter) and bpf_for_each_map_elem.</summary>
internal static unsafe class MapHelpers
{
    public static void Register(VmHelperTable t)
    {
        t.Register("bpf_map_lookup_elem", Lookup);
        t.Register("bpf_map_update_elem", Update);
        t.Register("bpf_map_delete_elem", Delete);
        t.Register("bpf_map_push_elem", (vm, map, value, flags, _, _) =>
        {
            var m = vm.GetMap(map);
            return (ulong)m.PushFromProgram(vm.GetPointer(value, (ulong)m.ValueSize, write: false), flags);
        });
        t.Register("bpf_map_pop_elem", (vm, map, value, _, _, _) =>
        {
            var m = vm.GetMap(map);
            return (ulong)m.PopFromProgram(vm.GetPointer(value, (ulong)m.ValueSize, write: true));
        });
        t.Register("bpf_map_peek_elem", (vm, map, value, _, _, _) =>
        {
            var m = vm.GetMap(map);
            return (ulong)m.PeekFromProgram(vm.GetPointer(value, (ulong)m.ValueSize, write: true));
        });
        t.Register("bpf_map_lookup_percpu_elem", (vm, map, key, cpu, _, _) =>
        {
            var m = vm.GetMap(map);
            if (cpu >= (ulong)m.CpuCount)
                return 0;
            return (ulong)m.LookupFromProgram(Key(vm, m, key), (int)cpu);
        });
        t.Register("bpf_tail_call", (vm, _, _, _, _, _) => throw vm.Fault("bpf_tail_call cannot be called indirectly"));
        t.Register("bpf_for_each_map_elem", ForEach);
    }

    private static byte* Key(VmCallContext vm, IVmMap map, ulong key) =>
        map.KeySize == 0 ? null : vm.GetPointer(key, (ulong)map.KeySize, write: false);

    private static ulong Lookup(VmCallContext vm, ulong map, ulong key, ulong r3, ulong r4, ulong r5)
    {
        var m = vm.GetMap(map);
        if (m is VmHashMap hash && hash.KeySize != 0)
        {
            // the common case without interface calls: a hash map's values are its one region
            byte* found = hash.LookupFromProgram(vm.GetPointer(key, (ulong)hash.KeySize, write: false), vm.Cpu);
            if (found != null)
                vm.NoteMapValue(hash, 0);
            return (ulong)found;
        }
        if (m.KeySize == 0)
            return 0;
        byte* k = Key(vm, m, key);
        if (m is IVmMapOfMaps outer)
            return outer.GetInner(k) is { } inner ? vm.MapPointer(inner) : 0;
        byte* value = m.LookupFromProgram(k, vm.Cpu);
        if (value != null)
            vm.NoteMapValue(m, value);
        return (ulong)value;
    }

    private static ulong Update(VmCallContext vm, ulong map, ulong key, ulong value, ulong flags, ulong r5)
    {
        var m = vm.GetMap(map);
        if (m.KeySize == 0 || m is IVmMapOfMaps or IVmProgramArray)
            return unchecked((ulong)-Errno.EINVAL); // the kernel's verifier refuses these from programs
        return (ulong)m.UpdateFromProgram(Key(vm, m, key), vm.GetPointer(value, (ulong)m.ValueSize, write: false), flags, vm.Cpu);
    }

    private static ulong Delete(VmCallContext vm, ulong map, ulong key, ulong r3, ulong r4, ulong r5)
    {
        var m = vm.GetMap(map);
        if (m.KeySize == 0)
            return unchecked((ulong)-Errno.EINVAL);
        return (ulong)m.DeleteFromProgram(Key(vm, m, key));
    }

    /// <summary>bpf_for_each_map_elem(map, callback, ctx, flags): callback(map, &amp;key, &amp;value, ctx) per element until it returns 1;
    /// returns the number of elements visited. The key is handed to the callback in a read-only scratch region.</summary>
    private static ulong ForEach(VmCallContext vm, ulong map, ulong callback, ulong ctx, ulong flags, ulong r5)
    {
        if (flags != 0)
            return unchecked((ulong)-Errno.EINVAL);
        var m = vm.GetMap(map);
        if (m.KeySize == 0 || m.KeySize > VmCallContext.ScratchSize / 2)
            return unchecked((ulong)-Errno.EINVAL);
        byte* keyBuf = vm.Scratch;
        byte* nextBuf = vm.Scratch + VmCallContext.ScratchSize / 2;
        var key = new Span<byte>(keyBuf, m.KeySize);
        var next = new Span<byte>(nextBuf, m.KeySize);
        ulong visited = 0;
        bool first = true;
        while (m.TryGetNextKey(first ? ReadOnlySpan<byte>.Empty : key, next))
        {
            first = false;
            next.CopyTo(key);
            byte* value = m.LookupFromProgram(keyBuf, vm.Cpu);
            if (value == null)
                continue;
            visited++;
            if (vm.InvokeCallback(callback, map, (ulong)keyBuf, (ulong)value, ctx) != 0)
                break;
        }
        return visited;
    }
}
