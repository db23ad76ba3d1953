namespace SharpBpf.Vm.Helpers;

/// <summary>The helpers the VM implements itself, registered by kernel name.</summary>
internal static class BuiltinHelpers
{
    public static void RegisterAll(VmHelperTable table)
    {
        MapHelpers.Register(table);
        SystemHelpers.Register(table);
        TracePrintk.Register(table);
        OutputHelpers.Register(table);
        PacketHelpers.Register(table);
        XdpBytesHelpers.Register(table);
        TunnelHelpers.Register(table);
        SkbAdjustRoom.Register(table);
        StackHelpers.Register(table);
        FibHelpers.Register(table);
    }
}
