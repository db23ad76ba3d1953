using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.PcapFilter;

/// <summary>Every corpus expression compiles to exactly what tcpdump -d prints (or fails with libpcap's message).</summary>
public class PcapFilterCorpusTests
{
    private static string? Compare(FilterCorpus.Entry entry, string flag, bool optimize)
    {
        var expected = optimize ? FilterCorpus.Tcpdump(entry, flag) : FilterCorpus.Tcpdump(entry, "-O", flag);
        var actual = FilterCorpus.Ours(entry, flag, optimize);
        return expected == actual ? null : $"{entry.LinkTypeName ?? "EN10MB"} '{entry.Expression}' {flag}{(optimize ? "" : " -O")}:\n--- tcpdump\n{expected}\n--- sharpbpf\n{actual}";
    }

    [SkippableFact]
    public void Optimized_listing_matches_tcpdump_d()
    {
        Requirements.Tool("tcpdump");
        var failures = FilterCorpus.Mismatches(FilterCorpus.Entries, e => Compare(e, "-d", true));
        Assert.True(failures.Count == 0, $"{failures.Count} of {FilterCorpus.Entries.Count} differ:\n" + string.Join("\n", failures.Take(5)));
    }

    [SkippableFact]
    public void Unoptimized_listing_matches_tcpdump_O_d()
    {
        Requirements.Tool("tcpdump");
        var sample = FilterCorpus.Entries.Where((_, i) => i % 3 == 0).ToList();
        var failures = FilterCorpus.Mismatches(sample, e => Compare(e, "-d", false));
        Assert.True(failures.Count == 0, $"{failures.Count} of {sample.Count} differ:\n" + string.Join("\n", failures.Take(5)));
    }

    [SkippableFact]
    public void C_array_and_decimal_forms_match_tcpdump_dd_and_ddd()
    {
        Requirements.Tool("tcpdump");
        var sample = FilterCorpus.Entries.Where((_, i) => i % 8 == 0).ToList();
        var failures = FilterCorpus.Mismatches(sample, e => Compare(e, "-dd", true) ?? Compare(e, "-ddd", true));
        Assert.True(failures.Count == 0, $"{failures.Count} of {sample.Count} differ:\n" + string.Join("\n", failures.Take(5)));
    }

    [Fact]
    public void Corpus_has_several_hundred_valid_and_invalid_expressions()
    {
        var invalid = FilterCorpus.Entries.Count(e => FilterCorpus.Ours(e, "-d").StartsWith("error: ", StringComparison.Ordinal));
        Assert.True(FilterCorpus.Entries.Count >= 500, $"{FilterCorpus.Entries.Count} entries");
        Assert.True(invalid >= 30, $"{invalid} invalid entries");
    }
}
