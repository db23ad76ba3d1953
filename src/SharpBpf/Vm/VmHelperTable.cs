using SharpBpf.Vm.Helpers;

namespace SharpBpf.Vm;

/// <summary>
/// A helper function as the VM calls it: the run's context and r1–r5; the result goes to r0.
/// Pointer arguments are addresses: turn them into memory with <see cref="VmCallContext.GetSpan"/>, which bounds-checks them.
/// </summary>
public delegate ulong VmHelper(VmCallContext vm, ulong r1, ulong r2, ulong r3, ulong r4, ulong r5);

/// <summary>
/// The helpers programs may call, by kernel helper id. <see cref="CreateDefault"/> has the VM's built-in set;
/// add or replace helpers from C# by id or by name (<c>"bpf_get_current_pid_tgid"</c> or without the prefix).
/// A program calling a helper that is not in the table fails to load.
/// </summary>
public sealed class VmHelperTable
{
    private VmHelper?[] _byId = new VmHelper?[BpfHelperNames.Count];

    /// <summary>A table with every built-in helper.</summary>
    public static VmHelperTable CreateDefault()
    {
        var table = new VmHelperTable();
        BuiltinHelpers.RegisterAll(table);
        return table;
    }

    /// <summary>An empty table.</summary>
    public VmHelperTable() { }

    public VmHelperTable Register(int id, VmHelper helper)
    {
        ArgumentNullException.ThrowIfNull(helper);
        if (id <= 0 || id > 65535)
            throw new ArgumentOutOfRangeException(nameof(id), id, "helper ids are 1..65535");
        if (id >= _byId.Length)
            Array.Resize(ref _byId, id + 1);
        _byId[id] = helper;
        return this;
    }

    /// <summary>Registers by kernel helper name (with or without <c>bpf_</c>).</summary>
    public VmHelperTable Register(string name, VmHelper helper)
    {
        int id = BpfHelperNames.IdOf(name);
        if (id <= 0)
            throw new ArgumentException($"'{name}' is not a kernel helper name; register it by id instead", nameof(name));
        return Register(id, helper);
    }

    /// <summary>The helper's prototype (argument and return types) from the verifier's table, or null.</summary>
    public static Verifier.HelperPrototype? Prototype(int id) => Verifier.HelperPrototypes.Get(id);

    public bool Contains(int id) => id > 0 && id < _byId.Length && _byId[id] is not null;

    public VmHelper? Get(int id) => id > 0 && id < _byId.Length ? _byId[id] : null;

    public void Remove(int id)
    {
        if (id > 0 && id < _byId.Length)
            _byId[id] = null;
    }

    /// <summary>The ids with a helper, ascending.</summary>
    public IEnumerable<int> Ids => Enumerable.Range(0, _byId.Length).Where(i => _byId[i] is not null);

    /// <summary>A copy a loaded program keeps, so later changes to the table do not affect it.</summary>
    internal VmHelper?[] Snapshot() => (VmHelper?[])_byId.Clone();
}
