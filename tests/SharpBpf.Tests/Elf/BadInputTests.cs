using System.Diagnostics;
using SharpBpf.Elf;
using SharpBpf.Objects;
using SharpBpf.Cli.Objdump;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Elf;

/// <summary>Real objects mutated at random (fixed seed, 700 mutations each): parsing, linking, object show and objdump rendering either succeed or throw BpfFormatException.</summary>
public class BadInputTests
{
    private const int MutationsPerObject = 700;

    [Fact]
    public async Task MutatedObjectsFailOnlyWithBpfFormatException()
    {
        var originals = new[]
        {
            TestPrograms.CompileBytes("obj_btf_maps.c"),
            TestPrograms.CompileBytes("obj_btf_maps.c", bigEndian: true),
            TestPrograms.CompileBytes("obj_global_data.c"),
            TestPrograms.CompileBytes("obj_subprogs.c", "v1"),
            TestPrograms.CompileBytes("obj_legacy_maps.c", bigEndian: true),
            TestPrograms.CompileBytes("obj_externs.c"),
        };
        var options = ObjdumpArguments.Parse(["-d", "-r", "-h", "-s", "-t", "x.o"]).Options;
        var failures = new List<string>();
        int formatErrors = 0, parsed = 0;
        var work = Task.Run(() =>
        {
            var random = new Random(20261122);
            for (int o = 0; o < originals.Length; o++)
            {
                for (int m = 0; m < MutationsPerObject; m++)
                {
                    var (bytes, how) = Mutate(originals[o], random);
                    var watch = Stopwatch.StartNew();
                    try
                    {
                        var spec = ObjectSpec.Parse(bytes, "fuzz.o");
                        ObjectSummary.ToText(spec, "fuzz.o");
                        ObjectSummary.ToJson(spec, "fuzz.o");
                        foreach (var program in spec.Programs)
                        {
                            try { ProgramLinker.Link(spec, program); }
                            catch (BpfException e) when (e is not BpfFormatException) { }
                        }
                        ObjdumpRenderer.Render(ElfFile.Parse(bytes, "fuzz.o"), "fuzz.o", options, TextWriter.Null);
                        parsed++;
                    }
                    catch (BpfFormatException e)
                    {
                        formatErrors++;
                        if (!e.Message.StartsWith("fuzz.o: ", StringComparison.Ordinal))
                            failures.Add($"object {o}, {how}: message does not name the file: {e.Message}");
                    }
                    catch (Exception e)
                    {
                        failures.Add($"object {o}, {how}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
                    }
                    if (watch.Elapsed > TimeSpan.FromSeconds(2))
                        failures.Add($"object {o}, {how}: took {watch.Elapsed}");
                }
            }
        });
        var finished = await Task.WhenAny(work, Task.Delay(TimeSpan.FromMinutes(2)));
        Assert.True(finished == work, "mutation run did not finish in 2 minutes (a hang?)");
        await work;
        Assert.True(failures.Count == 0, $"{failures.Count} failures, first ones:\n" + string.Join("\n", failures.Take(5)));
        // Both outcomes must actually occur, or the mutations test nothing.
        Assert.True(formatErrors > 100, $"only {formatErrors} mutations were rejected");
        Assert.True(parsed > 100, $"only {parsed} mutations parsed");
    }

    private static (byte[] Bytes, string How) Mutate(byte[] original, Random random)
    {
        var bytes = (byte[])original.Clone();
        switch (random.Next(5))
        {
            case 0:
            {
                int n = random.Next(1, 5);
                for (int i = 0; i < n; i++)
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return (bytes, $"{n} bit flips");
            }
            case 1:
            {
                int length = random.Next(bytes.Length);
                return (bytes[..length], $"truncated to {length}");
            }
            case 2:
                return CorruptSectionHeader(bytes, random);
            case 3:
            {
                var elf = ElfFile.Parse(original);
                var symtab = elf.Symbols!.Section;
                int entry = random.Next(elf.Symbols.Count);
                int field = random.Next(24);
                int at = (int)symtab.FileOffset + entry * 24 + field;
                bytes[at] = (byte)random.Next(256);
                return (bytes, $"symbol {entry} byte {field} = 0x{bytes[at]:x2}");
            }
            default:
            {
                // Overwrite a random relocation or instruction region with random bytes.
                int at = random.Next(bytes.Length - 8);
                random.NextBytes(bytes.AsSpan(at, 8));
                return (bytes, $"8 random bytes at 0x{at:x}");
            }
        }
    }

    private static (byte[], string) CorruptSectionHeader(byte[] bytes, Random random)
    {
        var elf = ElfFile.Parse(bytes);
        int count = elf.Sections.Count;
        int index = random.Next(count);
        long header = elf.SectionHeaderOffset + (long)index * 64;
        // A field boundary (name, type, flags, addr, offset, size, link, info, align, entsize) and a hostile value.
        int[] fields = [0, 4, 8, 16, 24, 32, 40, 44, 48, 56];
        int field = fields[random.Next(fields.Length)];
        int width = field is 0 or 4 or 40 or 44 ? 4 : 8;
        ulong[] values = [0, 1, 8, 0xffffffff, ulong.MaxValue, (ulong)bytes.Length, (ulong)bytes.Length - 1, (ulong)random.Next(), (ulong)count, 9, 2, 3];
        ulong value = values[random.Next(values.Length)];
        bool be = elf.BigEndian;
        for (int i = 0; i < width; i++)
        {
            int shift = be ? (width - 1 - i) * 8 : i * 8;
            bytes[header + field + i] = (byte)(value >> shift);
        }
        return (bytes, $"section header {index} field +{field} = 0x{value:x}");
    }
}
