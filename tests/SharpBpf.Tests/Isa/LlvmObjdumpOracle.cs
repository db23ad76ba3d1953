using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using SharpBpf.Isa;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Isa;

/// <summary>
/// Runs the real llvm-objdump 14 over raw instruction bytes (wrapped into an object by llvm-mc) or over a
/// compiled object, and returns the instruction text of each line. Results are cached under artifacts/.
/// </summary>
public static partial class LlvmObjdumpOracle
{
    public const string Mc = "llvm-mc-14";
    public const string Objdump = "llvm-objdump";
    public const string Objcopy = "llvm-objcopy-14";
    private static readonly object Gate = new();
    private static string CacheDir => Path.Combine(TestPrograms.RepoRoot, "artifacts", "llvmoracle");

    /// <summary>One disassembled line: slot index and the text after the tab, with branch-target annotations removed.</summary>
    public readonly record struct Line(int Index, string Text);

    /// <summary>Disassembles raw slots (already in the target byte order).</summary>
    public static IReadOnlyList<Line> DisassembleBytes(byte[] bytes, bool bigEndian, bool immHex, bool keepBranchTargets = false,
        bool alu32 = false)
    {
        var source = new StringBuilder(".text\n");
        for (int i = 0; i < bytes.Length; i += 8)
            source.Append(".byte ").AppendJoin(',', bytes.Skip(i).Take(8)).Append('\n');
        var key = Hash(source + (bigEndian ? "be" : "le"));
        var obj = Cached($"bytes.{key}.o", path =>
        {
            var asm = path + ".s";
            File.WriteAllText(asm, source.ToString());
            Check(TestPrograms.Run(Mc, ["-triple", bigEndian ? "bpfeb" : "bpfel", "-filetype=obj", asm, "-o", path]), Mc);
        });
        return Disassemble(obj, immHex, keepBranchTargets, alu32).Single().Value;
    }

    /// <summary>Assembles LLVM-syntax assembly with llvm-mc (-mcpu=v3) and returns the object's path.</summary>
    public static string Assemble(string asmFile, bool bigEndian = false)
    {
        var key = Hash(File.ReadAllText(asmFile) + bigEndian);
        return Cached($"{Path.GetFileNameWithoutExtension(asmFile)}.{key}.o", path =>
            Check(TestPrograms.Run(Mc, ["-triple", bigEndian ? "bpfeb" : "bpfel", "-mcpu=v3", "-filetype=obj", asmFile, "-o", path]), Mc));
    }

    /// <summary>llvm-objdump -d of an object: lines per executable section.</summary>
    public static Dictionary<string, IReadOnlyList<Line>> Disassemble(string obj, bool immHex, bool keepBranchTargets = false,
        bool alu32 = false)
    {
        string[] args =
        [
            "-d", "--no-show-raw-insn", .. immHex ? new[] { "--print-imm-hex" } : [],
            .. alu32 ? new[] { "--mattr=+alu32" } : [], obj,
        ];
        var (code, stdout, stderr) = TestPrograms.Run(Objdump, args);
        Check((code, stdout, stderr), Objdump);
        var result = new Dictionary<string, IReadOnlyList<Line>>();
        List<Line>? current = null;
        foreach (var raw in stdout.Split('\n'))
        {
            if (raw.StartsWith("Disassembly of section ", StringComparison.Ordinal))
            {
                current = [];
                result[raw["Disassembly of section ".Length..].TrimEnd(':')] = current;
                continue;
            }
            var m = LineRegex().Match(raw);
            if (m.Success && current is not null)
                current.Add(new Line(int.Parse(m.Groups[1].Value),
                    keepBranchTargets ? m.Groups[2].Value : BranchTarget().Replace(m.Groups[2].Value, "")));
        }
        return result;
    }

    /// <summary>The raw bytes of one section of an object.</summary>
    public static byte[] SectionBytes(string obj, string section)
    {
        var key = Hash(obj + File.GetLastWriteTimeUtc(obj).Ticks + section);
        var bin = Cached($"section.{key}.bin", path =>
            Check(TestPrograms.Run(Objcopy, ["-O", "binary", $"--only-section={section}", obj, path]), Objcopy));
        return File.ReadAllBytes(bin);
    }

    private static string Cached(string name, Action<string> produce)
    {
        var output = Path.Combine(CacheDir, name);
        lock (Gate)
        {
            if (File.Exists(output))
                return output;
            Directory.CreateDirectory(CacheDir);
            var temp = Path.Combine(CacheDir, $"tmp.{Environment.ProcessId}.{Guid.NewGuid():n}{Path.GetExtension(name)}");
            produce(temp);
            File.Move(temp, output, overwrite: true);
            return output;
        }
    }

    private static void Check((int Code, string Stdout, string Stderr) run, string tool)
    {
        if (run.Code != 0)
            throw new InvalidOperationException($"{tool} failed:\n{run.Stderr}");
    }

    private static string Hash(string text) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16].ToLowerInvariant();

    [GeneratedRegex(@"^\s*(\d+):\t(.*)$")]
    private static partial Regex LineRegex();

    [GeneratedRegex(@" <[^<>]*>$")]
    private static partial Regex BranchTarget();
}
