using System.Text;
using System.Text.RegularExpressions;
using SharpBpf.Isa;

namespace SharpBpf.Linux;

/// <summary>A program loaded into the kernel (verified, maybe JITed), reached through its fd.</summary>
public sealed unsafe partial class KernelProgram : IBpfProgram, IDisposable
{
    private const int InitialLogSize = 64 * 1024;
    private const int MaxLogSize = 64 * 1024 * 1024;

    private KernelProgram(BpfFd fd, string name, BpfProgramType type, string? verifierLog)
    {
        Fd = fd;
        Name = name;
        Type = type;
        VerifierLog = verifierLog;
    }

    public BpfFd Fd { get; }
    public string Name { get; }
    public BpfProgramType Type { get; }
    /// <summary>The verifier's log when a log level was asked for, else null.</summary>
    public string? VerifierLog { get; }

    /// <summary>The kernel's id of the program.</summary>
    public uint Id => Info().Id;

    public ProgramInfo Info(KernelObjectInfo.ProgramParts parts = KernelObjectInfo.ProgramParts.None) =>
        KernelObjectInfo.GetProgramInfo(Fd, parts);

    /// <summary>
    /// Loads a program. A rejection throws <see cref="BpfVerifierException"/> with the whole verifier log
    /// (fetched by a second load with logging on, the buffer grown until the log fits).
    /// </summary>
    public static KernelProgram Load(ProgramLoadOptions options)
    {
        MemoryLimits.EnsureMemlockForBpf();
        var name = options.Name ?? "";
        if (options.Instructions.IsEmpty)
            throw new BpfException($"program '{name}' has no instructions");
        if (options.LogLevel > 0)
        {
            var (fd, log) = LoadWithLog(options, options.LogLevel);
            return new KernelProgram(fd, name, options.Type, log);
        }
        int r = TryLoad(options, 0, null, 0, out _);
        if (r >= 0)
            return new KernelProgram(new BpfFd(r), name, options.Type, null);
        int errno = -r;
        if (options.LogLevelOnFailure == 0 || errno is not (Errno.EACCES or Errno.EINVAL or Errno.E2BIG or Errno.ENOSPC or Errno.EFAULT or Errno.ENOTSUPP))
            throw new BpfSyscallException(BpfCommand.ProgLoad, errno, BpfErrorHints.For(BpfCommand.ProgLoad, errno), $"program '{name}'");
        var (retryFd, retryLog) = LoadWithLog(options, options.LogLevelOnFailure);
        // The second attempt may succeed (the failure was transient); keep the program then.
        return new KernelProgram(retryFd, name, options.Type, retryLog);
    }

    private static (BpfFd Fd, string Log) LoadWithLog(ProgramLoadOptions options, uint level)
    {
        int size = InitialLogSize;
        while (true)
        {
            var buffer = new byte[size];
            int r;
            uint trueSize;
            fixed (byte* log = buffer)
                r = TryLoad(options, level, log, (uint)size, out trueSize);
            var text = DecodeLog(buffer);
            if (r >= 0)
                return (new BpfFd(r), text);
            if (-r == Errno.ENOSPC && size < MaxLogSize)
            {
                size = trueSize > size ? (int)Math.Min(MaxLogSize, trueSize + 1) : Math.Min(MaxLogSize, size * 4);
                continue;
            }
            if (text.Length == 0)
                throw new BpfSyscallException(BpfCommand.ProgLoad, -r, BpfErrorHints.For(BpfCommand.ProgLoad, -r), $"program '{options.Name}'");
            throw new BpfVerifierException(options.Name ?? "", -r, text, SourceForFailure(text, options.SourceLine));
        }
    }

    private static int TryLoad(ProgramLoadOptions options, uint logLevel, byte* log, uint logSize, out uint logTrueSize)
    {
        var license = BpfSyscall.Utf8Z(options.License);
        fixed (Instruction* insns = options.Instructions.Span)
        fixed (byte* lic = license, funcInfo = options.FuncInfo.Span, lineInfo = options.LineInfo.Span)
        {
            var attr = new ProgLoadAttr
            {
                ProgType = (uint)options.Type,
                InsnCnt = (uint)options.Instructions.Length,
                Insns = (ulong)insns,
                License = (ulong)lic,
                LogLevel = logLevel,
                LogSize = logSize,
                LogBuf = (ulong)log,
                KernVersion = options.KernelVersion,
                ProgFlags = options.Flags,
                ProgIfindex = options.Ifindex,
                ExpectedAttachType = (uint)options.ExpectedAttachType,
                AttachBtfId = options.AttachBtfId,
                AttachProgFd = options.AttachProgramFd is not null ? (uint)options.AttachProgramFd.Value
                    : options.AttachBtfObjectFd is not null ? (uint)options.AttachBtfObjectFd.Value : 0,
            };
            BpfObjectName.Write(attr.ProgName, options.Name);
            if (options.Btf is not null)
            {
                attr.ProgBtfFd = (uint)options.Btf.Fd.Value;
                if (!options.FuncInfo.IsEmpty)
                {
                    attr.FuncInfoRecSize = (uint)options.FuncInfoRecordSize;
                    attr.FuncInfo = (ulong)funcInfo;
                    attr.FuncInfoCnt = (uint)(options.FuncInfo.Length / options.FuncInfoRecordSize);
                }
                if (!options.LineInfo.IsEmpty)
                {
                    attr.LineInfoRecSize = (uint)options.LineInfoRecordSize;
                    attr.LineInfo = (ulong)lineInfo;
                    attr.LineInfoCnt = (uint)(options.LineInfo.Length / options.LineInfoRecordSize);
                }
            }
            int r = BpfSyscall.TryInvoke(BpfCommand.ProgLoad, ref attr);
            logTrueSize = attr.LogTrueSize;
            return r;
        }
    }

    private static string DecodeLog(byte[] buffer)
    {
        int end = Array.IndexOf(buffer, (byte)0);
        return Encoding.UTF8.GetString(buffer, 0, end < 0 ? buffer.Length : end);
    }

    /// <summary>The instruction the verifier stopped at is the last "N: (op) ..." line of its log.</summary>
    internal static int? FailingInstruction(string log)
    {
        int? last = null;
        foreach (Match m in InsnLine().Matches(log))
            last = int.Parse(m.Groups[1].Value);
        return last;
    }

    private static string? SourceForFailure(string log, Func<int, string?>? resolver)
    {
        if (resolver is null || FailingInstruction(log) is not int insn)
            return null;
        return resolver(insn);
    }

    [GeneratedRegex(@"^(\d+): \([0-9a-f]{2}\)", RegexOptions.Multiline)]
    private static partial Regex InsnLine();

    /// <summary>Takes ownership of an fd that refers to a program.</summary>
    public static KernelProgram FromFd(BpfFd fd)
    {
        try
        {
            var info = KernelObjectInfo.GetProgramInfo(fd);
            return new KernelProgram(fd, info.Name, info.Type, null);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    public static KernelProgram OpenById(uint id) => FromFd(BpfSyscall.GetFdById(BpfObjectKind.Program, id));

    public static KernelProgram OpenPinned(string path) => FromFd(BpfSyscall.OpenPinned(path));

    public void Pin(string path) => BpfSyscall.Pin(Fd, path);

    /// <summary>Runs the program in the kernel on the given packet/context (BPF_PROG_TEST_RUN).</summary>
    public RunResult Run(RunInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        input.Validate();
        int dataOutSize = input.DataOutCapacity;
        int ctxOutSize = input.ContextOutCapacity;
        var dataOut = new byte[dataOutSize];
        var ctxOut = new byte[ctxOutSize];
        var ctxIn = input.Context ?? default;
        using var lease = Fd.Lease();
        fixed (byte* din = input.Data.Span, cin = ctxIn.Span, dout = dataOut, cout = ctxOut)
        {
            var attr = new TestRunAttr
            {
                ProgFd = (uint)lease.Fd,
                DataSizeIn = (uint)input.Data.Length,
                DataIn = (ulong)din,
                DataSizeOut = (uint)dataOutSize,
                DataOut = dataOutSize == 0 ? 0 : (ulong)dout,
                CtxSizeIn = (uint)ctxIn.Length,
                CtxIn = ctxIn.IsEmpty ? 0 : (ulong)cin,
                CtxSizeOut = (uint)ctxOutSize,
                CtxOut = ctxOutSize == 0 ? 0 : (ulong)cout,
                Repeat = input.Repeat == 1 ? 0 : (uint)input.Repeat, // the same for the kernel, and the only value raw_tp and syscall programs take
            };
            BpfSyscall.Invoke(BpfCommand.ProgTestRun, ref attr, $"program '{Name}'");
            var outLength = (int)Math.Min(attr.DataSizeOut, (uint)dataOutSize);
            var ctxLength = (int)Math.Min(attr.CtxSizeOut, (uint)ctxOutSize);
            return new RunResult(attr.Retval, dataOut.AsSpan(0, outLength).ToArray(), ctxOut.AsSpan(0, ctxLength).ToArray(), attr.Duration);
        }
    }

    public void Dispose() => Fd.Dispose();

    public override string ToString() => $"program '{Name}' ({BpfNames.ProgramType(Type)})";
}
