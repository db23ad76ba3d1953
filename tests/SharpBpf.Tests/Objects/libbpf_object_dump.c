// Oracle for ObjectSpec tests: opens a BPF object with the system's libbpf (no kernel needed) and prints its
// maps and programs as libbpf sees them, one per line, in libbpf's order.
#include <stdio.h>
#include <bpf/libbpf.h>

static int quiet(enum libbpf_print_level level, const char *fmt, va_list args) { return 0; }

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OBJECT\n", argv[0]);
        return 2;
    }
    libbpf_set_print(quiet);
    struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
    if (!obj || libbpf_get_error(obj)) {
        fprintf(stderr, "libbpf cannot open %s\n", argv[1]);
        return 3;
    }
    struct bpf_map *map;
    bpf_object__for_each_map(map, obj) {
        printf("map %s type=%d key=%u value=%u max=%u flags=0x%x\n", bpf_map__name(map), bpf_map__type(map),
               bpf_map__key_size(map), bpf_map__value_size(map), bpf_map__max_entries(map), bpf_map__map_flags(map));
    }
    struct bpf_program *prog;
    bpf_object__for_each_program(prog, obj) {
        printf("prog %s sec=%s type=%d attach=%d insns=%zu\n", bpf_program__name(prog), bpf_program__section_name(prog),
               bpf_program__type(prog), bpf_program__expected_attach_type(prog), bpf_program__insn_cnt(prog));
    }
    bpf_object__close(obj);
    return 0;
}
