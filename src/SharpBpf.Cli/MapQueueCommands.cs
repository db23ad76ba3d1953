using System.CommandLine;
using SharpBpf.Linux;
using SharpBpf.Cli.Bpftool;
using SharpBpf.Maps;
using SharpBpf.Text;

namespace SharpBpf.Cli;

/// <summary>bpftool's map getnext, peek, push, enqueue, pop, dequeue and freeze, added to <c>sharpbpf map</c>.</summary>
internal static class MapQueueCommands
{
    public static Command AddTo(Command map)
    {
        map.Subcommands.Add(BpftoolCli.Keywords("getnext", "The key after KEY (or the first key).", "MAP [key DATA]", (result, args, output) =>
        {
            using var m = MapCommand.OpenOne(args);
            byte[]? key = args.TryKeyword("key") ? args.TakeBytes(m.KeySize, "key") : null;
            args.ExpectEnd();
            var next = new byte[m.KeySize];
            if (!m.TryGetNextKey(key, next))
                throw new BpfMapException(m.Name, "get next key", Errno.ENOENT, key is null ? "the map is empty" : "no key after this one");
            var format = BpftoolCli.Format(result);
            if (format == OutputFormat.Plain)
            {
                output.Write(key is null ? "key: None\n" : "key:\n" + MapDump.Hex(key) + "\n");
                output.Write("next key:\n" + MapDump.Hex(next) + "\n");
                return;
            }
            var json = new BpftoolJsonWriter(output, format == OutputFormat.PrettyJson);
            json.StartObject();
            json.Name("key");
            if (key is null)
                json.Null();
            else
                MapDump.HexArray(json, key);
            json.Name("next_key");
            MapDump.HexArray(json, next);
            json.EndObject();
            json.Finish();
        }));
        map.Subcommands.Add(BpftoolCli.Keywords("peek", "The head of a queue or stack, left in place.", "MAP", (result, args, output) =>
        {
            using var m = MapCommand.OpenOne(args);
            args.ExpectEnd();
            return MapDump.Lookup(output, m, [], BpftoolCli.Format(result)) ? 0 : 1;
        }));
        foreach (var verb in new[] { "push", "enqueue" })
            map.Subcommands.Add(BpftoolCli.Keywords(verb, "Add a value to a queue, stack or bloom filter.", "MAP value VALUE", (result, args, output) =>
            {
                using var m = MapCommand.OpenOne(args);
                args.Expect("value");
                var value = args.TakeBytes(m.ValueSize, "value");
                args.ExpectEnd();
                m.Update([], value);
                if (BpftoolCli.Format(result) != OutputFormat.Plain)
                    output.Write("null\n");
            }));
        foreach (var verb in new[] { "pop", "dequeue" })
            map.Subcommands.Add(BpftoolCli.Keywords(verb, "Take the head of a queue or stack.", "MAP", (result, args, output) =>
            {
                using var m = MapCommand.OpenOne(args);
                args.ExpectEnd();
                var value = new byte[m.UserValueSize];
                if (!m.TryLookupAndDelete([], value))
                {
                    output.Write(BpftoolCli.Format(result) == OutputFormat.Plain ? "Error: empty map\n" : "null\n");
                    return 1;
                }
                var format = BpftoolCli.Format(result);
                if (format == OutputFormat.Plain)
                {
                    var sb = new System.Text.StringBuilder();
                    MapDump.AppendPlain(sb, m.Info, [], value);
                    output.Write(sb);
                    return 0;
                }
                var json = new BpftoolJsonWriter(output, format == OutputFormat.PrettyJson);
                MapDump.WriteJson(json, m.Info, [], value, MapDump.LoadBtf(m.Info));
                json.Finish();
                return 0;
            }));
        map.Subcommands.Add(BpftoolCli.Keywords("freeze", "Make a map read-only for user space (BPF_MAP_FREEZE).", "MAP", (result, args, output) =>
        {
            using var m = MapCommand.OpenOne(args);
            args.ExpectEnd();
            m.Freeze();
            if (BpftoolCli.Format(result) != OutputFormat.Plain)
                output.Write("null\n");
        }));
        return map;
    }
}
