namespace SharpBpf.Btf;

/// <summary>
/// The outcome of one CO-RE relocation: the value the compiler assumed (<see cref="LocalValue"/>, from the
/// program's own BTF) and the value for the target kernel (<see cref="TargetValue"/>). When
/// <see cref="Poison"/> is set no target matched and the instruction must be poisoned (libbpf turns it into a
/// call to an invalid helper, so the verifier rejects it only if it is reachable).
/// </summary>
public sealed record CoreRelocationResult(
    BtfCoreRelocation Relocation,
    ulong LocalValue,
    ulong TargetValue,
    bool Poison,
    uint? TargetTypeId)
{
    /// <summary>
    /// Whether the instruction must currently hold <see cref="LocalValue"/> (libbpf checks it before patching).
    /// False for bitfield offsets/sizes/left shifts, where clang may legitimately pick another container, and for target type ids.
    /// </summary>
    public bool ValidateLocalValue { get; init; } = true;

    /// <summary>Byte size of the accessed field locally and in the target (field byte offsets of non-bitfields only, else 0): a load/store may need resizing.</summary>
    public uint LocalFieldSize { get; init; }
    public uint TargetFieldSize { get; init; }

    /// <summary>
    /// The field sizes differ and a load/store of it cannot simply be resized (only pointers and unsigned integers can:
    /// zero extension keeps their value), so a load/store carrying this relocation must be poisoned (libbpf's fail_memsz_adjust).
    /// </summary>
    public bool FailsMemorySizeAdjustment { get; init; }

    /// <summary>What the relocation asks, for messages: kind, local root type and the C access path ("byte_off [5] struct task_struct.pid (0:0)").</summary>
    public string Description { get; init; } = "";
}

/// <summary>
/// Computes CO-RE relocations the way libbpf does (relo_core.c): parses the local access string, finds
/// target candidates with the same name ignoring a <c>___flavour</c> suffix, matches the access path member by
/// member (through anonymous members), and computes field offsets/sizes/existence/signedness/bitfield shifts,
/// type existence/size/ids and enumerator existence/values.
/// </summary>
public sealed class CoreRelocator
{
    private const int MaxSpecLength = 64;
    private readonly BtfSpec _local;
    private readonly BtfLayout _localLayout;
    private readonly Target _main;
    private readonly Func<IEnumerable<BtfSpec>>? _moduleSource;
    private List<Target>? _modules;
    private readonly Dictionary<uint, List<(Target Target, uint Id)>> _candidates = new();

    /// <param name="local">the program's BTF (its <c>.BTF</c>).</param>
    /// <param name="target">the kernel's BTF (e.g. /sys/kernel/btf/vmlinux).</param>
    /// <param name="modules">
    /// kernel module BTFs (split BTF over <paramref name="target"/>), asked for only when <paramref name="target"/> has no
    /// candidate for a type: then candidates come from the modules' own types, as libbpf does.
    /// </param>
    public CoreRelocator(BtfSpec local, BtfSpec target, Func<IEnumerable<BtfSpec>>? modules = null)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(target);
        _local = local;
        _localLayout = new BtfLayout(local);
        _main = new Target(target);
        _moduleSource = modules;
    }

    /// <summary>A BTF that candidates come from: its layout and its own types by essential name (built on first use).</summary>
    private sealed class Target(BtfSpec btf)
    {
        private BtfLayout? _layout;
        private Dictionary<string, List<uint>>? _byEssentialName;

        public BtfSpec Btf { get; } = btf;
        public BtfLayout Layout => _layout ??= new BtfLayout(Btf);

        public IEnumerable<uint> Named(string essential)
        {
            if (_byEssentialName is null)
            {
                var index = new Dictionary<string, List<uint>>();
                for (var id = Math.Max(Btf.FirstId, 1u); id < Btf.Count; id++)
                {
                    var name = Btf.NameOf(id);
                    if (name.Length == 0)
                        continue;
                    var key = name[..EssentialNameLength(name)];
                    if (!index.TryGetValue(key, out var list))
                        index[key] = list = new List<uint>(1);
                    list.Add(id);
                }
                _byEssentialName = index;
            }
            return _byEssentialName.TryGetValue(essential, out var ids) ? ids : [];
        }
    }

    /// <summary>Resolves every CO-RE record of a <c>.BTF.ext</c>.</summary>
    public IReadOnlyList<CoreRelocationResult> ResolveAll(BtfExt ext) =>
        ext.CoreRelocations.SelectMany(s => s.Records).Select(Resolve).ToList();

    /// <summary>Resolves one record.</summary>
    /// <exception cref="BpfException">the record is malformed, ambiguous between candidates, or of an unsupported kind.</exception>
    public CoreRelocationResult Resolve(BtfCoreRelocation relo)
    {
        var localSpec = ParseSpec(relo);
        var description = Describe(relo, localSpec);
        if (relo.Kind == BtfCoreRelocationKind.TypeIdLocal)
            return new CoreRelocationResult(relo, relo.TypeId, relo.TypeId, false, relo.TypeId) { ValidateLocalValue = false, Description = description };
        var localName = _local.NameOf(relo.TypeId);
        if (localName.Length == 0)
            throw Error(relo, "candidate search for anonymous types is not supported (as in libbpf)");

        Result? best = null;
        Spec? bestSpec = null;
        foreach (var (target, cand) in Candidates(relo.TypeId, localName))
        {
            var candSpec = Match(relo.Kind, localSpec, target, cand);
            if (candSpec is null)
                continue;
            var res = Calc(relo, localSpec, candSpec);
            if (best is null)
            {
                best = res;
                bestSpec = candSpec;
                continue;
            }
            if (candSpec.BitOffset != bestSpec!.BitOffset)
                throw Error(relo, $"field offset ambiguity: {bestSpec.BitOffset / 8} != {candSpec.BitOffset / 8} (target types {bestSpec.RootTypeId} and {cand})");
            if (res.Poison != best.Poison || res.NewValue != best.NewValue)
                throw Error(relo, $"relocation decision ambiguity: {(best.Poison ? "failure" : "success")} {best.NewValue} != {(res.Poison ? "failure" : "success")} {res.NewValue} (target types {bestSpec.RootTypeId} and {cand})");
        }
        best ??= Calc(relo, localSpec, null);
        return new CoreRelocationResult(relo, best.OrigValue, best.NewValue, best.Poison, bestSpec?.RootTypeId)
        {
            LocalFieldSize = best.OrigSize,
            TargetFieldSize = best.NewSize,
            ValidateLocalValue = best.Validate,
            FailsMemorySizeAdjustment = best.FailMemSize,
            Description = description,
        };
    }

    /// <summary>libbpf's short name of a relocation kind (byte_off, field_exists, enumval_value...).</summary>
    public static string KindName(BtfCoreRelocationKind kind) => kind switch
    {
        BtfCoreRelocationKind.FieldByteOffset => "byte_off",
        BtfCoreRelocationKind.FieldByteSize => "byte_sz",
        BtfCoreRelocationKind.FieldExists => "field_exists",
        BtfCoreRelocationKind.FieldSigned => "signed",
        BtfCoreRelocationKind.FieldLShiftU64 => "lshift_u64",
        BtfCoreRelocationKind.FieldRShiftU64 => "rshift_u64",
        BtfCoreRelocationKind.TypeIdLocal => "local_type_id",
        BtfCoreRelocationKind.TypeIdTarget => "target_type_id",
        BtfCoreRelocationKind.TypeExists => "type_exists",
        BtfCoreRelocationKind.TypeMatches => "type_matches",
        BtfCoreRelocationKind.TypeSize => "type_size",
        BtfCoreRelocationKind.EnumValueExists => "enumval_exists",
        BtfCoreRelocationKind.EnumValue => "enumval_value",
        _ => $"kind#{(uint)kind}",
    };

    private string Describe(BtfCoreRelocation relo, Spec spec)
    {
        var root = _local[relo.TypeId];
        var keyword = root.Kind switch
        {
            BtfKind.Struct => "struct ", BtfKind.Union => "union ", BtfKind.Enum or BtfKind.Enum64 => "enum ",
            BtfKind.Fwd => "fwd ", BtfKind.Typedef => "typedef ", _ => "",
        };
        var sb = new System.Text.StringBuilder();
        sb.Append(KindName(relo.Kind)).Append(" [").Append(relo.TypeId).Append("] ").Append(keyword)
            .Append(root.Name.Length == 0 ? "<anon>" : root.Name);
        if (IsEnumValueBased(relo.Kind))
            sb.Append("::").Append(spec.Accessors[0].Name);
        else if (IsFieldBased(relo.Kind))
        {
            for (var i = 0; i < spec.Accessors.Count; i++)
            {
                var a = spec.Accessors[i];
                if (a.Name is not null)
                    sb.Append('.').Append(a.Name);
                else if (i > 0 || a.Index != 0)
                    sb.Append('[').Append(a.Index).Append(']');
            }
        }
        return sb.Append(" (").Append(relo.AccessString).Append(')').ToString();
    }

    private static BpfException Error(BtfCoreRelocation relo, string what) =>
        new($"CO-RE relocation {relo.Kind} of type {relo.TypeId} access '{relo.AccessString}' at instruction offset {relo.InstructionOffset}: {what}");

    // ---- specs -----------------------------------------------------------------------------------------

    private sealed record Accessor(uint TypeId, int Index, string? Name);

    private sealed class Spec(BtfSpec btf, uint rootTypeId)
    {
        public BtfSpec Btf { get; } = btf;
        public uint RootTypeId { get; } = rootTypeId;
        public List<Accessor> Accessors { get; } = new();
        public List<int> Raw { get; } = new();
        public long BitOffset { get; set; }
        public BtfLayout? Layout { get; init; }
    }

    private static bool IsFieldBased(BtfCoreRelocationKind k) => k <= BtfCoreRelocationKind.FieldRShiftU64;
    private static bool IsTypeBased(BtfCoreRelocationKind k) => k is >= BtfCoreRelocationKind.TypeIdLocal and <= BtfCoreRelocationKind.TypeSize or BtfCoreRelocationKind.TypeMatches;
    private static bool IsEnumValueBased(BtfCoreRelocationKind k) => k is BtfCoreRelocationKind.EnumValueExists or BtfCoreRelocationKind.EnumValue;

    private static uint SkipModsAndTypedefs(BtfSpec btf, uint id)
    {
        for (var depth = 0; depth < 64 && id != 0; depth++)
        {
            switch (btf[id])
            {
                case BtfTypedef t: id = t.Type; break;
                case BtfModifier m: id = m.Type; break;
                default: return id;
            }
        }
        return id;
    }

    private static bool IsFlexArray(BtfSpec btf, Accessor? previous, BtfArray array)
    {
        if (previous?.Name is null || array.Count > 0)
            return false;
        return btf[previous.TypeId] is BtfComposite c && previous.Index == c.Members.Count - 1;
    }

    private Spec ParseSpec(BtfCoreRelocation relo)
    {
        var btf = _local;
        if (relo.TypeId >= btf.Count)
            throw Error(relo, $"local type id {relo.TypeId} does not exist");
        var spec = new Spec(btf, relo.TypeId);
        if (relo.AccessString.Length == 0 || relo.AccessString[0] == ':')
            throw Error(relo, "empty or malformed access string");
        if (IsTypeBased(relo.Kind))
        {
            if (relo.AccessString != "0")
                throw Error(relo, "type-based relocations take the access string \"0\"");
            return spec;
        }
        foreach (var part in relo.AccessString.Split(':'))
        {
            if (!int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var idx))
                throw Error(relo, $"access string component '{part}' is not a number");
            if (spec.Raw.Count == MaxSpecLength)
                throw Error(relo, "access string is too long");
            spec.Raw.Add(idx);
        }
        var id = SkipModsAndTypedefs(btf, relo.TypeId);
        var t = btf[id];
        var access = spec.Raw[0];
        if (IsEnumValueBased(relo.Kind))
        {
            if (t is not BtfEnumBase e || spec.Raw.Count > 1 || access >= e.Values.Count)
                throw Error(relo, "enumerator relocation does not name an enumerator of an enum");
            spec.Accessors.Add(new Accessor(id, access, e.Values[access].Name));
            return spec;
        }
        if (!IsFieldBased(relo.Kind))
            throw Error(relo, $"unknown relocation kind {(uint)relo.Kind}");
        spec.Accessors.Add(new Accessor(id, access, null));
        var size = _localLayout.ResolveSize(id);
        if (size < 0)
            throw Error(relo, $"type {id} has no size");
        spec.BitOffset = access * size * 8;
        for (var i = 1; i < spec.Raw.Count; i++)
        {
            id = SkipModsAndTypedefs(btf, id);
            t = btf[id];
            access = spec.Raw[i];
            if (t is BtfComposite c)
            {
                if (access >= c.Members.Count)
                    throw Error(relo, $"member index {access} is out of range for {c.Kind} {c.Name}");
                var m = c.Members[access];
                spec.BitOffset += m.BitOffset;
                if (m.Name.Length != 0)
                    spec.Accessors.Add(new Accessor(id, access, m.Name));
                id = m.Type;
            }
            else if (t is BtfArray a)
            {
                id = SkipModsAndTypedefs(btf, a.ElementType);
                if (!IsFlexArray(btf, spec.Accessors[^1], a) && access >= a.Count)
                    throw Error(relo, $"array index {access} is out of range ({a.Count} elements)");
                spec.Accessors.Add(new Accessor(id, access, null));
                var elem = _localLayout.ResolveSize(id);
                if (elem < 0)
                    throw Error(relo, $"array element type {id} has no size");
                spec.BitOffset += access * elem * 8;
            }
            else
            {
                throw Error(relo, $"access step {i} reaches type {id} of kind {t.Kind}, neither struct, union nor array");
            }
        }
        return spec;
    }

    // ---- candidates ------------------------------------------------------------------------------------

    /// <summary>Length of <paramref name="name"/> without a <c>___flavour</c> suffix (X___Y, X and Y not underscores).</summary>
    internal static int EssentialNameLength(string name)
    {
        for (var i = name.Length - 5; i >= 0; i--)
        {
            if (name[i] != '_' && name[i + 1] == '_' && name[i + 2] == '_' && name[i + 3] == '_' && name[i + 4] != '_')
                return i + 1;
        }
        return name.Length;
    }

    private static bool KindsCompatible(BtfKind a, BtfKind b) =>
        a == b || (a is BtfKind.Enum or BtfKind.Enum64 && b is BtfKind.Enum or BtfKind.Enum64);

    private List<(Target Target, uint Id)> Candidates(uint localId, string localName)
    {
        if (_candidates.TryGetValue(localId, out var cached))
            return cached;
        var localKind = _local.KindOf(localId);
        var essential = localName[..EssentialNameLength(localName)];
        var result = _main.Named(essential).Where(id => KindsCompatible(_main.Btf.KindOf(id), localKind)).Select(id => (_main, id)).ToList();
        if (result.Count == 0 && _moduleSource is not null)
        {
            // As libbpf: module BTFs are searched only when vmlinux has no candidate at all.
            _modules ??= _moduleSource().Select(m => new Target(m)).ToList();
            foreach (var module in _modules)
                result.AddRange(module.Named(essential).Where(id => KindsCompatible(module.Btf.KindOf(id), localKind)).Select(id => (module, id)));
        }
        _candidates[localId] = result;
        return result;
    }

    // ---- matching --------------------------------------------------------------------------------------

    private Spec? Match(BtfCoreRelocationKind kind, Spec local, Target tg, uint targetId)
    {
        var spec = new Spec(tg.Btf, targetId) { Layout = tg.Layout };
        if (kind == BtfCoreRelocationKind.TypeMatches)
            return TypesMatch(_local, local.RootTypeId, tg.Btf, targetId, false, 32) ? spec : null;
        if (IsTypeBased(kind))
            return TypesCompatible(_local, local.RootTypeId, tg.Btf, targetId, 32) ? spec : null;

        if (IsEnumValueBased(kind))
        {
            var first = local.Accessors[0];
            if (tg.Btf[SkipModsAndTypedefs(tg.Btf, targetId)] is not BtfEnumBase e)
                return null;
            var wanted = EssentialNameLength(first.Name!);
            for (var i = 0; i < e.Values.Count; i++)
            {
                var n = e.Values[i].Name;
                if (EssentialNameLength(n) == wanted && string.CompareOrdinal(n, 0, first.Name, 0, wanted) == 0)
                {
                    spec.Accessors.Add(new Accessor(SkipModsAndTypedefs(tg.Btf, targetId), i, n));
                    spec.Raw.Add(i);
                    return spec;
                }
            }
            return null;
        }

        var targId = targetId;
        for (var i = 0; i < local.Accessors.Count; i++)
        {
            var acc = local.Accessors[i];
            targId = SkipModsAndTypedefs(tg.Btf, targId);
            var targType = tg.Btf[targId];
            if (acc.Name is not null)
            {
                var found = MatchMember(tg, acc, targId, spec, out var next);
                if (!found)
                    return null;
                targId = next;
            }
            else
            {
                if (i > 0)
                {
                    if (targType is not BtfArray a)
                        return null;
                    if (!IsFlexArray(tg.Btf, spec.Accessors.Count > 0 ? spec.Accessors[^1] : null, a) && acc.Index >= a.Count)
                        return null;
                    targId = SkipModsAndTypedefs(tg.Btf, a.ElementType);
                }
                if (spec.Raw.Count == MaxSpecLength)
                    return null;
                spec.Accessors.Add(new Accessor(targId, acc.Index, null));
                spec.Raw.Add(acc.Index);
                var size = tg.Layout.ResolveSize(targId);
                if (size < 0)
                    return null;
                spec.BitOffset += acc.Index * size * 8;
            }
        }
        return spec;
    }

    private bool MatchMember(Target tg, Accessor localAcc, uint targId, Spec spec, out uint nextTargId)
    {
        nextTargId = 0;
        var localMember = ((BtfComposite)_local[localAcc.TypeId]).Members[localAcc.Index];
        targId = SkipModsAndTypedefs(tg.Btf, targId);
        if (tg.Btf[targId] is not BtfComposite targ)
            return false;
        for (var i = 0; i < targ.Members.Count; i++)
        {
            var m = targ.Members[i];
            if (spec.Raw.Count == MaxSpecLength)
                return false;
            spec.BitOffset += m.BitOffset;
            spec.Raw.Add(i);
            if (m.Name.Length == 0)
            {
                if (MatchMember(tg, localAcc, m.Type, spec, out nextTargId))
                    return true;
            }
            else if (m.Name == localMember.Name)
            {
                spec.Accessors.Add(new Accessor(targId, i, m.Name));
                nextTargId = m.Type;
                if (FieldsCompatible(tg.Btf, localMember.Type, m.Type))
                    return true;
                spec.Accessors.RemoveAt(spec.Accessors.Count - 1);
                return false; // libbpf stops at the first member with the name
            }
            spec.BitOffset -= m.BitOffset;
            spec.Raw.RemoveAt(spec.Raw.Count - 1);
        }
        return false;
    }

    private bool FieldsCompatible(BtfSpec target, uint localId, uint targId)
    {
        for (var depth = 0; depth < 32; depth++)
        {
            localId = SkipModsAndTypedefs(_local, localId);
            targId = SkipModsAndTypedefs(target, targId);
            var l = _local[localId];
            var t = target[targId];
            if (l is BtfComposite && t is BtfComposite)
                return true;
            if (!KindsCompatible(l.Kind, t.Kind))
                return false;
            switch (l)
            {
                case BtfPtr or BtfFloat:
                    return true;
                case BtfFwd or BtfEnumBase:
                {
                    var ln = EssentialNameLength(l.Name);
                    var tn = EssentialNameLength(t.Name);
                    return ln == 0 || tn == 0 || (ln == tn && string.CompareOrdinal(l.Name, 0, t.Name, 0, ln) == 0);
                }
                case BtfInt li:
                    return li.BitOffset == 0 && ((BtfInt)t).BitOffset == 0;
                case BtfArray la:
                    localId = la.ElementType;
                    targId = ((BtfArray)t).ElementType;
                    continue;
                default:
                    return false;
            }
        }
        return false;
    }

    private static bool NamesMatch(string local, string target)
    {
        if (target.Length == 0)
            return local.Length == 0;
        var n = EssentialNameLength(local);
        return n == EssentialNameLength(target) && string.CompareOrdinal(local, 0, target, 0, n) == 0;
    }

    /// <summary>
    /// libbpf's "types match" relation (TYPE_MATCHES): modifiers and typedefs ignored, names equal up to flavours at every
    /// level, same kinds (a struct/union behind a pointer may match a forward declaration, enum matches enum64), integers
    /// of equal size and signedness, arrays of equal length, every local member/enumerator present by name in the target,
    /// members compared recursively (behind a pointer only by name and kind), function prototypes argument by argument.
    /// </summary>
    private static bool TypesMatch(BtfSpec local, uint localId, BtfSpec target, uint targId, bool behindPtr, int level)
    {
        if (level <= 0)
            return false;
        for (var depth = 0; depth < 32; depth++)
        {
            localId = SkipModsAndTypedefs(local, localId);
            targId = SkipModsAndTypedefs(target, targId);
            var l = local[localId];
            var t = target[targId];
            if (!NamesMatch(l.Name, t.Name))
                return false;
            switch (l)
            {
                case BtfVoid:
                    return t is BtfVoid;
                case BtfFwd lf:
                    if (t is BtfFwd tf)
                        return lf.IsUnion == tf.IsUnion;
                    return behindPtr && ((t is BtfStruct && !lf.IsUnion) || (t is BtfUnion && lf.IsUnion));
                case BtfEnumBase le:
                {
                    if (t is not BtfEnumBase te || le.Size != te.Size || le.Values.Count > te.Values.Count)
                        return false;
                    return le.Values.All(lv => te.Values.Any(tv => NamesMatch(lv.Name, tv.Name)));
                }
                case BtfComposite lc:
                    if (behindPtr)
                        return l.Kind == t.Kind || (t is BtfFwd tfwd && tfwd.IsUnion == (l is BtfUnion));
                    if (l.Kind != t.Kind)
                        return false;
                    var tc = (BtfComposite)t;
                    if (lc.Members.Count > tc.Members.Count)
                        return false;
                    foreach (var lm in lc.Members)
                    {
                        if (!tc.Members.Any(tm => NamesMatch(lm.Name, tm.Name) && TypesMatch(local, lm.Type, target, tm.Type, behindPtr, level - 1)))
                            return false;
                    }
                    return true;
                case BtfInt li:
                    return t is BtfInt ti && li.Size == ti.Size
                        && (li.Encoding & BtfIntEncoding.Signed) == (ti.Encoding & BtfIntEncoding.Signed);
                case BtfPtr lp:
                    if (t is not BtfPtr tp)
                        return false;
                    behindPtr = true;
                    localId = lp.Target;
                    targId = tp.Target;
                    continue;
                case BtfArray la:
                    if (t is not BtfArray ta || la.Count != ta.Count)
                        return false;
                    localId = la.ElementType;
                    targId = ta.ElementType;
                    continue;
                case BtfFuncProto lfp:
                {
                    if (t is not BtfFuncProto tfp || lfp.Params.Count != tfp.Params.Count)
                        return false;
                    for (var i = 0; i < lfp.Params.Count; i++)
                        if (!TypesMatch(local, lfp.Params[i].Type, target, tfp.Params[i].Type, behindPtr, level - 1))
                            return false;
                    localId = lfp.Return;
                    targId = tfp.Return;
                    continue;
                }
                default:
                    return false;
            }
        }
        return false;
    }

    private static bool TypesCompatible(BtfSpec local, uint localId, BtfSpec target, uint targId, int level)
    {
        if (!KindsCompatible(local.KindOf(localId), target.KindOf(targId)))
            return false;
        for (var depth = 0; depth < 32; depth++)
        {
            localId = SkipModsAndTypedefs(local, localId);
            targId = SkipModsAndTypedefs(target, targId);
            var l = local[localId];
            var t = target[targId];
            if (!KindsCompatible(l.Kind, t.Kind))
                return false;
            switch (l)
            {
                case BtfVoid or BtfComposite or BtfEnumBase or BtfFwd:
                    return true;
                case BtfInt li:
                    return li.BitOffset == 0 && ((BtfInt)t).BitOffset == 0;
                case BtfPtr lp:
                    localId = lp.Target;
                    targId = ((BtfPtr)t).Target;
                    continue;
                case BtfArray la:
                    localId = la.ElementType;
                    targId = ((BtfArray)t).ElementType;
                    continue;
                case BtfFuncProto lf:
                {
                    var tf = (BtfFuncProto)t;
                    if (lf.Params.Count != tf.Params.Count)
                        return false;
                    for (var i = 0; i < lf.Params.Count; i++)
                    {
                        if (level <= 0)
                            return false;
                        if (!TypesCompatible(local, SkipModsAndTypedefs(local, lf.Params[i].Type), target, SkipModsAndTypedefs(target, tf.Params[i].Type), level - 1))
                            return false;
                    }
                    localId = lf.Return;
                    targId = tf.Return;
                    continue;
                }
                default:
                    return false;
            }
        }
        return false;
    }

    // ---- values ----------------------------------------------------------------------------------------

    private sealed record Result(ulong OrigValue, ulong NewValue, bool Poison, uint OrigSize, uint NewSize, bool Validate = true, bool FailMemSize = false);

    private Result Calc(BtfCoreRelocation relo, Spec local, Spec? target)
    {
        var kind = relo.Kind;
        if (IsFieldBased(kind))
        {
            var (orig, origSize, origType, bitfield) = FieldValue(relo, local, _localLayout);
            var validate = !bitfield || kind is BtfCoreRelocationKind.FieldSigned or BtfCoreRelocationKind.FieldRShiftU64;
            if (kind != BtfCoreRelocationKind.FieldExists && target is null)
                return new Result(orig, 0, true, origSize, 0, validate);
            var (value, size, newType, _) = FieldValue(relo, target, target?.Layout ?? _localLayout);
            var failMemSize = origSize != size && !MemorySizeAdjustable(_local[origType], target!.Btf[newType]);
            return new Result(orig, value, false, origSize, size, validate, failMemSize);
        }
        if (IsTypeBased(kind))
            return new Result(TypeValue(relo, local, _localLayout), TypeValue(relo, target, target?.Layout), false, 0, 0,
                kind != BtfCoreRelocationKind.TypeIdTarget);
        // enumerator-based
        var o = EnumValue(relo, local);
        if (kind == BtfCoreRelocationKind.EnumValue && target is null)
            return new Result(o, 0, true, 0, 0);
        return new Result(o, EnumValue(relo, target), false, 0, 0);
    }

    /// <summary>A load/store may change size only for pointers and unsigned integers, whose values zero extension preserves.</summary>
    private static bool MemorySizeAdjustable(BtfType local, BtfType target) =>
        (local is BtfPtr && target is BtfPtr)
        || (local is BtfInt li && target is BtfInt ti && (li.Encoding & BtfIntEncoding.Signed) == 0 && (ti.Encoding & BtfIntEncoding.Signed) == 0);

    /// <summary>The value, and for byte offsets of non-bitfields the field's size and (modifier-free) type id.</summary>
    private (ulong Value, uint FieldSize, uint FieldType, bool Bitfield) FieldValue(BtfCoreRelocation relo, Spec? spec, BtfLayout layout)
    {
        if (relo.Kind == BtfCoreRelocationKind.FieldExists)
            return (spec is null ? 0UL : 1UL, 0, 0, false);
        var btf = spec!.Btf;
        var acc = spec.Accessors[^1];
        if (acc.Name is null)
        {
            var sz = layout.ResolveSize(acc.TypeId);
            if (sz < 0)
                throw Error(relo, $"type {acc.TypeId} has no size");
            return relo.Kind switch
            {
                BtfCoreRelocationKind.FieldByteOffset => ((ulong)(spec.BitOffset / 8), (uint)sz, acc.TypeId, false),
                BtfCoreRelocationKind.FieldByteSize => ((ulong)sz, 0, 0, false),
                _ => throw Error(relo, "cannot be applied to an array access"),
            };
        }
        var composite = (BtfComposite)btf[acc.TypeId];
        var member = composite.Members[acc.Index];
        var fieldType = SkipModsAndTypedefs(btf, member.Type);
        var mt = btf[fieldType];
        var bitOff = (ulong)spec.BitOffset;
        ulong bitSize = member.BitfieldSize;
        ulong byteOff, byteSize;
        var bitfield = bitSize > 0;
        if (bitfield)
        {
            byteSize = mt switch
            {
                BtfInt i => i.Size,
                BtfEnumBase e => e.Size,
                _ => throw Error(relo, $"bitfield of type {fieldType} is neither an integer nor an enum"),
            };
            byteOff = bitOff / 8 / byteSize * byteSize;
            while (bitOff + bitSize - byteOff * 8 > byteSize * 8)
            {
                if (byteSize >= 8)
                    throw Error(relo, "bitfield cannot be read with a 64-bit load");
                byteSize *= 2;
                byteOff = bitOff / 8 / byteSize * byteSize;
            }
        }
        else
        {
            var sz = layout.ResolveSize(fieldType);
            if (sz < 0)
                throw Error(relo, $"field type {fieldType} has no size");
            byteSize = (ulong)sz;
            byteOff = bitOff / 8;
            bitSize = byteSize * 8;
        }
        var value = relo.Kind switch
        {
            BtfCoreRelocationKind.FieldByteOffset => byteOff,
            BtfCoreRelocationKind.FieldByteSize => byteSize,
            BtfCoreRelocationKind.FieldSigned => (mt is BtfEnumBase { Signed: true } || mt is BtfInt { Encoding: var enc } && (enc & BtfIntEncoding.Signed) != 0) ? 1UL : 0UL,
            BtfCoreRelocationKind.FieldLShiftU64 => btf.BigEndian
                ? (8 - byteSize) * 8 + (bitOff - byteOff * 8)
                : 64 - (bitOff + bitSize - byteOff * 8),
            BtfCoreRelocationKind.FieldRShiftU64 => 64 - bitSize,
            _ => throw Error(relo, "not a field relocation"),
        };
        return relo.Kind == BtfCoreRelocationKind.FieldByteOffset && !bitfield
            ? (value, (uint)byteSize, fieldType, false)
            : (value, 0, 0, bitfield);
    }

    private ulong TypeValue(BtfCoreRelocation relo, Spec? spec, BtfLayout? layout)
    {
        if (spec is null)
            return 0;
        switch (relo.Kind)
        {
            case BtfCoreRelocationKind.TypeIdTarget: return spec.RootTypeId;
            case BtfCoreRelocationKind.TypeExists or BtfCoreRelocationKind.TypeMatches: return 1;
            case BtfCoreRelocationKind.TypeSize:
                var sz = layout!.ResolveSize(spec.RootTypeId);
                if (sz < 0)
                    throw Error(relo, $"type {spec.RootTypeId} has no size");
                return (ulong)sz;
            default: throw Error(relo, "not a type relocation");
        }
    }

    private static ulong EnumValue(BtfCoreRelocation relo, Spec? spec)
    {
        if (relo.Kind == BtfCoreRelocationKind.EnumValueExists)
            return spec is null ? 0UL : 1UL;
        var acc = spec!.Accessors[0];
        var e = (BtfEnumBase)spec.Btf[acc.TypeId];
        var value = e.Values[acc.Index].Value;
        // libbpf widens a 32-bit enumerator as the s32 it stores, whatever the enum's signedness.
        return e is BtfEnum ? (ulong)(long)(int)value : (ulong)value;
    }
}
