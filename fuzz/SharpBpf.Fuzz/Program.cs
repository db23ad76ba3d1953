using SharpBpf.Fuzz;

// sharpbpf-fuzz run [--programs N] [--files N] [--seed S] [--seeds DIR]... [--timeout SEC] [--batch N]: the supervisor.
// sharpbpf-fuzz outcomes SEED START COUNT: how those program cases end, by kind (what a seed exercises).
// sharpbpf-fuzz worker programs|files SEED START COUNT [SEEDS...]: runs cases in this process (started by the supervisor).
try
{
    return args switch
    {
        ["worker", "programs", var seed, var start, var count] =>
            ProgramFuzzer.RunWorker(int.Parse(seed), long.Parse(start), long.Parse(count)),
        ["worker", "files", var seed, var start, var count, .. var seeds] =>
            FileFuzzer.RunWorker(int.Parse(seed), long.Parse(start), long.Parse(count), seeds),
        ["outcomes", var seed, var start, var count] => ProgramFuzzer.PrintOutcomes(int.Parse(seed), long.Parse(start), long.Parse(count)),
        ["run", .. var options] => Supervisor.Run(FuzzOptions.Parse(options)),
        _ => Usage(),
    };
}
catch (FormatException e)
{
    Console.Error.WriteLine($"sharpbpf-fuzz: {e.Message}");
    return 2;
}

static int Usage()
{
    Console.Error.WriteLine("usage: sharpbpf-fuzz run [--programs N] [--files N] [--seed S] [--seeds DIR]... [--timeout SEC] [--batch N]");
    return 2;
}
