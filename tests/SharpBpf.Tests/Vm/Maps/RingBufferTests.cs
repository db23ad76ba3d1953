using SharpBpf.Maps;
using SharpBpf.Vm;
using SharpBpf.Vm.Maps;
using SharpBpf.Tests.Events;
using static SharpBpf.Tests.Vm.Maps.VmMapTestSpecs;

namespace SharpBpf.Tests.Vm.Maps;

public sealed class RingBufferTests
{
    private static IVmRingBuffer Ring(int size = 4096) => (IVmRingBuffer)Create(BpfMapType.Ringbuf, 0, 0, size);

    [Fact]
    public unsafe void RecordsHaveTheKernelHeaderLayout()
    {
        using var ring = Ring();
        Assert.Empty(ring.Regions); // programs reach only the samples they reserved, which their run tracks
        byte* a = ring.Reserve(5, 0);
        Assert.Equal((nint)((VmRingBuffer)ring).Data + 8, (nint)a);
        uint* header = (uint*)(a - 8);
        Assert.Equal(5u | VmRingBuffer.BusyBit, header[0]);

        byte* b = ring.Reserve(8, 0);
        Assert.Equal(16, (long)(b - a));               // round_up(5 + 8, 8) = 16
        Assert.Equal(32UL, ring.Query(3));             // BPF_RB_PROD_POS
        Assert.Equal(32UL, ring.Query(0));             // BPF_RB_AVAIL_DATA
        Assert.Equal(4096UL, ring.Query(1));           // BPF_RB_RING_SIZE

        ring.Submit(a, 0);
        Assert.Equal(5u, header[0]);
        ring.Discard(b, 0);
        Assert.Equal(8u | VmRingBuffer.DiscardBit, *(uint*)(b - 8));
    }

    [Fact]
    public unsafe void ReaderDeliversInOrderSkipsDiscardedAndStopsAtBusy()
    {
        using var ring = Ring();
        var reader = new VmRingBufferReader(ring);
        byte* r1 = ring.Reserve(3, 0);
        r1[0] = 1; r1[1] = 2; r1[2] = 3;
        byte* r2 = ring.Reserve(4, 0);
        byte* r3 = ring.Reserve(1, 0);
        r3[0] = 9;
        ring.Submit(r3, 0);                             // ready, but behind r1 which is still busy
        Assert.Empty(reader.Drain());
        ring.Submit(r1, 0);
        Assert.Equal([new byte[] { 1, 2, 3 }], reader.Drain()); // r2 still busy
        ring.Discard(r2, 0);
        Assert.Equal([new byte[] { 9 }], reader.Drain());
        Assert.Equal(ring.Query(3), ring.Query(2));     // consumer caught up with producer
        Assert.Equal(0UL, ring.Query(0));
    }

    [Fact]
    public unsafe void FullRingRefusesUntilConsumed()
    {
        using var ring = Ring();
        var reader = new VmRingBufferReader(ring);
        Assert.True(ring.Reserve(4096 - 8, 0) is null);  // the whole ring: the kernel keeps one byte free (producer - consumer <= size - 1)
        byte* big = ring.Reserve(4096 - 16, 0);         // the largest record that fits
        Assert.True(big is not null);
        Assert.True(ring.Reserve(1, 0) is null);
        byte one = 7;
        Assert.Equal(-Errno.EAGAIN, ring.Output(&one, 1, 0));
        ring.Submit(big, 0);
        Assert.Single(reader.Drain());
        Assert.Equal(0, ring.Output(&one, 1, 0));
        Assert.True(ring.Reserve(4096 - 7, 0) is null); // larger than the ring
        Assert.True(ring.Reserve(1, 1) is null);        // reserve flags must be 0
        Assert.Equal(-Errno.EINVAL, ring.Output(&one, 1, 4));
    }

    [Fact]
    public unsafe void RecordsWrappingPastTheEndStayContiguous()
    {
        using var ring = Ring();
        var reader = new VmRingBufferReader(ring);
        var payload = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        var seen = new List<byte[]>();
        for (int i = 0; i < 20; i++)                    // 20 x 1008 bytes through a 4096-byte ring
        {
            payload[0] = (byte)i;
            fixed (byte* p = payload)
                Assert.Equal(0, ring.Output(p, (ulong)payload.Length, 0));
            seen.AddRange(reader.Drain());
        }
        Assert.Equal(20, seen.Count);
        for (int i = 0; i < 20; i++)
        {
            payload[0] = (byte)i;
            Assert.Equal(payload, seen[i]);
        }
        Assert.Equal(20UL * 1008, ring.Query(2));
    }

    [Fact]
    public async Task AsyncReaderSeesRecordsFromAnotherThread()
    {
        using var ring = Ring(8192);
        var reader = new VmRingBufferReader(ring);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var producer = Task.Run(() => Produce(ring, 500));
        var got = new List<uint>();
        await foreach (var record in reader.ReadAllAsync(cts.Token))
        {
            got.Add(BitConverter.ToUInt32(record.Data.Span));
            if (got.Count == 500 - 72)
                break;
        }
        await producer;
        Assert.Equal(Enumerable.Range(0, 500).Where(i => i % 7 != 0).Select(i => (uint)i), got);
    }

    /// <summary>Reserves and submits (every 7th: discards) records holding 0..count-1, waiting when the ring is full.</summary>
    private static unsafe void Produce(IVmRingBuffer ring, uint count)
    {
        for (uint i = 0; i < count; i++)
        {
            byte* r;
            while ((r = ring.Reserve(4, 0)) is null)
                Thread.Yield();
            *(uint*)r = i;
            if (i % 7 == 0)
                ring.Discard(r, 0);
            else
                ring.Submit(r, 0);
        }
    }

    [Fact]
    public void UserSpaceMapCommandsAreNotSupported()
    {
        using var ring = Ring();
        var e = Assert.Throws<BpfMapException>(() => ring.TryGetNextKey([], []));
        Assert.Equal(Errno.ENOTSUPP, e.ErrorNumber);
    }

    [Fact]
    public unsafe void DisposedRingStopsReaders()
    {
        var ring = Ring();
        var reader = new VmRingBufferReader(ring);
        ring.Dispose();
        Assert.Empty(ring.Regions);
        Assert.Throws<ObjectDisposedException>(() => reader.Drain());
        Assert.Throws<ObjectDisposedException>(() => { _ = (nint)ring.Reserve(8, 0); });
    }
}
