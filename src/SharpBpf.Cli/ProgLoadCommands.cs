using System.CommandLine;
using SharpBpf.Cli.Bpftool;
using SharpBpf.Linux;
using SharpBpf.Linux.Attach;
using SharpBpf.Objects;
using SharpBpf.Text;

namespace SharpBpf.Cli;

/// <summary>bpftool's prog load, loadall, attach and detach, added to <c>sharpbpf prog</c>.</summary>
internal static class ProgLoadCommands
{
    private const string LoadGrammar = "OBJECT PATH [type TYPE] [map { idx IDX | name NAME } MAP] [pinmaps MAPDIR]";

    public static Command AddTo(Command prog)
    {
        prog.Subcommands.Add(BpftoolCli.Keywords("load", "Load an object's programs and pin the first at PATH (and optionally its maps). " +
            "map idx|name uses a map already in the kernel for one of the object's maps.",
            LoadGrammar, (result, args, output) => Load("load", result, args, output)));
        prog.Subcommands.Add(BpftoolCli.Keywords("loadall", "Load every program of an object and pin them under PINDIR (and optionally its maps). " +
            "With autoattach, attach each program where its section name says and pin the link instead (bpftool 7.3+), so the " +
            "attachment outlives this process; a program that cannot be attached that way is pinned as such.",
            LoadGrammar.Replace("PATH", "PINDIR", StringComparison.Ordinal) + " [autoattach]", (result, args, output) => Load("loadall", result, args, output)));
        prog.Subcommands.Add(BpftoolCli.Keywords("attach", "Attach a program to a sockmap/sockhash (or the flow dissector of this network namespace).",
            "PROG ATTACH_TYPE [MAP]\n  ATTACH_TYPE := { " + string.Join(" | ", MapAttachTypes.Keys) + " }",
            (result, args, output) => AttachOrDetach(result, args, output, attach: true)));
        prog.Subcommands.Add(BpftoolCli.Keywords("detach", "Detach a program attached with prog attach.", "PROG ATTACH_TYPE [MAP]",
            (result, args, output) => AttachOrDetach(result, args, output, attach: false)));
        return prog;
    }

    /// <summary>bpftool's attach types for prog attach/detach: programs attached to a map (or, flow_dissector, to the netns).</summary>
    private static readonly Dictionary<string, BpfAttachType> MapAttachTypes = new(StringComparer.Ordinal)
    {
        ["sk_msg_verdict"] = BpfAttachType.SkMsgVerdict,
        ["sk_skb_verdict"] = BpfAttachType.SkSkbVerdict,
        ["sk_skb_stream_verdict"] = BpfAttachType.SkSkbStreamVerdict,
        ["sk_skb_stream_parser"] = BpfAttachType.SkSkbStreamParser,
        ["flow_dissector"] = BpfAttachType.FlowDissector,
    };

    private static void AttachOrDetach(ParseResult result, BpftoolArgs args, TextWriter output, bool attach)
    {
        var verb = attach ? "attach" : "detach";
        var selector = ObjectSelector.Parse(args, allowTag: true) ?? throw new ArgumentException($"prog {verb}: expected PROG");
        var typeName = args.Take("ATTACH_TYPE");
        if (!MapAttachTypes.TryGetValue(typeName, out var type))
            throw new ArgumentException($"prog {verb}: invalid attach type '{typeName}' (expected {string.Join(", ", MapAttachTypes.Keys)})");
        using var program = selector.OpenOne(BpfObjectKind.Program);
        // The flow dissector attaches to the caller's network namespace, given as target fd 0 as bpftool does.
        using var map = type == BpfAttachType.FlowDissector ? null
            : MapCommand.OpenOne(args);
        args.ExpectEnd();
        var target = map is null ? 0 : map.Fd.Value;
        var what = $"{typeName} {(map is null ? "of this network namespace" : "of map " + map.Name)}";
        if (attach)
            BpfCalls.ProgAttach(target, program.Value, type, 0, what);
        else
            BpfCalls.ProgDetach(target, program.Value, type, what);
        if (BpftoolCli.Format(result) != OutputFormat.Plain)
            output.Write("null\n");
    }

    private static void Load(string verb, ParseResult result, BpftoolArgs args, TextWriter output)
    {
        var path = args.Take("OBJECT");
        var pinPath = args.Take(verb == "load" ? "PATH" : "PINDIR");
        string? mapDir = null, type = null;
        bool autoAttach = false;
        var reuse = new List<(string By, string Which, ObjectSelector Map)>();
        while (!args.AtEnd)
        {
            if (args.TryKeyword("pinmaps")) mapDir = args.Take("MAPDIR");
            else if (verb == "loadall" && args.TryKeyword("autoattach")) autoAttach = true;
            else if (args.TryKeyword("type")) type = args.Take("TYPE");
            else if (args.TryKeyword("map"))
            {
                var by = args.Take("idx or name");
                if (by is not ("idx" or "name"))
                    throw new ArgumentException($"prog {verb}: expected 'idx' or 'name' after 'map', got '{by}'");
                var which = args.Take(by == "idx" ? "map index" : "map name");
                reuse.Add((by, which, ObjectSelector.Parse(args, allowTag: false) ?? throw new ArgumentException($"prog {verb}: expected MAP after map {by} {which}")));
            }
            else throw new ArgumentException($"prog {verb}: unknown argument '{args.Take("option")}'");
        }
        var spec = ObjectSpec.Load(path);
        if (type is not null)
            SetProgramType(spec, type, verb);
        using var reused = MapReuse.Prepare(reuse.Select(r => (ObjectMap(spec, r.By, r.Which, verb), r.Map)).ToList());
        using var collection = new KernelEngine(new KernelEngineOptions { PinRootPath = KernelEngineOptions.LibbpfPinRoot, ReuseMaps = reused.Maps }).Load(spec);
        if (verb == "load")
        {
            // bpftool's load pins the object's first program (all are loaded).
            var first = spec.Programs.FirstOrDefault(p => collection.Programs.ContainsKey(p.Name))
                ?? throw new BpfException($"{path}: no program to pin");
            BpfFs.RequireBpfFsFor(pinPath);
            collection.Programs[first.Name].Pin(pinPath);
        }
        else
            PinAll(collection, spec, pinPath, autoAttach);
        if (mapDir is not null)
        {
            BpfFs.CreatePinDirectory(mapDir);
            collection.PinMaps(mapDir);
        }
        if (BpftoolCli.Format(result) != OutputFormat.Plain)
            output.Write("null\n");
    }

    private static MapSpec ObjectMap(ObjectSpec spec, string by, string which, string verb)
    {
        if (by == "name")
            return spec.Maps.FirstOrDefault(m => m.Name == which) ?? throw new ArgumentException($"prog {verb}: the object has no map named '{which}'");
        var index = BpftoolArgs.ParseNumber(which, "map index");
        return index < (ulong)spec.Maps.Count ? spec.Maps[(int)index]
            : throw new ArgumentException($"prog {verb}: map index {index} is out of range (the object has {spec.Maps.Count} maps)");
    }

    private static void PinAll(KernelCollection collection, ObjectSpec spec, string pinDir, bool autoAttach)
    {
        BpfFs.CreatePinDirectory(pinDir);
        BpfFs.RequireBpfFsFor(Path.Combine(pinDir, "x"));
        var (links, failures) = autoAttach ? AutoAttach.AttachEachByProgram(collection, spec) : ([], []);
        foreach (var (name, error) in failures)
            Console.Error.WriteLine($"Program {name} does not support autoattach, falling back to pinning ({error.Message})");
        try
        {
            var attached = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (name, link) in links)
            {
                link.Pin(Path.Combine(pinDir, name)); // the link holds the program: no separate program pin
                attached.Add(name);
            }
            foreach (var (name, program) in collection.Programs)
                if (!attached.Contains(name))
                    program.Pin(Path.Combine(pinDir, name));
        }
        finally
        {
            foreach (var (_, link) in links)
                link.Dispose(); // pinned links stay attached
        }
    }

    /// <summary>
    /// bpftool's <c>type TYPE</c>: every program gets the type (and expected attach type) of section "TYPE/", else of section
    /// "TYPE", else the program type bpftool names TYPE ("xdp", "sched_cls").
    /// </summary>
    private static void SetProgramType(ObjectSpec spec, string type, string verb)
    {
        var def = SectionDefinitions.Find(type + "/") ?? SectionDefinitions.Find(type);
        var programType = def?.Type ?? BpfNames.ParseProgramType(type)
            ?? throw new ArgumentException($"prog {verb}: unknown program type '{type}' (a section name prefix such as xdp, tc, tracepoint, kprobe)");
        foreach (var program in spec.Programs)
        {
            program.Type = programType;
            program.ExpectedAttachType = def?.AttachType ?? default;
        }
    }
}
