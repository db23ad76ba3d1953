using SharpBpf.Text;
using System.CommandLine;
using SharpBpf.Linux;
using SharpBpf.Cli.Bpftool;
using SharpBpf.Maps;
using SharpBpf.Objects;

namespace SharpBpf.Cli;

/// <summary><c>sharpbpf map ...</c>: bpftool's map commands (show, dump, lookup, update, delete, pin, create).</summary>
internal static class MapCommand
{
    public static Command Create()
    {
        var map = new Command("map", "Inspect and manipulate BPF maps (bpftool map).").WithCommonOptions();
        map.Subcommands.Add(BpftoolCli.Keywords("show", "Show maps.", "[id ID | pinned FILE | name NAME]", (result, args, output) =>
        {
            var selector = ObjectSelector.Parse(args, allowTag: false);
            args.ExpectEnd();
            var pins = result.GetValue(BpftoolCli.BpfFs) ? PinnedObjects.Scan(BpfObjectKind.Map) : null;
            var format = BpftoolCli.Format(result);
            if (selector is null)
            {
                MapShow.Render(output, MapShow.All(pins), format, asArray: true);
                return;
            }
            var fds = selector.Open(BpfObjectKind.Map);
            try
            {
                var entries = fds.Select(fd => MapShow.Describe(fd, pins)).ToList();
                MapShow.Render(output, entries, format, asArray: entries.Count > 1);
            }
            finally
            {
                fds.ForEach(fd => fd.Dispose());
            }
        }, "list"));
        map.Subcommands.Add(BpftoolCli.Keywords("dump", "Dump every entry of a map.", "MAP", (result, args, output) =>
        {
            using var kernelMap = OpenOne(args);
            args.ExpectEnd();
            MapDump.Dump(output, kernelMap, BpftoolCli.Format(result), out int walkErrno);
            return -walkErrno & 0xff; // bpftool returns -errno from main
        }));
        map.Subcommands.Add(BpftoolCli.Keywords("lookup", "Look up a key.", "MAP key DATA", (result, args, output) =>
        {
            using var kernelMap = OpenOne(args);
            args.Expect("key");
            var key = args.TakeBytes(kernelMap.KeySize, "key");
            args.ExpectEnd();
            return MapDump.Lookup(output, kernelMap, key, BpftoolCli.Format(result)) ? 0 : 1;
        }));
        map.Subcommands.Add(BpftoolCli.Keywords("update", "Create or update an entry.", "MAP [key DATA] [value VALUE] [any | exist | noexist]", (result, args, output) =>
        {
            using var kernelMap = OpenOne(args);
            var key = args.TryKeyword("key") ? args.TakeBytes(kernelMap.KeySize, "key") : [];
            args.Expect("value");
            var value = ParseValue(args, kernelMap);
            var flags = MapUpdateFlags.Any;
            if (args.TryKeyword("exist")) flags = MapUpdateFlags.Exist;
            else if (args.TryKeyword("noexist")) flags = MapUpdateFlags.NoExist;
            else args.TryKeyword("any");
            args.ExpectEnd();
            kernelMap.Update(key, value, flags);
            if (BpftoolCli.Format(result) != OutputFormat.Plain)
                output.Write("null\n");
        }));
        map.Subcommands.Add(BpftoolCli.Keywords("delete", "Delete a key.", "MAP key DATA", (result, args, output) =>
        {
            using var kernelMap = OpenOne(args);
            args.Expect("key");
            var key = args.TakeBytes(kernelMap.KeySize, "key");
            args.ExpectEnd();
            if (!kernelMap.Delete(key))
                throw new BpfMapException(kernelMap.Name, "delete", Errno.ENOENT, "no such key");
            if (BpftoolCli.Format(result) != OutputFormat.Plain)
                output.Write("null\n");
        }));
        map.Subcommands.Add(BpftoolCli.Keywords("pin", "Pin a map at a path in a bpf filesystem.", "MAP FILE", (result, args, output) =>
        {
            using var kernelMap = OpenOne(args);
            var path = args.Take("FILE");
            args.ExpectEnd();
            BpfFs.RequireBpfFsFor(path);
            kernelMap.Pin(path);
            if (BpftoolCli.Format(result) != OutputFormat.Plain)
                output.Write("null\n");
        }));
        map.Subcommands.Add(BpftoolCli.Keywords("create", "Create a map and pin it.",
            "FILE type TYPE key KEY_SIZE value VALUE_SIZE entries MAX_ENTRIES name NAME [flags FLAGS] [inner_map MAP]", (result, args, output) =>
        {
            var path = args.Take("FILE");
            var spec = new MapSpec { Name = "" };
            KernelMap? inner = null;
            try
            {
                while (!args.AtEnd)
                {
                    var word = args.Take("keyword");
                    switch (word)
                    {
                        case "type":
                            var typeName = args.Take("TYPE");
                            if (!BpfNames.TryParseMapType(typeName, out var type))
                                throw new ArgumentException($"unknown map type '{typeName}'");
                            spec.Type = type;
                            break;
                        case "key": spec.KeySize = (int)BpftoolArgs.ParseNumber(args.Take("KEY_SIZE"), "key size"); break;
                        case "value": spec.ValueSize = (int)BpftoolArgs.ParseNumber(args.Take("VALUE_SIZE"), "value size"); break;
                        case "entries": spec.MaxEntries = (int)BpftoolArgs.ParseNumber(args.Take("MAX_ENTRIES"), "max entries"); break;
                        case "name": spec.Name = args.Take("NAME"); break;
                        case "flags": spec.Flags = (uint)BpftoolArgs.ParseNumber(args.Take("FLAGS"), "flags"); break;
                        case "inner_map":
                            var selector = ObjectSelector.Parse(args, allowTag: false) ?? throw new ArgumentException("expected MAP after inner_map");
                            inner = KernelMap.FromFd(selector.OpenOne(BpfObjectKind.Map));
                            break;
                        default:
                            throw new ArgumentException($"unknown map create argument '{word}'");
                    }
                }
                if (spec.Type == BpfMapType.Unspec)
                    throw new ArgumentException("map create: 'type' is required");
                if (spec.Name.Length == 0)
                    throw new ArgumentException("map create: 'name' is required");
                BpfFs.RequireBpfFsFor(path);
                using var created = KernelMap.Create(spec, innerMap: inner);
                created.Pin(path);
            }
            finally
            {
                inner?.Dispose();
            }
            if (BpftoolCli.Format(result) != OutputFormat.Plain)
                output.Write("null\n");
        }));
        return map;
    }

    internal static KernelMap OpenOne(BpftoolArgs args)
    {
        var selector = ObjectSelector.Parse(args, allowTag: false) ?? throw new ArgumentException("expected MAP: id ID | pinned FILE | name NAME");
        return KernelMap.FromFd(selector.OpenOne(BpfObjectKind.Map));
    }

    /// <summary>The value of an update: bytes, or for PROG_ARRAY a program and for maps of maps a map (stored as their fds).</summary>
    private static byte[] ParseValue(BpftoolArgs args, KernelMap map)
    {
        if (map.Type is BpfMapType.ProgArray or BpfMapType.ArrayOfMaps or BpfMapType.HashOfMaps)
        {
            var kind = map.Type == BpfMapType.ProgArray ? BpfObjectKind.Program : BpfObjectKind.Map;
            var selector = ObjectSelector.Parse(args, allowTag: kind == BpfObjectKind.Program)
                ?? throw new ArgumentException(kind == BpfObjectKind.Program ? "expected PROG as the value" : "expected MAP as the value");
            // The fd must stay open until the update: leak it to the process's end (the CLI exits right after).
            var fd = selector.OpenOne(kind);
            return BitConverter.GetBytes(fd.Value);
        }
        var value = args.TakeBytes(map.ValueSize, "value");
        if (!PossibleCpus.IsPerCpu(map.Type))
            return value;
        // bpftool copies the one value given to every CPU.
        int step = (map.ValueSize + 7) & ~7;
        var all = new byte[map.UserValueSize];
        for (int cpu = 0; cpu < PossibleCpus.Count; cpu++)
            value.CopyTo(all, cpu * step);
        return all;
    }
}
