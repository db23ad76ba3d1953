// A shared library with USDT probes for usdt_target.c (built with -DUSDT_WITH_LIB): one plain, one behind a
// semaphore. Returns 1 when the semaphore was set, i.e. a tracer is attached to sharpbpf_lib:gated.
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

unsigned short sharpbpf_lib_fired_semaphore __attribute__((unused)) __attribute__((section(".probes")));
unsigned short sharpbpf_lib_gated_semaphore __attribute__((unused)) __attribute__((section(".probes")));

__attribute__((noinline)) int usdt_lib_fire(int i)
{
    long square = (long)i * i;
    STAP_PROBE2(sharpbpf_lib, fired, i, square);
    if (!sharpbpf_lib_gated_semaphore)
        return 0;
    STAP_PROBE1(sharpbpf_lib, gated, i * 10);
    return 1;
}
