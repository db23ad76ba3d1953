using System.Globalization;
using System.Text.Json;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Packets;

/// <summary>What tshark reads from a capture: the oracle PcapReader is compared with.</summary>
public sealed record TsharkFrame(int Length, int CapturedLength, long UnixTicks, byte[] Data);

public static class TsharkFrames
{
    public static IReadOnlyList<TsharkFrame> Read(string path)
    {
        var tshark = Requirements.Tool("tshark");
        var (code, stdout, stderr) = TestPrograms.Run(tshark, ["-r", path, "-T", "json", "-x"]);
        Assert.True(code == 0, $"tshark failed on {path}: {stderr}");
        using var doc = JsonDocument.Parse(stdout);
        var frames = new List<TsharkFrame>();
        foreach (var packet in doc.RootElement.EnumerateArray())
        {
            var layers = packet.GetProperty("_source").GetProperty("layers");
            var frame = layers.GetProperty("frame");
            var raw = layers.GetProperty("frame_raw")[0].GetString()!;
            frames.Add(new TsharkFrame(
                int.Parse(frame.GetProperty("frame.len").GetString()!, CultureInfo.InvariantCulture),
                int.Parse(frame.GetProperty("frame.cap_len").GetString()!, CultureInfo.InvariantCulture),
                frame.TryGetProperty("frame.time_epoch", out var time) ? EpochTicks(time.GetString()!) : 0,
                Convert.FromHexString(raw)));
        }
        return frames;
    }

    /// <summary>"1790000000.004280000" → 100 ns ticks since the epoch, truncated like PcapReader.</summary>
    private static long EpochTicks(string seconds)
    {
        var parts = seconds.Split('.');
        var fraction = (parts.Length > 1 ? parts[1] : "").PadRight(7, '0')[..7];
        return long.Parse(parts[0], CultureInfo.InvariantCulture) * TimeSpan.TicksPerSecond + long.Parse(fraction, CultureInfo.InvariantCulture);
    }

    public static void AssertSame(IReadOnlyList<TsharkFrame> expected, IReadOnlyList<SharpBpf.Packets.CapturedPacket> actual, bool compareTime = true)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i].Length == actual[i].OriginalLength, $"frame {i}: length {actual[i].OriginalLength}, tshark {expected[i].Length}");
            Assert.True(expected[i].CapturedLength == actual[i].Data.Length, $"frame {i}: captured {actual[i].Data.Length}, tshark {expected[i].CapturedLength}");
            Assert.True(expected[i].Data.AsSpan().SequenceEqual(actual[i].Data), $"frame {i}: bytes differ from tshark's");
            if (compareTime)
            {
                var ticks = actual[i].Timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
                Assert.True(expected[i].UnixTicks == ticks, $"frame {i}: time {ticks}, tshark {expected[i].UnixTicks}");
            }
        }
    }
}
