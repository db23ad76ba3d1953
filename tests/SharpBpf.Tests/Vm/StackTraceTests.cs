using SharpBpf.Objects;
using SharpBpf.Tests.Support;
using SharpBpf.Vm;

namespace SharpBpf.Tests.Vm;

/// <summary>STACK_TRACE and bpf_get_stackid/get_stack with the VM's stand-in stack: one frame, the calling instruction.</summary>
public sealed class StackTraceTests
{
    [Fact]
    public void StackIdsFollowCallSitesAndTheMapHoldsTheFrame()
    {
        using var vm = new VmEngine();
        var loaded = vm.Load(ObjectSpec.Load(TestPrograms.Compile("vm_stackid.c")));
        loaded.Program("take_stacks").Run(new RunInput { Data = new byte[64] });
        var bss = new byte[loaded.Map("vm_stack.bss").ValueSize];
        Assert.True(loaded.Map("vm_stack.bss").TryLookup(BitConverter.GetBytes(0u), bss));
        long Field(int index) => BitConverter.ToInt64(bss, index * 8);
        long first = Field(0), again = Field(1), other = Field(2), user = Field(3), got = Field(4);
        Assert.InRange(first, 0, 63);
        Assert.Equal(first, again);                  // the same call site: the same stack
        Assert.NotEqual(first, other);
        Assert.Equal(-Errno.EFAULT, user);           // no user stack in a VM run
        Assert.Equal(8, got);                        // one frame
        var frame = new byte[8 * 127];
        Assert.True(loaded.Map("stacks").TryLookup(BitConverter.GetBytes((uint)first), frame));
        Assert.Equal(0xffffffffc0000000UL, BitConverter.ToUInt64(frame) & 0xfffffffff0000000UL);
        Assert.All(frame[8..], b => Assert.Equal(0, b));
        Assert.Equal(0xffffffffc0000000UL, BitConverter.ToUInt64(bss, 5 * 8) & 0xfffffffff0000000UL);
    }
}
