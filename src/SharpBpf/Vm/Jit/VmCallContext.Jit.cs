namespace SharpBpf.Vm;

/// <summary>The run state the JIT's compiled code shares with its runtime: its region cache and how it hands over.</summary>
public sealed unsafe partial class VmCallContext
{
    /// <summary>The regions the last slow-path load and store hit, which compiled code checks inline before the stack (the
    /// stack itself when nothing cacheable was hit since the last helper call).</summary>
    internal ulong JitReadLo, JitWriteLo;
    /// <summary>Per access size (1, 2, 4, 8 bytes): the largest offset from the region's start an access may have (its length
    /// minus the size; regions are at least 8 bytes), so the inline check is one subtraction and one comparison.</summary>
    internal ulong JitReadMax1, JitReadMax2, JitReadMax4, JitReadMax8, JitWriteMax1, JitWriteMax2, JitWriteMax4, JitWriteMax8;

    private void SetJitRead(ulong lo, ulong len)
    {
        JitReadLo = lo;
        JitReadMax1 = len - 1;
        JitReadMax2 = len - 2;
        JitReadMax4 = len - 4;
        JitReadMax8 = len - 8;
    }

    private void SetJitWrite(ulong lo, ulong len)
    {
        JitWriteLo = lo;
        JitWriteMax1 = len - 1;
        JitWriteMax2 = len - 2;
        JitWriteMax4 = len - 4;
        JitWriteMax8 = len - 8;
    }

    /// <summary>Where execution continues when compiled code returns anything but "done": a tail call's target, a frame of
    /// another program to return to, or the interpreter taking over.</summary>
    internal VmCode? JitNextCode;
    internal int JitNextPc, JitNextDepth;

    /// <summary>
    /// Records the region of an access that just passed the full check (<see cref="Load"/>/<see cref="Store"/>), so compiled code
    /// can check the next accesses inline. Only regions whose validity cannot depend on the order of the full check are cached:
    /// the raw memory, the packet and map regions (disjoint allocations), at least 8 bytes long (the inline check needs it).
    /// Context memory is never cached: it is translated field by field.
    /// </summary>
    internal void ResetJitCaches()
    {
        if (_jitPrimed)
        {
            // a helper just handed out map memory (bpf_map_lookup_elem): the program's next accesses are to it
            _jitPrimed = false;
            var regions = _lastMap!.Regions;
            var r = _lastMapRegion < regions.Count ? regions[_lastMapRegion] : default;
            if (r.Length >= 8)
            {
                SetJitRead((ulong)r.Start, (ulong)r.Length);
                if (r.Writable)
                    SetJitWrite((ulong)r.Start, (ulong)r.Length);
                else
                    SetJitWrite((ulong)Stack, StackSize);
                return;
            }
        }
        // Compiled code checks the stack separately, so the caches start on the run's packet (or raw memory) when there is one:
        // the first access to it then takes the inline check instead of the slow path.
        ulong lo = (ulong)Stack, len = StackSize;
        if (HasPacket && DataEnd - DataMeta >= 8)
        {
            lo = (ulong)DataMeta;
            len = (ulong)(DataEnd - DataMeta);
        }
        else if (RawLength >= 8)
        {
            lo = (ulong)RawBuffer;
            len = (ulong)RawLength;
        }
        SetJitRead(lo, len);
        if (!HasPacket || PacketWritable)
            SetJitWrite(lo, len);
        else
            SetJitWrite((ulong)Stack, StackSize);
    }

    private bool _jitPrimed;

    /// <summary>A helper returns <paramref name="value"/>, memory of <paramref name="map"/>: the region to check first after it
    /// (compiled code's caches, then the full check's map region).</summary>
    internal void NoteMapValue(IVmMap map, byte* value)
    {
        var regions = map.Regions;
        for (int i = 0; i < regions.Count; i++)
        {
            var r = regions[i];
            if (Inside((ulong)value, 1, (ulong)r.Start, r.Length))
            {
                _lastMap = map;
                _lastMapRegion = i;
                _jitPrimed = true;
                return;
            }
        }
    }

    /// <summary><see cref="NoteMapValue(IVmMap, byte*)"/> when the caller knows the region.</summary>
    internal void NoteMapValue(IVmMap map, int region)
    {
        _lastMap = map;
        _lastMapRegion = region;
        _jitPrimed = true;
    }

    internal void SetJitCache(ulong address, int size, bool write)
    {
        ulong lo = (ulong)Stack, len = StackSize;
        if (Context is not null && address - (ulong)CtxBuffer < (ulong)Context.Size)
        {
            // translated context access: leave the cache on the stack
        }
        else if (RawLength > 0 && Inside(address, size, (ulong)RawBuffer, RawLength))
        {
            lo = (ulong)RawBuffer;
            len = (ulong)RawLength;
        }
        else if (HasPacket && Inside(address, size, (ulong)DataMeta, DataEnd - DataMeta))
        {
            lo = (ulong)DataMeta;
            len = (ulong)(DataEnd - DataMeta);
        }
        else if (_lastMap is not null && _lastMapRegion < _lastMap.Regions.Count)
        {
            var r = _lastMap.Regions[_lastMapRegion];
            if (Inside(address, size, (ulong)r.Start, r.Length))
            {
                lo = (ulong)r.Start;
                len = (ulong)r.Length;
            }
        }
        if (len < 8)
        {
            lo = (ulong)Stack;
            len = StackSize;
        }
        if (write)
        {
            SetJitWrite(lo, len);
        }
        else
        {
            SetJitRead(lo, len);
        }
    }
}
