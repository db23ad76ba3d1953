namespace SharpBpf.Tests.Support;

/// <summary>
/// The project's shared/ folder (the BPF conformance suite, bpftool reference outputs): beside the repository, as
/// CI lays it out, else /work/shared.
/// </summary>
public static class SharedData
{
    public static string Root { get; } =
        new[] { Path.Combine(TestPrograms.RepoRoot, "..", "shared"), "/work/shared" }
            .Select(Path.GetFullPath).FirstOrDefault(Directory.Exists) ?? Path.GetFullPath(Path.Combine(TestPrograms.RepoRoot, "..", "shared"));

    public static string PathOf(string relative) => Path.Combine(Root, relative);
}
