// The libbpf side of the kernel benchmark: the same operations SharpBpf's KernelMap/KernelEngine run,
// through libbpf, on a hash map of N entries. Prints "name ns_per_op" lines.
// Build: gcc -O2 libbpf_bench.c -lbpf -o libbpf_bench
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

// CPU time of this thread (user + kernel): unlike wall time, it leaves out the time spent waiting for a CPU on a busy machine.
static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int silent(enum libbpf_print_level level, const char *fmt, va_list args) { return 0; }

int main(int argc, char **argv)
{
    unsigned n = argc > 1 ? atoi(argv[1]) : 1000000;
    const char *object = argc > 2 ? argv[2] : NULL;
    int loads = argc > 3 ? atoi(argv[3]) : 20;
    libbpf_set_print(silent);

    int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "lb_bench", 4, 8, n, NULL);
    if (fd < 0) { perror("bpf_map_create"); return 1; }
    unsigned long long value = 0;
    double t0 = now_ns(), ct0 = cpu_ns();
    for (unsigned i = 0; i < n; i++) {
        value = i;
        if (bpf_map_update_elem(fd, &i, &value, BPF_ANY)) { perror("update"); return 1; }
    }
    double t1 = now_ns(), ct1 = cpu_ns();
    for (unsigned i = 0; i < n; i++)
        if (bpf_map_lookup_elem(fd, &i, &value)) { perror("lookup"); return 1; }
    double t2 = now_ns(), ct2 = cpu_ns();
    unsigned key, next, count = 0;
    int err = bpf_map_get_next_key(fd, NULL, &next);
    while (!err) { count++; key = next; err = bpf_map_get_next_key(fd, &key, &next); }
    double t3 = now_ns(), ct3 = cpu_ns();
    if (count != n) { fprintf(stderr, "walked %u of %u keys\n", count, n); return 1; }

    unsigned batch = 4096, total = 0, out_batch = 0, in_batch = 0;
    unsigned *keys = malloc(batch * sizeof(unsigned));
    unsigned long long *values = malloc(batch * sizeof(unsigned long long));
    DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
    double t4 = now_ns(), ct4 = cpu_ns();
    void *in = NULL;
    for (;;) {
        __u32 got = batch;
        err = bpf_map_lookup_batch(fd, in, &out_batch, keys, values, &got, &opts);
        total += got;
        if (err) { if (errno == ENOENT) break; perror("lookup_batch"); return 1; }
        in_batch = out_batch;
        in = &in_batch;
    }
    double t5 = now_ns(), ct5 = cpu_ns();
    if (total != n) { fprintf(stderr, "batch saw %u of %u\n", total, n); return 1; }

    printf("update %.1f\n", (t1 - t0) / n);
    printf("lookup %.1f\n", (t2 - t1) / n);
    printf("get_next_key %.1f\n", (t3 - t2) / n);
    printf("batch_lookup %.1f\n", (t5 - t4) / n);
    printf("update_cpu %.1f\n", (ct1 - ct0) / n);
    printf("lookup_cpu %.1f\n", (ct2 - ct1) / n);
    printf("get_next_key_cpu %.1f\n", (ct3 - ct2) / n);
    printf("batch_lookup_cpu %.1f\n", (ct5 - ct4) / n);
    close(fd);

    if (object) {
        double f0 = now_ns();
        struct bpf_object *first = bpf_object__open_file(object, NULL);
        if (!first || bpf_object__load(first)) { fprintf(stderr, "cannot load %s\n", object); return 1; }
        bpf_object__close(first);
        printf("object_load_first %.1f\n", now_ns() - f0); // the process's first load: libbpf's feature probes included
        double l0 = now_ns(), cl0 = cpu_ns();
        for (int i = 0; i < loads; i++) {
            struct bpf_object *obj = bpf_object__open_file(object, NULL);
            if (!obj || bpf_object__load(obj)) { fprintf(stderr, "cannot load %s\n", object); return 1; }
            bpf_object__close(obj);
        }
        double l1 = now_ns(), cl1 = cpu_ns();
        printf("object_load %.1f\n", (l1 - l0) / loads);
        printf("object_load_cpu %.1f\n", (cl1 - cl0) / loads);
    }
    return 0;
}
