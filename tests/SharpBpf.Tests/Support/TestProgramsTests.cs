namespace SharpBpf.Tests.Support;

public class TestProgramsTests
{
    [Fact]
    public void CompilesEveryTestProgramForBothByteOrders()
    {
        foreach (var file in TestPrograms.All())
        {
            Assert.True(new FileInfo(TestPrograms.Compile(file)).Length > 0);
            Assert.True(new FileInfo(TestPrograms.Compile(file, bigEndian: true)).Length > 0);
        }
    }
}
