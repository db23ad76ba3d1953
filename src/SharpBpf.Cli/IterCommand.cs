using System.CommandLine;
using SharpBpf.Cli.Bpftool;
using SharpBpf.Linux;
using SharpBpf.Linux.Attach;
using SharpBpf.Objects;
using SharpBpf.Text;

namespace SharpBpf.Cli;

/// <summary><c>sharpbpf iter pin OBJ PATH [map MAP]</c>: load an iterator program and pin its link, a file whose reads run it (bpftool iter).</summary>
internal static class IterCommand
{
    public static Command Create()
    {
        var iter = new Command("iter", "Pin BPF iterators (bpftool iter).").WithCommonOptions();
        iter.Subcommands.Add(BpftoolCli.Keywords("pin", "Load the object's first program, an iterator, and pin its link at PATH (cat PATH runs it).",
            "OBJECT PATH [map MAP]", (result, args, output) =>
        {
            var path = args.Take("OBJECT");
            var pinPath = args.Take("PATH");
            using var map = args.TryKeyword("map") ? MapCommand.OpenOne(args) : null;
            args.ExpectEnd();
            var spec = ObjectSpec.Load(path);
            // As bpftool: the object's first program is the iterator.
            var first = spec.Programs.FirstOrDefault() ?? throw new BpfException($"{path}: the object has no program");
            if (first.ExpectedAttachType != BpfAttachType.TraceIter)
                throw new BpfException($"{path}: program '{first.Name}' is not an iterator (its section is '{first.SectionName}', not iter/...)");
            using var collection = new KernelEngine(new KernelEngineOptions { ShouldLoad = p => ReferenceEquals(p, first) }).Load(spec);
            using var link = Iterator.Attach(collection.Programs[first.Name].Fd, map?.Fd);
            BpfFs.RequireBpfFsFor(pinPath);
            link.Pin(pinPath);
            if (BpftoolCli.Format(result) != OutputFormat.Plain)
                output.Write("null\n");
        }));
        return iter;
    }
}
