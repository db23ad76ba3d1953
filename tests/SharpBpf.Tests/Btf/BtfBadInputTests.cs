using SharpBpf.Cli.Bpftool;
using SharpBpf.Btf;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Btf;

/// <summary>Seeded mutations of real BTF: parsing and every consumer either work or throw a BpfException, never anything else.</summary>
public class BtfBadInputTests
{
    [Fact]
    public void MutatedBtfOnlyEverRaisesBpfExceptions()
    {
        var original = BtfTestData.ObjcopyBtf(TestPrograms.Compile("btf_rich_types.c"));
        var random = new Random(20261122);
        var parsed = 0;
        for (var round = 0; round < 3000; round++)
        {
            var data = (byte[])original.Clone();
            switch (round % 4)
            {
                case 0: // flip a few bits in the type section
                    for (var i = 0; i < 1 + random.Next(4); i++)
                        data[24 + random.Next(data.Length - 24)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1: // overwrite a 32-bit word with a small type id or an extreme value
                {
                    var at = 24 + random.Next((data.Length - 28) / 4) * 4;
                    var value = random.Next(3) switch { 0 => (uint)random.Next(100), 1 => uint.MaxValue, _ => (uint)random.Next() };
                    BitConverter.TryWriteBytes(data.AsSpan(at), value);
                    break;
                }
                case 2: // truncate
                    data = data[..random.Next(data.Length)];
                    break;
                default: // corrupt the header
                    data[random.Next(24)] = (byte)random.Next(256);
                    break;
            }
            BtfSpec spec;
            try
            {
                spec = BtfSpec.Parse(data);
            }
            catch (BpfException)
            {
                continue;
            }
            parsed++;
            try
            {
                var sink = new StringWriter();
                BtfRawPrinter.Print(spec, sink);
                BtfRawPrinter.PrintJson(spec, sink, pretty: true);
                // Like libbpf, the C printer pads structs out to their declared sizes and inlines anonymous types at
                // every use, so mutated BTF can legitimately ask for gigabytes of C; stop reading after 1 MB.
                try
                {
                    BtfCPrinter.PrintHeader(spec, new LimitedWriter(1 << 20));
                }
                catch (LimitedWriter.FullException)
                {
                }
                Assert.Equal(spec.Count, BtfSpec.Parse(spec.ToBytes()).Count);
                for (uint id = 0; id < spec.Count; id++)
                {
                    try
                    {
                        spec.SizeOf(id);
                    }
                    catch (BpfException)
                    {
                    }
                }
            }
            catch (BpfException)
            {
            }
        }
        Assert.True(parsed > 300, $"only {parsed} mutations parsed: the test exercises too little");
    }

    [Fact]
    public void ReferenceLoopsWithoutAStructAreRejected()
    {
        var spec = new BtfSpec();
        var ptr = spec.Add(new BtfPtr(3));
        spec.Add(new BtfConst(ptr));
        spec.Add(new BtfTypedef("loop_t", 2)); // 3 -> 2 -> 1 -> 3
        var e = Assert.Throws<BpfFormatException>(() => BtfSpec.Parse(spec.ToBytes()));
        Assert.Contains("loop", e.Message);

        // Through a struct, a loop is ordinary C (struct list { struct list *next; }).
        var ok = new BtfSpec();
        var s = ok.Add(new BtfStruct("list", 8, [new BtfMember("next", 2, 0, 0)]));
        ok.Add(new BtfPtr(s));
        Assert.Contains("struct list *next;", Render(BtfSpec.Parse(ok.ToBytes())));
    }

    private sealed class LimitedWriter(int limit) : TextWriter
    {
        private int _written;

        public sealed class FullException : Exception;

        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void Write(char value) => Count(1);

        public override void Write(string? value) => Count(value?.Length ?? 0);

        public override void Write(char[] buffer, int index, int count) => Count(count);

        private void Count(int n)
        {
            _written += n;
            if (_written > limit)
                throw new FullException();
        }
    }

    private static string Render(BtfSpec spec)
    {
        var w = new StringWriter();
        BtfCPrinter.PrintTypes(spec, w);
        return w.ToString();
    }
}
