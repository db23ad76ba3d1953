namespace SharpBpf.Linux;

/// <summary>The kernel's enum bpf_cmd: the first argument of bpf().</summary>
public enum BpfCommand
{
    MapCreate = 0,
    MapLookupElem = 1,
    MapUpdateElem = 2,
    MapDeleteElem = 3,
    MapGetNextKey = 4,
    ProgLoad = 5,
    ObjPin = 6,
    ObjGet = 7,
    ProgAttach = 8,
    ProgDetach = 9,
    ProgTestRun = 10,
    ProgGetNextId = 11,
    MapGetNextId = 12,
    ProgGetFdById = 13,
    MapGetFdById = 14,
    ObjGetInfoByFd = 15,
    ProgQuery = 16,
    RawTracepointOpen = 17,
    BtfLoad = 18,
    BtfGetFdById = 19,
    TaskFdQuery = 20,
    MapLookupAndDeleteElem = 21,
    MapFreeze = 22,
    BtfGetNextId = 23,
    MapLookupBatch = 24,
    MapLookupAndDeleteBatch = 25,
    MapUpdateBatch = 26,
    MapDeleteBatch = 27,
    LinkCreate = 28,
    LinkUpdate = 29,
    LinkGetFdById = 30,
    LinkGetNextId = 31,
    EnableStats = 32,
    IterCreate = 33,
    LinkDetach = 34,
    ProgBindMap = 35,
}

/// <summary>The kernel's C spellings of enum values (BPF_MAP_CREATE, BPF_MAP_TYPE_HASH), derived from the enum names.</summary>
public static class KernelNames
{
    public static string Command(BpfCommand command) => "BPF_" + UpperSnake(command.ToString());

    public static string MapType(BpfMapType type) =>
        Enum.IsDefined(type) ? "BPF_MAP_TYPE_" + UpperSnake(type.ToString()) : ((uint)type).ToString();

    public static string ProgramType(BpfProgramType type) =>
        Enum.IsDefined(type) ? "BPF_PROG_TYPE_" + UpperSnake(type.ToString()) : ((uint)type).ToString();

    public static string AttachType(BpfAttachType type) =>
        Enum.IsDefined(type) ? "BPF_" + UpperSnake(type.ToString()) : ((uint)type).ToString();

    /// <summary>"PercpuHash" → "PERCPU_HASH".</summary>
    public static string UpperSnake(string camel) => Snake(camel).ToUpperInvariant();

    /// <summary>"PercpuHash" → "percpu_hash" (digits stay attached: "LwtSeg6local" → "lwt_seg6local").</summary>
    public static string Snake(string camel)
    {
        var sb = new System.Text.StringBuilder(camel.Length + 8);
        for (int i = 0; i < camel.Length; i++)
        {
            char c = camel[i];
            if (char.IsUpper(c) && i > 0)
                sb.Append('_');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }
}
