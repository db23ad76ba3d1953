using System.CommandLine;
using System.Text;
using SharpBpf.Skeletons;

namespace SharpBpf.Cli;

/// <summary><c>sharpbpf gen skeleton OBJECT [--namespace N] [--class C] [--internal] [-o FILE]</c>: a typed C# skeleton.</summary>
internal static class GenCommand
{
    public static Command Create()
    {
        var gen = new Command("gen", "Generate code from BPF objects.");
        var file = new Argument<string>("OBJECT") { Description = "a little-endian BPF ELF object" };
        var ns = new Option<string?>("--namespace", "-n") { Description = "namespace of the generated class (default: global)" };
        var cls = new Option<string?>("--class", "-c") { Description = "class name (default: <Object>Skeleton)" };
        var isInternal = new Option<bool>("--internal") { Description = "declare the class internal instead of public" };
        var output = new Option<string?>("--output", "-o") { Description = "write to FILE instead of stdout" };
        var skeleton = new Command("skeleton", "Write a C# class that embeds the object and exposes its maps, programs and global data with types from its BTF.")
        {
            file, ns, cls, isInternal, output,
        };
        skeleton.SetAction(parse =>
        {
            var source = SkeletonGenerator.Generate(parse.GetValue(file)!, new SkeletonOptions
            {
                Namespace = parse.GetValue(ns),
                ClassName = parse.GetValue(cls),
                Internal = parse.GetValue(isInternal),
            });
            if (parse.GetValue(output) is { } path)
            {
                File.WriteAllText(path, source, new UTF8Encoding(false));
            }
            else
            {
                Console.Out.Write(source);
            }
            return 0;
        });
        gen.Subcommands.Add(skeleton);
        return gen;
    }
}
