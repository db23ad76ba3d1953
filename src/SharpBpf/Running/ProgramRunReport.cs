namespace SharpBpf.Running;

/// <summary>What a request produced, engine-neutral: one <see cref="RunResult"/> per input, then the object's maps.</summary>
/// <param name="Maps">The object's maps after the last run that <see cref="ProgramRunRequest.Maps"/> asked for, sorted by name
/// (empty for a program that was already loaded).</param>
public sealed record ProgramRunReport(string ProgramName, IReadOnlyList<RunResult> Runs, IReadOnlyList<MapContents> Maps)
{
    /// <summary>A copy whose maps no longer need the engine.</summary>
    public ProgramRunReport Materialized() => this with { Maps = Maps.Select(m => m.Materialized()).ToList() };
}
