using SharpBpf.Cli.Bpftool;
using SharpBpf.Btf;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Btf;

/// <summary>Split BTF (module BTF on top of vmlinux) written by us, dumped by us and by bpftool -B.</summary>
public class SplitBtfOracleTests
{
    private static BtfSpec BuildModule(BtfSpec vmlinux)
    {
        var task = vmlinux.FindByName("task_struct", BtfKind.Struct).Single();
        var u32 = vmlinux.FindByName("u32", BtfKind.Typedef).Single();
        var intId = vmlinux.FindByName("int", BtfKind.Int).Single();
        var split = new BtfSpec(vmlinux);
        var taskPtr = split.Add(new BtfPtr(task));
        var fwd = split.Add(new BtfFwd("sharpbpf_opaque", false));
        var fwdPtr = split.Add(new BtfPtr(fwd));
        var state = split.Add(new BtfEnum("sharpbpf_mod_state", 4, false, [new BtfEnumValue("SHARPBPF_IDLE", 0), new BtfEnumValue("SHARPBPF_BUSY", 7)]));
        var module = split.Add(new BtfStruct("sharpbpf_mod", 32,
        [
            new BtfMember("owner", taskPtr, 0, 0),
            new BtfMember("flags", u32, 64, 3),
            new BtfMember("more", u32, 67, 5),
            new BtfMember("state", state, 96, 0),
            new BtfMember("opaque", fwdPtr, 128, 0),
            new BtfMember("pid", intId, 192, 0),
        ], HasBitfieldSizes: true));
        var modPtr = split.Add(new BtfPtr(module));
        var proto = split.Add(new BtfFuncProto(intId, [new BtfParam("mod", modPtr), new BtfParam("task", taskPtr)]));
        split.Add(new BtfFunc("sharpbpf_mod_run", proto, BtfFuncLinkage.Global));
        split.Add(new BtfTypedef("sharpbpf_mod_t", module));
        return split;
    }

    [SkippableFact]
    public void SplitBtfDumpsLikeBpftoolWithBase()
    {
        var bpftool = Requirements.Tool("bpftool");
        var vmlinux = BtfTestData.Vmlinux;
        var bytes = BuildModule(vmlinux).ToBytes();
        var path = Path.Combine(Path.GetTempPath(), $"sharpbpf-split-{Environment.ProcessId}.btf");
        File.WriteAllBytes(path, bytes);
        try
        {
            var split = BtfFile.Load(path, vmlinux);
            Assert.Equal(bytes, split.ToBytes());
            foreach (var (args, render) in new (string[], Action<TextWriter>)[]
            {
                (["btf", "dump", "file", path], w => BtfRawPrinter.Print(split, w)),
                (["-j", "btf", "dump", "file", path], w => BtfRawPrinter.PrintJson(split, w)),
                (["btf", "dump", "file", path, "format", "c"], w => BtfCPrinter.PrintHeader(split, w)),
            })
            {
                var (code, expected, err) = TestPrograms.Run(bpftool, ["-B", BtfTestData.VmlinuxPath, .. args]);
                Assert.True(code == 0, err);
                var ours = new StringWriter { NewLine = "\n" };
                render(ours);
                Assert.True(expected == ours.ToString(), $"bpftool -B {string.Join(' ', args)} differs");
            }

            var cli = SharpBpfCli.Run("btf", "dump", "file", path, "--base-btf", BtfTestData.VmlinuxPath);
            Assert.True(cli.ExitCode == 0, cli.Stderr);
            Assert.StartsWith($"[{vmlinux.Count}] PTR '(anon)' type_id=", cli.Stdout);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
