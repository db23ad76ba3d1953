namespace SharpBpf.Btf;

/// <summary>The BTF type kinds (<c>BTF_KIND_*</c> in linux/btf.h).</summary>
public enum BtfKind
{
    Void = 0, Int = 1, Ptr = 2, Array = 3, Struct = 4, Union = 5, Enum = 6, Fwd = 7, Typedef = 8, Volatile = 9,
    Const = 10, Restrict = 11, Func = 12, FuncProto = 13, Var = 14, Datasec = 15, Float = 16, DeclTag = 17,
    TypeTag = 18, Enum64 = 19,
}

/// <summary>Encoding flags of a <see cref="BtfInt"/> (<c>BTF_INT_SIGNED/CHAR/BOOL</c>).</summary>
[Flags]
public enum BtfIntEncoding : byte { None = 0, Signed = 1, Char = 2, Bool = 4 }

/// <summary>Linkage of a <see cref="BtfFunc"/> (<c>BTF_FUNC_*</c>).</summary>
public enum BtfFuncLinkage : ushort { Static = 0, Global = 1, Extern = 2 }

/// <summary>Linkage of a <see cref="BtfVar"/> (<c>BTF_VAR_*</c>).</summary>
public enum BtfVarLinkage : uint { Static = 0, GlobalAllocated = 1, GlobalExtern = 2 }
