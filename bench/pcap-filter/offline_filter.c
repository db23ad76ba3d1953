// Per-packet cost of libpcap's classic BPF interpreter (pcap_offline_filter) over a capture held in memory.
// usage: offline_filter FILE EXPRESSION ROUNDS  -> prints "<matches> <ns per packet>" (median of ROUNDS passes)
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct packet { struct pcap_pkthdr header; u_char *data; };

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s FILE EXPRESSION ROUNDS\n", argv[0]);
        return 2;
    }
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(argv[1], errbuf);
    if (!p) { fprintf(stderr, "%s\n", errbuf); return 1; }
    struct bpf_program program;
    if (pcap_compile(p, &program, argv[2], 1, PCAP_NETMASK_UNKNOWN) != 0) { fprintf(stderr, "%s\n", pcap_geterr(p)); return 2; }
    size_t count = 0, capacity = 1 << 20;
    struct packet *packets = malloc(capacity * sizeof *packets);
    struct pcap_pkthdr *header;
    const u_char *data;
    while (pcap_next_ex(p, &header, &data) == 1) {
        if (count == capacity)
            packets = realloc(packets, (capacity *= 2) * sizeof *packets);
        packets[count].header = *header;
        packets[count].data = malloc(header->caplen);
        memcpy(packets[count].data, data, header->caplen);
        count++;
    }
    int rounds = atoi(argv[3]);
    double *times = malloc(rounds * sizeof *times);
    long matches = 0;
    for (int r = 0; r < rounds; r++) {
        struct timespec start, end;
        matches = 0;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (size_t i = 0; i < count; i++)
            matches += pcap_offline_filter(&program, &packets[i].header, packets[i].data) != 0;
        clock_gettime(CLOCK_MONOTONIC, &end);
        times[r] = ((end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec)) / count;
    }
    qsort(times, rounds, sizeof *times, compare);
    printf("%ld %.2f\n", matches, times[rounds / 2]);
    return 0;
}
