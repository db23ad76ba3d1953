// A small user program for uprobe tests: calls sharpbpf_uprobe_target(i) for i = 1..N (N from argv[1]).
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) int sharpbpf_uprobe_target(int x)
{
    __asm__ volatile("" ::: "memory");
    return x * 2 + 1;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1, sum = 0;
    for (int i = 1; i <= n; i++)
        sum += sharpbpf_uprobe_target(i);
    printf("%d\n", sum);
    return 0;
}
