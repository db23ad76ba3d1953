namespace SharpBpf.Tests.Support;

/// <summary>
/// The project's shared/ folder beside the repository, as CI lays it out: the BPF conformance suite and bpftool
/// reference outputs, data the repository cannot carry. A user's fresh clone has none, so tests that need it skip
/// with one reason there; <c>.ci/run</c> sets SHARPBPF_REQUIRE_SHARED=1 so that CI fails rather than skips.
/// </summary>
public static class SharedData
{
    public static string Root { get; } = Path.GetFullPath(Path.Combine(TestPrograms.RepoRoot, "..", "shared"));

    public static bool Strict => Environment.GetEnvironmentVariable("SHARPBPF_REQUIRE_SHARED") == "1";

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    /// <summary>The path of <paramref name="relative"/> under shared/; skips (or, when strict, fails) where it is missing.</summary>
    public static string Require(string relative)
    {
        var path = PathOf(relative);
        if (File.Exists(path) || Directory.Exists(path))
            return path;
        var why = $"needs the project's shared data at {path} (beside the repository in CI; not part of a clone)";
        if (Strict)
            throw new InvalidOperationException($"SHARPBPF_REQUIRE_SHARED=1 but this test {why}");
        Skip.If(true, why);
        return path;
    }
}
