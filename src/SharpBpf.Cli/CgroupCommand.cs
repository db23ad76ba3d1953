using SharpBpf.Text;
using System.CommandLine;
using SharpBpf.Linux;
using SharpBpf.Linux.Attach;
using SharpBpf.Cli.Bpftool;

namespace SharpBpf.Cli;

/// <summary><c>sharpbpf cgroup show|list|tree|attach|detach</c>: bpftool 7.1's cgroup commands.</summary>
internal static class CgroupCommand
{
    public static Command Create()
    {
        var cgroup = new Command("cgroup", "Programs attached to cgroups (bpftool cgroup).").WithCommonOptions();
        cgroup.Subcommands.Add(BpftoolCli.Keywords("show", "Programs attached to one cgroup.", "CGROUP [effective]", (result, args, output) =>
        {
            var path = args.Take("CGROUP");
            CgroupShow.Show(output, BpftoolCli.Format(result), path, Effective(args));
        }, "list"));
        cgroup.Subcommands.Add(BpftoolCli.Keywords("tree", "Programs attached anywhere below a cgroup (default: the cgroup v2 root).",
            "[CGROUP_ROOT [effective]]", (result, args, output) =>
            {
                var root = args.AtEnd ? null : args.Take("CGROUP_ROOT");
                CgroupShow.Tree(output, BpftoolCli.Format(result), root, root is not null && Effective(args));
            }));
        cgroup.Subcommands.Add(BpftoolCli.Keywords("attach", "Attach a program to a cgroup (BPF_PROG_ATTACH).",
            "CGROUP ATTACH_TYPE PROG [multi|override]", (result, args, output) =>
            {
                var (path, type, program) = Target(args, "attach");
                uint flags = 0;
                while (!args.AtEnd)
                {
                    var word = args.Take("flag");
                    flags |= IsPrefix(word, "multi") ? CgroupPrograms.AllowMulti
                        : IsPrefix(word, "override") ? CgroupPrograms.AllowOverride
                        : throw new ArgumentException($"unknown option: {word}");
                }
                using (program)
                using (var dir = CgroupPrograms.Open(path))
                    CgroupPrograms.Attach(dir, program, type, flags);
                if (BpftoolCli.Format(result) != OutputFormat.Plain)
                    output.Write("null\n");
            }));
        cgroup.Subcommands.Add(BpftoolCli.Keywords("detach", "Detach a program from a cgroup (BPF_PROG_DETACH).",
            "CGROUP ATTACH_TYPE PROG", (result, args, output) =>
            {
                var (path, type, program) = Target(args, "detach");
                args.ExpectEnd();
                using (program)
                using (var dir = CgroupPrograms.Open(path))
                    CgroupPrograms.Detach(dir, program, type);
                if (BpftoolCli.Format(result) != OutputFormat.Plain)
                    output.Write("null\n");
            }));
        return cgroup;
    }

    private static bool Effective(BpftoolArgs args)
    {
        var effective = false;
        while (!args.AtEnd)
        {
            var word = args.Take("'effective'");
            if (!IsPrefix(word, "effective"))
                throw new ArgumentException($"expected no more arguments, 'effective', got: '{word}'?");
            if (effective)
                throw new ArgumentException($"duplicated argument: {word}");
            effective = true;
        }
        return effective;
    }

    private static bool IsPrefix(string word, string full) => word.Length > 0 && full.StartsWith(word, StringComparison.Ordinal);

    private static (string Path, BpfAttachType Type, BpfFd Program) Target(BpftoolArgs args, string verb)
    {
        if (args.Remaining < 4)
            throw new ArgumentException($"too few parameters for cgroup {verb}");
        var path = args.Take("CGROUP");
        var type = ParseAttachType(args.Take("ATTACH_TYPE"));
        var selector = ObjectSelector.Parse(args, allowTag: true)!;
        var fds = selector.Open(BpfObjectKind.Program);
        if (fds.Count > 1)
        {
            fds.ForEach(f => f.Dispose());
            throw new BpfException($"several programs match this handle ({selector.Kind} {selector.Value})");
        }
        return (path, type, fds[0]);
    }

    /// <summary>bpftool 7.1's bpf_attach_type_input_str spellings, taken by prefix after the exact libbpf names.</summary>
    private static readonly Dictionary<BpfAttachType, string> InputNames = new()
    {
        [BpfAttachType.CgroupInetIngress] = "ingress", [BpfAttachType.CgroupInetEgress] = "egress",
        [BpfAttachType.CgroupInetSockCreate] = "sock_create", [BpfAttachType.CgroupInetSockRelease] = "sock_release",
        [BpfAttachType.CgroupSockOps] = "sock_ops", [BpfAttachType.CgroupDevice] = "device",
        [BpfAttachType.CgroupInet4Bind] = "bind4", [BpfAttachType.CgroupInet6Bind] = "bind6",
        [BpfAttachType.CgroupInet4Connect] = "connect4", [BpfAttachType.CgroupInet6Connect] = "connect6",
        [BpfAttachType.CgroupInet4PostBind] = "post_bind4", [BpfAttachType.CgroupInet6PostBind] = "post_bind6",
        [BpfAttachType.CgroupInet4Getpeername] = "getpeername4", [BpfAttachType.CgroupInet6Getpeername] = "getpeername6",
        [BpfAttachType.CgroupInet4Getsockname] = "getsockname4", [BpfAttachType.CgroupInet6Getsockname] = "getsockname6",
        [BpfAttachType.CgroupUdp4Sendmsg] = "sendmsg4", [BpfAttachType.CgroupUdp6Sendmsg] = "sendmsg6",
        [BpfAttachType.CgroupSysctl] = "sysctl", [BpfAttachType.CgroupUdp4Recvmsg] = "recvmsg4",
        [BpfAttachType.CgroupUdp6Recvmsg] = "recvmsg6", [BpfAttachType.CgroupGetsockopt] = "getsockopt",
        [BpfAttachType.CgroupSetsockopt] = "setsockopt", [BpfAttachType.TraceRawTp] = "raw_tp",
        [BpfAttachType.TraceFentry] = "fentry", [BpfAttachType.TraceFexit] = "fexit", [BpfAttachType.ModifyReturn] = "mod_ret",
        [BpfAttachType.SkReuseportSelect] = "sk_skb_reuseport_select",
        [BpfAttachType.SkReuseportSelectOrMigrate] = "sk_skb_reuseport_select_or_migrate",
    };

    internal static BpfAttachType ParseAttachType(string word)
    {
        var known = Enumerable.Range(0, (int)BpfAttachType.LsmCgroup + 1).Select(i => (BpfAttachType)i).ToList();
        foreach (var t in known)
            if (BpfNames.Of(t) == word)
                return t;
        foreach (var t in known)
            if (IsPrefix(word, InputNames.GetValueOrDefault(t) ?? BpfNames.Of(t)))
                return t;
        throw new ArgumentException($"invalid attach type '{word}'");
    }
}
