// The benchmark's load: waits for a line on stdin, then calls getpid() in a tight loop for the given seconds.
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    char line[16];
    if (!fgets(line, sizeof line, stdin))
        return 1;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    unsigned long calls = 0;
    for (;;) {
        for (int i = 0; i < 256; i++, calls++)
            syscall(SYS_getpid);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 >= seconds)
            break;
    }
    printf("%lu\n", calls);
    return 0;
}
