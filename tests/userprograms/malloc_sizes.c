// For the malloc-sizes example's test: a known mix of malloc() sizes, then exit.
// 1000 calls of 100 bytes ([64, 128)), 20 of 5000 ([4K, 8K)), 7 of 1 MiB ([1M, 2M)).
#include <stdlib.h>
#include <stdio.h>

static void *volatile keep[1100];

int main(void)
{
    int n = 0;
    for (int i = 0; i < 1000; i++)
        keep[n++] = malloc(100);
    for (int i = 0; i < 20; i++)
        keep[n++] = malloc(5000);
    for (int i = 0; i < 7; i++)
        keep[n++] = malloc(1 << 20);
    for (int i = 0; i < n; i++)
        free(keep[i]);
    puts("malloc_sizes done");
    return 0;
}
