namespace SharpBpf.PcapFilter;

/// <summary>A filter expression libpcap would refuse; the message is libpcap's (<c>unknown host 'x'</c>).</summary>
public class PcapFilterException : BpfException
{
    public PcapFilterException(string message) : base(message) { }
}

/// <summary>The expression does not follow the grammar.</summary>
public sealed class PcapFilterSyntaxException : PcapFilterException
{
    public PcapFilterSyntaxException(string message) : base(message) { }
}
