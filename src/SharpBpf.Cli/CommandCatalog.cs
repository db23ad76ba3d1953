using System.CommandLine;

namespace SharpBpf.Cli;

/// <summary>Every top-level command, in the order <c>--help</c> lists them. One line per command file.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return VersionCommand.Create();
        yield return ObjdumpCommand.Create();
        yield return ObjectCommand.Create();
        yield return ConformancePluginCommand.Create();
        yield return BtfKernelCommands.AddTo(BtfCommand.Create());
        yield return ProgProfileCommand.AddTo(ProgLoadCommands.AddTo(ProgCommand.Create()));
        yield return MapEventPipeCommand.AddTo(MapQueueCommands.AddTo(MapCommand.Create()));
        yield return FeatureCommand.Create();
        yield return LinkCommand.Create();
        yield return NetCommand.Create();
        yield return PerfCommand.Create();
        yield return IterCommand.Create();
        yield return GenCommand.Create();
        yield return FilterCommand.Create();
        yield return UsdtCommand.Create();
        yield return CgroupCommand.Create();
        yield return TopCommand.Create();
    }
}
