using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SharpBpf.Skeletons;

namespace SharpBpf.Tests.Skeletons;

/// <summary>Compiles generated skeletons (plus test driver code) with Roslyn as a consuming project would:
/// nullable on, unsafe allowed, every warning an error.</summary>
internal static class SkeletonCompiler
{
    private static readonly Lazy<MetadataReference[]> References = new(() =>
    {
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return trusted
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Append(typeof(BpfSkeleton).Assembly.Location)
            .Distinct()
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToArray();
    });

    /// <summary>Diagnostics of compiling <paramref name="sources"/> (warnings reported as errors).</summary>
    public static (Assembly? Assembly, IReadOnlyList<Diagnostic> Diagnostics) Compile(string assemblyName, params string[] sources)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest, DocumentationMode.Diagnose); // doc comments checked as with GenerateDocumentationFile
        var trees = sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, parse, path: $"source{i}.cs"));
        var compilation = CSharpCompilation.Create(assemblyName, trees, References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary,
                allowUnsafe: true,
                nullableContextOptions: NullableContextOptions.Enable,
                generalDiagnosticOption: ReportDiagnostic.Error,
                warningLevel: 9999,
                optimizationLevel: OptimizationLevel.Release,
                // Test drivers have no doc comments; the generated code's doc comments are still checked (CS1570, CS1574…).
                specificDiagnosticOptions: [new("CS1591", ReportDiagnostic.Suppress)]));
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        var diagnostics = result.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning || d.IsWarningAsError).ToList();
        return (result.Success ? Assembly.Load(stream.ToArray()) : null, diagnostics);
    }

    /// <summary>Compiles or fails the test with every diagnostic and the offending source lines.</summary>
    public static Assembly CompileOrFail(string assemblyName, params string[] sources)
    {
        var (assembly, diagnostics) = Compile(assemblyName, sources);
        if (assembly is null || diagnostics.Count > 0)
        {
            var text = string.Join("\n", diagnostics.Select(d =>
            {
                var line = d.Location.IsInSource ? d.Location.SourceTree!.GetText().Lines[d.Location.GetLineSpan().StartLinePosition.Line].ToString().Trim() : "";
                return $"{d}\n    {line}";
            }));
            Assert.Fail($"the generated skeleton does not compile cleanly:\n{text}");
        }
        return assembly!;
    }
}
