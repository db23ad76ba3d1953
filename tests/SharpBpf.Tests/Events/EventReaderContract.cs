using System.Text;
using SharpBpf.Events;

namespace SharpBpf.Tests.Events;

/// <summary>
/// What every <see cref="IBpfEventReader"/> does, written once against the interface and run on both engines
/// (<see cref="KernelEventReaderTests"/>, <see cref="VmEventReaderTests"/>).
/// </summary>
public abstract class EventReaderContract
{
    private const ulong Magic = 0x5348415250425046UL;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);  // a hang fails the test instead of the run

    protected abstract EventSource Open(string program, int perfBytesPerCpu = 8 * 4096);

    private static uint CheckRingRecord(ReadOnlySpan<byte> record)
    {
        Assert.Equal(16, record.Length);
        Assert.Equal((uint)Environment.ProcessId, BitConverter.ToUInt32(record));
        Assert.Equal(Magic, BitConverter.ToUInt64(record[8..]));
        return BitConverter.ToUInt32(record[4..]);
    }

    private static uint CheckPerfSample(ReadOnlySpan<byte> sample)
    {
        Assert.Equal(28, sample.Length);  // 4 + 4 + 20: the kernel pads the raw sample to round_up(size + 4, 8) - 4
        Assert.Equal((uint)Environment.ProcessId, BitConverter.ToUInt32(sample));
        Assert.Equal("sharpbpf perf rec", Encoding.ASCII.GetString(sample.Slice(8, 17)));
        return BitConverter.ToUInt32(sample[4..]);
    }

    private static IEnumerable<uint> Submitted(int from, int count) =>
        Enumerable.Range(from, count).Where(i => i % 4 != 3).Select(i => (uint)i);

    [SkippableFact]
    public async Task RingBufferDeliversSubmittedRecordsInOrderAndSkipsDiscardedOnes()
    {
        using var source = Open(EventSource.RingProgram);
        var reader = source.Reader;
        Assert.Equal(BpfEventSource.RingBuffer, reader.Source);
        Assert.Equal("events", reader.MapName);
        source.Fire(40);
        var buffer = new byte[64];
        var seqs = new List<uint>();
        while (seqs.Count < 30)
        {
            var record = await reader.ReadIntoAsync(buffer).AsTask().WaitAsync(Patience);
            Assert.Equal(-1, record.Cpu);
            Assert.False(record.IsLost);
            seqs.Add(CheckRingRecord(buffer.AsSpan(0, record.Length)));
        }
        Assert.Equal(Submitted(0, 40), seqs);
        Assert.False(reader.TryRead(buffer, out _));
        Assert.Equal(0, reader.LostSamples);
    }

    [SkippableFact]
    public void RingBufferRecordsWrapAroundTheEnd()
    {
        using var source = Open(EventSource.RingProgram);
        var buffer = new byte[16];
        var seqs = new List<uint>();
        // 3000 records of 24 bytes pass through a 16 KiB ring several times.
        for (var round = 0; round < 10; round++)
        {
            source.Fire(300);
            while (source.Reader.TryRead(buffer, out var record))
                seqs.Add(CheckRingRecord(buffer.AsSpan(0, record.Length)));
        }
        Assert.Equal(Submitted(0, 3000), seqs);
    }

    [SkippableFact]
    public void ARecordTooLargeForTheBufferStaysUnread()
    {
        using var source = Open(EventSource.RingProgram);
        source.Fire(1);
        var e = Assert.Throws<BpfEventBufferTooSmallException>(() => source.Reader.TryRead(new byte[8], out _));
        Assert.Equal(16, e.RequiredLength);
        Assert.Contains("at least 16 bytes", e.Message);
        Assert.True(source.Reader.TryRead(new byte[16], out var record));
        Assert.Equal(16, record.Length);
    }

    [SkippableFact]
    public async Task AWaitingReadWakesWhenTheProgramWrites()
    {
        using var source = Open(EventSource.RingProgram);
        var buffer = new byte[16];
        var pending = source.Reader.ReadIntoAsync(buffer);
        Assert.False(pending.IsCompleted);  // nothing written yet: the read waits
        source.Fire(1);
        var record = await pending.AsTask().WaitAsync(Patience);
        Assert.Equal(0u, CheckRingRecord(buffer.AsSpan(0, record.Length)));
    }

    [SkippableFact]
    public async Task PerfBufferDeliversEverySample()
    {
        using var source = Open(EventSource.PerfProgram);
        var reader = source.Reader;
        Assert.Equal(BpfEventSource.PerfBuffer, reader.Source);
        source.Fire(50);
        var seqs = new List<uint>();
        var buffer = new byte[64];
        while (seqs.Count < 50)
        {
            var record = await reader.ReadIntoAsync(buffer).AsTask().WaitAsync(Patience);
            Assert.False(record.IsLost);
            Assert.InRange(record.Cpu, 0, Environment.ProcessorCount - 1);
            seqs.Add(CheckPerfSample(buffer.AsSpan(0, record.Length)));
        }
        seqs.Sort();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (uint)i), seqs);
        Assert.Equal(0, reader.LostSamples);
    }

    [SkippableFact]
    public void PerfBufferReportsLostSamplesAndReadsRecordsThatWrap()
    {
        // One page holds ~100 samples of 40 bytes: flood without reading, drain, then one more sample makes the ring
        // write its lost record. Records straddle the ring's end along the way (4096 is no multiple of 40).
        using var source = Open(EventSource.PerfProgram, perfBytesPerCpu: 4096);
        var reader = source.Reader;
        var buffer = new byte[28];
        long received = 0, lostRecords = 0;
        void Drain()
        {
            while (reader.TryRead(buffer, out var record))
            {
                if (record.IsLost)
                    lostRecords += (long)record.LostSamples;
                else
                {
                    CheckPerfSample(buffer.AsSpan(0, record.Length));
                    received++;
                }
            }
        }
        for (var round = 0; round < 3; round++)
        {
            source.Fire(700);
            Drain();
        }
        source.Fire(1);
        Drain();
        Assert.True(reader.LostSamples > 0, "the flood overflowed the one-page ring");
        Assert.Equal(reader.LostSamples, lostRecords);
        Assert.Equal(2101, received + reader.LostSamples);
    }

    [SkippableFact]
    public async Task AsyncEnumerationEndsByThrowingOnCancellation()
    {
        using var source = Open(EventSource.RingProgram);
        using var cts = new CancellationTokenSource(Patience);
        var received = new List<byte[]>();
        var producer = Task.Run(async () =>
        {
            await Task.Yield();
            source.Fire(8);  // seq 0..7: 6 submitted, 2 discarded
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var record in source.Reader.ReadAllAsync(cts.Token))
            {
                received.Add(record.Data.ToArray());
                if (received.Count == 6)
                    cts.Cancel();  // the enumeration now waits for a record that never comes: cancellation must end it
            }
        });
        await producer;
        Assert.Equal(Submitted(0, 8), received.Select(r => CheckRingRecord(r)));
    }

    [SkippableTheory]
    [InlineData(EventSource.RingProgram)]
    [InlineData(EventSource.PerfProgram)]
    public async Task CancellingAWaitingReadThrows(string program)
    {
        using var source = Open(program);
        using var cts = new CancellationTokenSource();
        var pending = source.Reader.ReadIntoAsync(new byte[64], cts.Token);
        Assert.False(pending.IsCompleted);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.AsTask().WaitAsync(Patience));
        // The reader is still usable.
        source.Fire(1);
        var record = await source.Reader.ReadIntoAsync(new byte[64]).AsTask().WaitAsync(Patience);
        Assert.True(record.Length > 0);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => source.Reader.ReadIntoAsync(new byte[64], cts.Token).AsTask());
    }

    [SkippableTheory]
    [InlineData(EventSource.RingProgram)]
    [InlineData(EventSource.PerfProgram)]
    public async Task DisposeDuringAWaitingReadMakesItThrowObjectDisposed(string program)
    {
        using var source = Open(program);
        var reader = source.Reader;
        var pending = reader.ReadIntoAsync(new byte[64]);
        Assert.False(pending.IsCompleted);  // waiting: no thread blocked, nothing to race
        reader.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pending.AsTask().WaitAsync(Patience));
        Assert.Throws<ObjectDisposedException>(() => reader.TryRead(new byte[64], out _));
        reader.Dispose();  // idempotent
    }

    [SkippableTheory]
    [InlineData(EventSource.RingProgram)]
    [InlineData(EventSource.PerfProgram)]
    public async Task DisposeWhileRecordsStreamOnlyEndsTheReader(string program)
    {
        using var source = Open(program);
        var reader = source.Reader;
        var firstRecords = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var read = 0;
        var consumer = Task.Run(async () =>
        {
            await foreach (var _ in reader.ReadAllAsync())
                if (++read == 10)
                    firstRecords.SetResult();
        });
        var producer = Task.Run(() =>
        {
            while (!consumer.IsCompleted)
                source.Fire(20);
        });
        await firstRecords.Task.WaitAsync(Patience);
        reader.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => consumer.WaitAsync(Patience));
        await producer.WaitAsync(Patience);
    }
}

public sealed class KernelEventReaderTests : EventReaderContract
{
    protected override EventSource Open(string program, int perfBytesPerCpu = 8 * 4096) => new KernelEventSource(program, perfBytesPerCpu);
}

public sealed class VmEventReaderTests : EventReaderContract
{
    protected override EventSource Open(string program, int perfBytesPerCpu = 8 * 4096) => new VmEventSource(program, perfBytesPerCpu);
}
