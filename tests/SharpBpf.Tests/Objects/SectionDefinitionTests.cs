using SharpBpf.Objects;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Objects;

public class SectionDefinitionTests
{
    [Theory]
    [InlineData("xdp", BpfProgramType.Xdp, BpfAttachType.Xdp, null)]
    [InlineData("xdp.frags", BpfProgramType.Xdp, BpfAttachType.Xdp, null)]
    [InlineData("tcx/ingress", BpfProgramType.SchedCls, BpfAttachType.TcxIngress, null)]
    [InlineData("tc/egress", BpfProgramType.SchedCls, BpfAttachType.TcxEgress, null)]
    [InlineData("kprobe/do_unlinkat", BpfProgramType.Kprobe, null, "do_unlinkat")]
    [InlineData("kprobe", BpfProgramType.Kprobe, null, null)]
    [InlineData("uprobe//proc/self/exe:main", BpfProgramType.Kprobe, null, "/proc/self/exe:main")]
    [InlineData("tp/sched/sched_switch", BpfProgramType.Tracepoint, null, "sched/sched_switch")]
    [InlineData("fentry.s/do_unlinkat", BpfProgramType.Tracing, BpfAttachType.TraceFentry, "do_unlinkat")]
    [InlineData("lsm/file_open", BpfProgramType.Lsm, BpfAttachType.LsmMac, "file_open")]
    [InlineData("cgroup/connect4", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupInet4Connect, null)]
    [InlineData("struct_ops/dctcp_init", BpfProgramType.StructOps, null, "dctcp_init")]
    [InlineData("netfilter", BpfProgramType.Netfilter, BpfAttachType.Netfilter, null)]
    public void MapsSectionNamesLikeLibbpf(string section, BpfProgramType type, BpfAttachType? attach, string? target)
    {
        var def = SectionDefinitions.Find(section);
        Assert.NotNull(def);
        Assert.Equal((type, attach), (def!.Type, def.AttachType));
        Assert.Equal(target, SectionDefinitions.AttachTarget(section));
    }

    [Theory]
    [InlineData("xdp/foo")]      // "xdp" must match exactly
    [InlineData("kprobex")]      // "kprobe+" needs the end or a '/'
    [InlineData("tracepointy/a")]
    [InlineData(".text")]
    public void UnknownSectionsHaveNoDefinition(string section) => Assert.Null(SectionDefinitions.Find(section));

    [Fact]
    public void QuestionMarkSectionsAreNotAutoloaded()
    {
        var obj = ObjectSpec.Load(TestPrograms.Compile("obj_sections.c"));
        var manual = obj.FindProgram("p_xdp_manual")!;
        Assert.Equal(("xdp", false), (manual.SectionName, manual.Autoload));
        Assert.True(obj.FindProgram("p_fentry_sleepable")!.Sleepable);
        Assert.Equal(SectionDefinitions.SleepableFlag, obj.FindProgram("p_fentry_sleepable")!.ProgramFlags);
        Assert.Equal(SectionDefinitions.XdpHasFragsFlag, obj.FindProgram("p_xdp_frags")!.ProgramFlags);
        Assert.All(obj.Programs.Where(p => p.Name != "p_xdp_manual"), p => Assert.True(p.Autoload));
    }
}
