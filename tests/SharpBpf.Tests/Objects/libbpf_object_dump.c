// Oracle for ObjectSpec tests: opens a BPF object with the system's libbpf (no kernel needed) and prints its
// maps and programs as libbpf sees them, one per line, in libbpf's order. With --load it loads the object into
// the kernel and prints each program's final (linked, relocated) instructions as 16 hex digits per slot.
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

static int quiet(enum libbpf_print_level level, const char *fmt, va_list args) { return 0; }

int main(int argc, char **argv)
{
    int load = argc == 3 && strcmp(argv[1], "--load") == 0;
    if (argc != 2 && !load) {
        fprintf(stderr, "usage: %s [--load] OBJECT\n", argv[0]);
        return 2;
    }
    const char *path = argv[argc - 1];
    libbpf_set_print(quiet);
    // Maps pinned by name go under a directory of this process's own, removed again before it exits.
    char pin_root[64];
    snprintf(pin_root, sizeof pin_root, "/sys/fs/bpf/sharpbpf-oracle-%d", (int)getpid());
    LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_root);
    struct bpf_object *obj = bpf_object__open_file(path, &opts);
    if (!obj || libbpf_get_error(obj)) {
        fprintf(stderr, "libbpf cannot open %s\n", path);
        return 3;
    }
    if (load) {
        int err = bpf_object__load(obj);
        struct bpf_map *pinned;
        bpf_object__for_each_map(pinned, obj) {
            if (bpf_map__is_pinned(pinned))
                bpf_map__unpin(pinned, NULL);
        }
        rmdir(pin_root);
        if (err) {
            fprintf(stderr, "libbpf cannot load %s: %d\n", path, err);
            bpf_object__close(obj);
            return 4;
        }
        struct bpf_program *p;
        bpf_object__for_each_program(p, obj) {
            const struct bpf_insn *insns = bpf_program__insns(p);
            size_t n = bpf_program__insn_cnt(p);
            printf("prog %s %zu\n", bpf_program__name(p), n);
            for (size_t i = 0; i < n; i++) {
                const unsigned char *b = (const unsigned char *)&insns[i];
                for (int j = 0; j < 8; j++)
                    printf("%02x", b[j]);
                printf("\n");
            }
        }
        bpf_object__close(obj);
        return 0;
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
