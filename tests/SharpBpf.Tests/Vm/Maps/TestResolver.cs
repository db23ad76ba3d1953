using SharpBpf.Vm;

namespace SharpBpf.Tests.Vm.Maps;

/// <summary>A VM object table for tests: ids handed out in order from 1.</summary>
public sealed class TestResolver : IVmObjectResolver
{
    private readonly Dictionary<int, object> _objects = [];

    public int Register(object o)
    {
        int id = _objects.Count + 1;
        _objects[id] = o;
        return id;
    }

    public object? Resolve(int id) => _objects.GetValueOrDefault(id);
}
