namespace SharpBpf.Fuzz;

/// <summary>What the supervisor runs: how many random programs and mutated files, from which seed and seed files.</summary>
internal sealed record FuzzOptions(long Programs, long Files, int Seed, IReadOnlyList<string> SeedDirs, TimeSpan Timeout, long Batch)
{
    public static FuzzOptions Parse(IReadOnlyList<string> args)
    {
        long programs = 1000, files = 200, batch = 5000;
        int seed = 1;
        double timeout = 30;
        var dirs = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string value = i + 1 < args.Count ? args[i + 1] : throw new FormatException($"{args[i]} needs a value");
            switch (args[i++])
            {
                case "--programs": programs = long.Parse(value); break;
                case "--files": files = long.Parse(value); break;
                case "--seed": seed = int.Parse(value); break;
                case "--seeds": dirs.Add(value); break;
                case "--timeout": timeout = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
                case "--batch": batch = long.Parse(value); break;
                default: throw new FormatException($"unknown option {args[i - 1]}");
            }
        }
        return new FuzzOptions(programs, files, seed, dirs, TimeSpan.FromSeconds(timeout), batch);
    }
}
