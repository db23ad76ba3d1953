using System.Text.Json;
using SharpBpf.Linux;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux;

public class FeatureProbeTests
{
    [SkippableFact]
    public void AgreesWithBpftoolExceptWhereBpftoolIsWrong()
    {
        Requirements.Kernel();
        var bpftool = Requirements.Tool("bpftool");
        var (code, theirsText, err) = TestPrograms.Run(bpftool, ["-j", "feature", "probe", "kernel"]);
        Assert.True(code == 0, err);
        var (ourCode, oursText, ourErr) = SharpBpfCli.Run("feature", "probe", "kernel", "-j");
        Assert.True(ourCode == 0, ourErr);
        var theirs = JsonDocument.Parse(theirsText).RootElement;
        var ours = JsonDocument.Parse(oursText).RootElement;
        Assert.Equal(theirs.EnumerateObject().Select(p => p.Name), ours.EnumerateObject().Select(p => p.Name));

        Assert.Equal(theirs.GetProperty("system_config").ToString(), ours.GetProperty("system_config").ToString());
        Assert.Equal(theirs.GetProperty("misc").ToString(), ours.GetProperty("misc").ToString());
        foreach (var section in new[] { "program_types", "map_types" })
            foreach (var p in theirs.GetProperty(section).EnumerateObject())
            {
                // Every type bpftool reports must agree with ours (ours adds the types bpftool 7.1 does not know).
                Assert.True(ours.GetProperty(section).TryGetProperty(p.Name, out var mine), $"{section}.{p.Name} missing");
                Assert.True(p.Value.GetBoolean() == mine.GetBoolean(), $"{section}.{p.Name}: bpftool {p.Value} ours {mine}");
            }

        // bpftool 7.1 lists every helper for every type (it does not know the 6.x verifier message); ours is a strict subset.
        var helpers = ours.GetProperty("helpers");
        foreach (var p in theirs.GetProperty("helpers").EnumerateObject())
        {
            var mine = helpers.GetProperty(p.Name).EnumerateArray().Select(e => e.GetString()).ToHashSet();
            var all = p.Value.EnumerateArray().Select(e => e.GetString()).ToHashSet();
            Assert.Subset(all.Concat(mine).ToHashSet(), mine);
        }
        Set Helpers(string type) => new(helpers.GetProperty(type + "_available_helpers").EnumerateArray().Select(e => e.GetString()!));
        Assert.Contains("bpf_skb_store_bytes", Helpers("sched_cls"));
        Assert.DoesNotContain("bpf_skb_store_bytes", Helpers("socket_filter"));
        Assert.Contains("bpf_xdp_adjust_head", Helpers("xdp"));
        Assert.DoesNotContain("bpf_xdp_adjust_head", Helpers("sched_cls"));
        Assert.Contains("bpf_map_lookup_elem", Helpers("socket_filter"));
        Assert.Contains("bpf_get_current_pid_tgid", Helpers("tracepoint"));
        Assert.DoesNotContain("bpf_skb_store_bytes", Helpers("xdp"));
        Assert.True(Helpers("socket_filter").Count < theirs.GetProperty("helpers").GetProperty("socket_filter_available_helpers").GetArrayLength());
    }

    [SkippableFact]
    public void HelperVerdictsMatchWhatTheVerifierAccepts()
    {
        Requirements.Kernel();
        var report = FeatureProbe.ProbeKernel();
        var xdp = report.Helpers.Single(h => h.Type == BpfProgramType.Xdp).Helpers;
        // bpf_get_prandom_u32 takes no arguments: a program calling it must load exactly when we say it is available.
        foreach (var (type, _, list) in report.Helpers.Where(h => h.Status == HelperProbeStatus.Probed))
        {
            bool expected = list.Contains("bpf_get_prandom_u32");
            bool loads;
            try
            {
                using var p = KernelProgram.Load(new ProgramLoadOptions
                {
                    Type = type, Instructions = new[] { Asm.Call(7), Asm.Exit() }, LogLevelOnFailure = 0,
                    ExpectedAttachType = type switch
                    {
                        BpfProgramType.CgroupSockAddr => BpfAttachType.CgroupInet4Connect,
                        BpfProgramType.CgroupSockopt => BpfAttachType.CgroupGetsockopt,
                        BpfProgramType.SkLookup => BpfAttachType.SkLookup,
                        BpfProgramType.Netfilter => BpfAttachType.Netfilter,
                        _ => 0,
                    },
                });
                loads = true;
            }
            catch (BpfSyscallException)
            {
                loads = false;
            }
            if (loads)
                Assert.True(expected, $"{type}: bpf_get_prandom_u32 loads but the probe says unavailable");
        }
        Assert.NotEmpty(xdp);
    }

    private sealed class Set(IEnumerable<string> items) : HashSet<string>(items);
}
