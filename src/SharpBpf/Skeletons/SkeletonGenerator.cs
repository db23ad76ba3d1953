using System.Security.Cryptography;
using SharpBpf.Btf;
using SharpBpf.Linux;
using SharpBpf.Objects;

namespace SharpBpf.Skeletons;

/// <summary>What <see cref="SkeletonGenerator"/> writes.</summary>
public sealed class SkeletonOptions
{
    /// <summary>The namespace of the generated class; null or empty: the global namespace.</summary>
    public string? Namespace { get; init; }

    /// <summary>The class name; default: the object name in PascalCase + "Skeleton" ("probe.bpf.o" → ProbeSkeleton).</summary>
    public string? ClassName { get; init; }

    /// <summary>Public (default) or internal.</summary>
    public bool Internal { get; init; }
}

/// <summary>
/// Writes the C# skeleton of a BPF object (<c>sharpbpf gen skeleton</c>): a <see cref="BpfSkeleton"/> subclass that
/// embeds the object, with a typed property per map (<c>Maps</c>) and program (<c>Programs</c>), a <c>ref</c> property
/// per global data section (<c>Bss</c>, <c>Data</c>, <c>Rodata</c>, …) over a struct of its variables, and the structs,
/// unions and enums they use, laid out from the object's BTF.
/// </summary>
public static class SkeletonGenerator
{
    private static readonly string[] BaseMembers =
    [
        "Spec", "IsLoaded", "Engine", "Vm", "Kernel", "Load", "Dispose", "GetMap", "GetTypedMap", "GetPerCpuMap", "GetProgram", "GetGlobalData",
        "Equals", "GetHashCode", "ToString", "GetType", "MemberwiseClone", "Finalize", "ReferenceEquals",
        "Maps", "Programs", "MapSet", "ProgramSet", "ObjectFileName", "ObjectBase64",
    ];

    /// <summary>Generates the skeleton of the object file at <paramref name="path"/>.</summary>
    public static string Generate(string path, SkeletonOptions? options = null) =>
        Generate(File.ReadAllBytes(path), Path.GetFileName(path), options);

    /// <summary>Generates the skeleton of an object held in memory; <paramref name="objectFileName"/> names it (and its global data maps).</summary>
    public static string Generate(byte[] objectBytes, string objectFileName, SkeletonOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(objectBytes);
        options ??= new SkeletonOptions();
        var obj = ObjectSpec.Parse(objectBytes, objectFileName);
        if (obj.BigEndian)
            throw new BpfException($"{objectFileName}: big-endian object; a skeleton describes the layout of a little-endian one (build with -target bpfel)");
        var className = options.ClassName ?? DefaultClassName(objectFileName);
        if (!CSharpNames.IsValidQualifiedName(className) || className.Contains('.'))
            throw new ArgumentException($"'{className}' is not a valid C# class name");
        if (!string.IsNullOrEmpty(options.Namespace) && !CSharpNames.IsValidQualifiedName(options.Namespace))
            throw new ArgumentException($"'{options.Namespace}' is not a valid C# namespace");

        var btf = obj.Btf is { } raw ? BtfSpec.Parse(ObjectBtfFixup.Fix(raw.Span, obj.Elf)) : null;
        var scope = new NameScope([className, .. BaseMembers]);
        var types = btf is null ? null : new CSharpTypeEmitter(btf, scope);
        var opaque = types ?? new CSharpTypeEmitter(new BtfSpec(), scope);

        var sections = new List<(string Property, string Type, MapSpec Map)>();
        foreach (var map in obj.Maps)
        {
            if (map.DataSection is null || map.DataSection == ".kconfig" || btf is null)
                continue;
            var datasecId = btf.FindByName(map.DataSection, BtfKind.Datasec).FirstOrDefault();
            if (datasecId == 0 || btf[datasecId] is not BtfDatasec datasec || !CSharpTypeEmitter.IsDatasecExposed(btf, datasec))
                continue;
            var property = scope.Unique(CSharpNames.Pascal(map.DataSection, "Globals"));
            var type = scope.Unique(property + "Section");
            types!.DeclareSection(datasec, type, map.ValueSize);
            sections.Add((property, type, map));
        }

        var mapScope = new NameScope(["MapSet", "Equals", "GetHashCode", "ToString", "GetType", "MemberwiseClone", "Finalize", "ReferenceEquals"]);
        var maps = new List<(string Property, string Type, string Getter, MapSpec Map)>();
        foreach (var map in obj.Maps.Where(m => !m.IsGlobalData))
        {
            var property = mapScope.Unique(CSharpNames.Pascal(map.Name, "Map"));
            bool perCpu = IsPerCpu(map);
            if (IsTyped(map) || perCpu)
            {
                var key = KeyOrValueType(map.BtfKeyTypeId, map.KeySize, CSharpNames.Pascal(map.Name) + "Key", btf, types, opaque);
                var value = KeyOrValueType(map.BtfValueTypeId, map.ValueSize, CSharpNames.Pascal(map.Name) + "Value", btf, types, opaque);
                maps.Add(perCpu
                    ? (property, $"global::SharpBpf.Skeletons.PerCpuMap<{key}, {value}>", $"_skeleton.GetPerCpuMap<{key}, {value}>", map)
                    : (property, $"global::SharpBpf.Maps.BpfMap<{key}, {value}>", $"_skeleton.GetTypedMap<{key}, {value}>", map));
            }
            else
            {
                maps.Add((property, "global::SharpBpf.Maps.IBpfMap", "_skeleton.GetMap", map));
            }
        }

        var programScope = new NameScope(["ProgramSet", "Equals", "GetHashCode", "ToString", "GetType", "MemberwiseClone", "Finalize", "ReferenceEquals"]);
        var programs = obj.Programs.Select(p => (Property: programScope.Unique(CSharpNames.Pascal(p.Name, "Program")), Spec: p)).ToList();

        return Write(objectBytes, objectFileName, options, className, sections, maps, programs, opaque.Declarations);
    }

    /// <summary>"probe.bpf.o" → "ProbeSkeleton".</summary>
    public static string DefaultClassName(string objectFileName)
    {
        var stem = Path.GetFileName(objectFileName);
        int dot = stem.IndexOf('.');
        if (dot > 0)
            stem = stem[..dot];
        return CSharpNames.Pascal(stem, "Bpf") + "Skeleton";
    }

    /// <summary>Map types whose entries are one key and one value (a typed <see cref="Maps.BpfMap{TKey,TValue}"/> fits).</summary>
    private static bool IsTyped(MapSpec map) =>
        map.Type is BpfMapType.Hash or BpfMapType.Array or BpfMapType.LruHash or BpfMapType.LpmTrie
        && map.KeySize > 0 && map.ValueSize > 0;

    private static bool IsPerCpu(MapSpec map) =>
        map.Type is BpfMapType.PercpuArray or BpfMapType.PercpuHash or BpfMapType.LruPercpuHash
        && map.KeySize > 0 && map.ValueSize > 0;

    private static string KeyOrValueType(uint btfId, int size, string context, BtfSpec? btf, CSharpTypeEmitter? types, CSharpTypeEmitter opaque)
    {
        if (btfId != 0 && btf is not null && types is not null)
        {
            try
            {
                if (btf.SizeOf(btfId) == size)
                    return types.TypeOf(btfId, context);
            }
            catch (BpfException)
            {
                // no usable type: fall back to the size
            }
        }
        return size switch
        {
            1 => "byte",
            2 => "ushort",
            4 => "uint",
            8 => "ulong",
            _ => opaque.Opaque(context, size),
        };
    }

    private static string Write(byte[] bytes, string fileName, SkeletonOptions options, string className,
        List<(string Property, string Type, MapSpec Map)> sections,
        List<(string Property, string Type, string Getter, MapSpec Map)> maps,
        List<(string Property, ProgramSpec Spec)> programs,
        IReadOnlyList<string> declarations)
    {
        var access = options.Internal ? "internal" : "public";
        var name = Path.GetFileName(fileName);
        var w = new CodeWriter();
        w.Line("// <auto-generated>");
        w.Line($"//   Generated by 'sharpbpf gen skeleton' from {name} ({bytes.Length} bytes, SHA-256 {Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]}).");
        w.Line("//   Do not edit: regenerate from the object instead.");
        w.Line("// </auto-generated>");
        w.Line("#nullable enable");
        w.Line("#pragma warning disable CS1591 // generated members are documented by their C names");
        w.Line();
        if (!string.IsNullOrEmpty(options.Namespace))
        {
            w.Line($"namespace {options.Namespace};");
            w.Line();
        }
        w.Line($"/// <summary>The skeleton of BPF object <c>{name}</c>: create, set globals, <see cref=\"global::SharpBpf.Skeletons.BpfSkeleton.Load(global::SharpBpf.Skeletons.SkeletonEngine)\"/>, use.</summary>");
        w.Line($"{access} sealed partial class {className} : global::SharpBpf.Skeletons.BpfSkeleton");
        w.Open();
        w.Line($"private const string ObjectFileName = \"{Escape(name)}\";");
        w.Line();
        w.Line("private const string ObjectBase64 =");
        w.Line("    \"\"\"");
        var base64 = Convert.ToBase64String(bytes);
        for (int i = 0; i < base64.Length; i += 120)
            w.Line("    " + base64.Substring(i, Math.Min(120, base64.Length - i)));
        w.Line("    \"\"\";");
        w.Line();
        w.Line("/// <summary>Opens the embedded object: globals may be set until it is loaded.</summary>");
        w.Line($"public {className}()");
        w.Line("    : base(global::System.Convert.FromBase64String(ObjectBase64), ObjectFileName)");
        w.Open();
        w.Line("Maps = new MapSet(this);");
        w.Line("Programs = new ProgramSet(this);");
        w.Close();
        w.Line();
        w.Line("/// <summary>The object's maps (after loading).</summary>");
        w.Line("public MapSet Maps { get; }");
        w.Line();
        w.Line("/// <summary>The object's programs (after loading).</summary>");
        w.Line("public ProgramSet Programs { get; }");
        foreach (var (property, type, map) in sections)
        {
            w.Line();
            w.Line(map.IsReadOnlyData
                ? $"/// <summary>The constants of <c>{map.DataSection}</c>: set them before loading; afterwards they read what was loaded.</summary>"
                : $"/// <summary>The variables of <c>{map.DataSection}</c>: initial values before loading, the live map memory after.</summary>");
            w.Line($"public ref {type} {property} => ref GetGlobalData<{type}>(\"{Escape(map.DataSection!)}\");");
        }
        w.Line();
        w.Line("/// <summary>The maps of the object, typed from its BTF.</summary>");
        w.Line("public sealed class MapSet");
        w.Open();
        w.Line($"private readonly {className} _skeleton;");
        w.Line();
        w.Line($"internal MapSet({className} skeleton) => _skeleton = skeleton;");
        foreach (var (property, type, getter, map) in maps)
        {
            w.Line();
            w.Line($"/// <summary>Map <c>{map.Name}</c> ({BpfNames.MapType(map.Type)}, key {map.KeySize} bytes, value {map.ValueSize} bytes, {map.MaxEntries} entries).</summary>");
            w.Line($"public {type} {property} => {getter}(\"{Escape(map.Name)}\");");
        }
        w.Close();
        w.Line();
        w.Line("/// <summary>The programs of the object.</summary>");
        w.Line("public sealed class ProgramSet");
        w.Open();
        w.Line($"private readonly {className} _skeleton;");
        w.Line();
        w.Line($"internal ProgramSet({className} skeleton) => _skeleton = skeleton;");
        foreach (var (property, spec) in programs)
        {
            w.Line();
            w.Line($"/// <summary>Program <c>{spec.Name}</c> (section <c>{Escape(spec.SectionName)}</c>, {BpfNames.ProgramType(spec.Type)}).</summary>");
            w.Line($"public global::SharpBpf.Skeletons.SkeletonProgram {property} => _skeleton.GetProgram(\"{Escape(spec.Name)}\");");
        }
        w.Close();
        foreach (var declaration in declarations)
        {
            w.Line();
            w.Raw(declaration);
        }
        w.Close();
        return w.ToString();
    }

    private static string Escape(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
