using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace SharpBpf.Cli;

/// <summary>
/// The published tool is NativeAOT, which cannot emit code, so the VM there can only interpret. The commands that run
/// the VM's JIT (<c>prog run</c> on the VM, <c>conformance-plugin --jit</c>) are handed over to the framework-dependent
/// build the publish puts in <c>jit/</c> (see SharpBpf.Cli.csproj); without it they interpret, and say so once.
/// </summary>
internal static class JitCompanion
{
    private static string CompanionPath => Path.Combine(AppContext.BaseDirectory, "jit", "sharpbpf");

    /// <summary>How this build runs the VM's programs, for <c>sharpbpf version</c>.</summary>
    public static string Features => RuntimeFeature.IsDynamicCodeSupported ? "jit"
        : File.Exists(CompanionPath) ? "nativeaot, jit (jit/ companion)" : "nativeaot, interpreter only";

    /// <summary>Runs <paramref name="args"/> in the companion when it needs the JIT; null when it runs here.</summary>
    public static int? TryHandOver(string[] args)
    {
        if (RuntimeFeature.IsDynamicCodeSupported || !NeedsJit(args))
            return null;
        var companion = CompanionPath;
        if (!File.Exists(companion))
        {
            Console.Error.WriteLine("sharpbpf: note: this build has no JIT (NativeAOT without its jit/ companion): the VM interprets");
            return null;
        }
        var start = new ProcessStartInfo(companion) { UseShellExecute = false };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        process.WaitForExit();
        return process.ExitCode;
    }

    private static bool NeedsJit(string[] args) => args switch
    {
        // Without --engine, a loaded program (id/pinned/name/tag N) runs in the kernel and an object in the VM.
        ["prog", "run", var what, .. var rest] => EngineOf(rest) switch
        {
            null => what is not ("id" or "pinned" or "name" or "tag"),
            var engine => engine == "vm",
        },
        ["conformance-plugin", .. var rest] => rest.Contains("--jit"),
        _ => false,
    };

    /// <summary>The value of --engine (either form), or null when absent (the default engine is the VM for objects).</summary>
    private static string? EngineOf(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--engine" && i + 1 < args.Length)
                return args[i + 1];
            if (args[i].StartsWith("--engine=", StringComparison.Ordinal))
                return args[i]["--engine=".Length..];
        }
        return null;
    }
}
