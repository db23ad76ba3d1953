namespace SharpBpf.Events;

/// <summary>The next record does not fit the buffer given to a read; it stays unread, so a read with a larger buffer gets it.</summary>
public sealed class BpfEventBufferTooSmallException : ArgumentException
{
    /// <summary>The record of <paramref name="mapName"/> needs <paramref name="requiredLength"/> bytes; the buffer had <paramref name="bufferLength"/>.</summary>
    public BpfEventBufferTooSmallException(string mapName, int bufferLength, int requiredLength)
        : base($"the next record of '{mapName}' is {requiredLength} bytes, the buffer only {bufferLength}: read it with a buffer of at least {requiredLength} bytes", "buffer")
    {
        RequiredLength = requiredLength;
    }

    /// <summary>The size of the record waiting to be read.</summary>
    public int RequiredLength { get; }
}
