// The reference consumer: libbpf's ring_buffer__poll on the benchmark's pinned ring buffer map.
//   consumer PINNED_MAP      prints "ready", consumes until SIGTERM, drains, prints "<records> <sum of seq>"
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

struct record {
    uint64_t seq;
    uint64_t time_ns;
    uint64_t payload[6];
};

static volatile sig_atomic_t stop;
static uint64_t records, seq_sum;

static void on_term(int sig) { (void)sig; stop = 1; }

static int on_record(void *ctx, void *data, size_t size)
{
    (void)ctx;
    if (size >= sizeof(struct record)) {
        records++;
        seq_sum += ((const struct record *)data)->seq;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: consumer PINNED_MAP\n");
        return 2;
    }
    int fd = bpf_obj_get(argv[1]);
    if (fd < 0) {
        perror("bpf_obj_get");
        return 1;
    }
    struct ring_buffer *rb = ring_buffer__new(fd, on_record, NULL, NULL);
    if (!rb) {
        perror("ring_buffer__new");
        return 1;
    }
    signal(SIGTERM, on_term);
    printf("ready\n");
    fflush(stdout);
    while (!stop)
        ring_buffer__poll(rb, 100);
    ring_buffer__consume(rb);
    printf("%llu %llu\n", (unsigned long long)records, (unsigned long long)seq_sum);
    ring_buffer__free(rb);
    return 0;
}
