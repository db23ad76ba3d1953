namespace SharpBpf.Tests.Skeletons;

/// <summary>
/// C# that uses a generated skeleton of tests/programs/skel_globals.c the way an application would (typed properties
/// only), compiled with it by Roslyn. Its report lists what it read; the tests compare it with what the BPF program
/// must have written, identically for the VM and the kernel.
/// </summary>
internal static class SkeletonDriver
{
    public const string ClassName = "GlobalsSkel";

    public static string Source(string ns) => $$"""
        #nullable enable
        using System.Linq;
        using System.Text;

        namespace {{ns}};

        public static class Driver
        {
            public static string Run(global::SharpBpf.Skeletons.SkeletonEngine engine)
            {
                var lines = new global::System.Collections.Generic.List<string>();
                using var skel = new {{ClassName}}();
                lines.Add($"before threshold={skel.Rodata.Threshold} multiplier={skel.Rodata.Config.Multiplier} magic={skel.Data.Magic:x} name={Encoding.ASCII.GetString(skel.Data.NameSpan).TrimEnd('\0')} packets={skel.Bss.Counters.Packets}");
                skel.Rodata.Threshold = 3;
                skel.Rodata.Config.Multiplier = 100;
                skel.Data.Delta = -1;
                skel.Load(engine);
                var packet = new byte[64];
                for (int i = 0; i < 5; i++)
                    lines.Add($"ret={skel.Programs.CountPackets.Run(packet).ReturnValue}");
                ref var bss = ref skel.Bss;
                lines.Add($"counters packets={bss.Counters.Packets} bytes={bss.Counters.Bytes}");
                lines.Add($"histogram={string.Join(",", bss.HistogramSpan.ToArray())}");
                lines.Add($"points={bss.Points[0].X},{bss.Points[0].Y} {bss.Points[1].X},{bss.Points[1].Y} {bss.Points[2].X},{bss.Points[2].Y}");
                lines.Add($"number u={bss.Number.U:x} f={bss.Number.F:F5} b={bss.Number.BSpan[0]:x},{bss.Number.BSpan[3]:x}");
                lines.Add($"flags a={bss.Flags.A} b={bss.Flags.B} c={bss.Flags.C} d={bss.Flags.D:x} tail={bss.Flags.Tail:x}");
                lines.Add($"mixed kind={bss.Mixed.Kind} as_u32={bss.Mixed.AsU32:x} as_s16={bss.Mixed.AsS16Span[0]},{bss.Mixed.AsS16Span[1]} half={bss.Mixed.Half.Lo:x},{bss.Mixed.Half.Hi:x} on={bss.Mixed.On} words={string.Join(",", bss.Mixed.WordsSpan.ToArray())}");
                lines.Add($"enums mode={bss.Mode} tiny={bss.Tiny} wide={(ulong)bss.Wide:x} seen={bss.Seen}");
                lines.Add($"data magic={skel.Data.Magic:x} delta={skel.Data.Delta} rodata threshold={skel.Rodata.Threshold} hidden={skel.DataHidden.HiddenGlobal}");
                var flow = skel.Maps.Flows[new {{ClassName}}.FlowKey { Proto = 6, Port = 80 }];
                lines.Add($"flows count={flow.Count} last_len={flow.LastLen} keys={skel.Maps.Flows.Keys.Count()}");
                lines.Add($"totals[1]={skel.Maps.Totals[1]}");

                // Writes through the typed properties reach the program: bitfields keep their neighbours.
                bss.Counters.Packets = 1000;
                bss.Flags.C = -8;
                bss.Flags.B = 2;
                lines.Add($"written flags a={bss.Flags.A} b={bss.Flags.B} c={bss.Flags.C} d={bss.Flags.D:x} tail={bss.Flags.Tail:x}");
                skel.Programs.CountPackets.Run(packet);
                lines.Add($"after write packets={skel.Bss.Counters.Packets} flags c={skel.Bss.Flags.C} b={skel.Bss.Flags.B}");
                return string.Join("\n", lines);
            }
        }
        """;

    /// <summary>What the driver must report after five 64-byte packets with threshold 3, multiplier 100 and delta -1.</summary>
    public const string Expected = """
        before threshold=10 multiplier=3 magic=1122334455667788 name=skel packets=0
        ret=2
        ret=2
        ret=2
        ret=2
        ret=2
        counters packets=5 bytes=820
        histogram=5,0,0,0,0,0,0,0
        points=1,-1 2,-2 3,-3
        number u=40490fdb f=3.14159 b=db,40
        flags a=5 b=17 c=-3 d=abcde tail=5a
        mixed kind=9 as_u32=3fffe as_s16=-2,3 half=1234,5678 on=True words=0,0,77,0
        enums mode=Auto tiny=B wide=100000000 seen=True
        data magic=1122334455667783 delta=-1 rodata threshold=3 hidden=32
        flows count=5 last_len=64 keys=1
        totals[1]=320
        written flags a=5 b=2 c=-8 d=abcde tail=5a
        after write packets=1001 flags c=-3 b=17
        """;
}
