// USDT probes of several argument shapes, fired N times (N from argv[1]). Built with -DUSDT_WITH_LIB it also calls
// usdt_lib_fire(i) from the shared library of usdt_lib.c, and prints how many of those calls found the library's
// semaphore-gated probe enabled (a tracer attached to sharpbpf_lib:gated makes it non-zero).
#include <stdio.h>
#include <stdlib.h>
#include <sys/sdt.h>

#ifdef USDT_WITH_LIB
int usdt_lib_fire(int i);
#endif

// Optimized: arguments in registers and constants ("-4@%edi", "8@%rax", "4@$42").
__attribute__((noinline)) static void registers(int i)
{
    long big = 0x100000000L * i + 7;
    short negative = (short)-i;
    unsigned char byte = (unsigned char)(200 + i);
    STAP_PROBE5(sharpbpf, registers, i, big, negative, byte, 42);
}

// Not optimized: arguments read from the stack frame ("-4@-20(%rbp)").
__attribute__((noinline, optimize("O0"))) static void stack(int i)
{
    int tripled = i * 3;
    long negative = -1000L * i;
    unsigned short half = (unsigned short)(60000 + i);
    STAP_PROBE3(sharpbpf, stack, tripled, negative, half);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1, gated = 0;
    for (int i = 1; i <= n; i++)
    {
        registers(i);
        stack(i);
#ifdef USDT_WITH_LIB
        gated += usdt_lib_fire(i);
#endif
    }
    printf("%d\n", gated);
    return 0;
}
