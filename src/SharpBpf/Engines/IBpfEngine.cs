using SharpBpf.Objects;

namespace SharpBpf;

/// <summary>
/// Where programs run: the Linux kernel (<see cref="Linux.KernelEngine"/>) or the embedded VM
/// (<see cref="Vm.VmEngine"/>). Code written against this interface runs on either.
/// </summary>
public interface IBpfEngine : IDisposable
{
    /// <summary>"kernel" or "vm": what <c>--engine</c> calls it.</summary>
    string Name { get; }

    /// <summary>Creates the object's maps and loads its programs (those marked autoload), as libbpf's object load does.
    /// Dispose the collection to release them.</summary>
    IBpfCollection Load(ObjectSpec obj);
}
