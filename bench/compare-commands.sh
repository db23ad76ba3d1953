#!/usr/bin/env bash
# Whole-process time of the commands a user runs, sharpbpf (as published: ReadyToRun) against the reference tool doing
# the same (bpftool 7.1, llvm-objdump 14), all commands interleaved, median wall time of RUNS runs each, and the ratio.
# Needs root for prog show / map dump (a 1,000,000-entry ARRAY map is created, pinned, and removed afterwards).
#   bench/compare-commands.sh [RUNS=7]   SHARPBPF=path selects another build to time.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
out=artifacts/bench-commands
mkdir -p "$out"
if [[ -z "${SHARPBPF:-}" ]]; then
    dotnet publish src/SharpBpf.Cli -c Release -o "$out/publish" -v quiet -nologo >&2
    SHARPBPF="$out/publish/sharpbpf"
fi
clang-14 -target bpfel -O2 -g -I/usr/include/x86_64-linux-gnu -c bench/programs/whole_parse.c -o "$out/small.o"
clang-14 -target bpfel -O2 -g -I/usr/include/x86_64-linux-gnu -c bench/objdump/big_program.c -o "$out/big.o"
pin=/sys/fs/bpf/sharpbpf_bench_commands_map
rm -f "$pin"
bpftool map create "$pin" type array key 4 value 8 entries 1000000 name bench_1m
trap 'rm -f "$pin"' EXIT

names=(); ours=(); theirs=()
add() { names+=("$1"); ours+=("$2"); theirs+=("$3"); }
add "version"                "$SHARPBPF version"                                        "bpftool version"
add "btf dump small raw"     "$SHARPBPF btf dump file $out/small.o"                      "bpftool btf dump file $out/small.o"
add "btf dump small c"       "$SHARPBPF btf dump file $out/small.o format c"             "bpftool btf dump file $out/small.o format c"
add "btf dump vmlinux raw"   "$SHARPBPF btf dump file /sys/kernel/btf/vmlinux"           "bpftool btf dump file /sys/kernel/btf/vmlinux"
add "btf dump vmlinux c"     "$SHARPBPF btf dump file /sys/kernel/btf/vmlinux format c"  "bpftool btf dump file /sys/kernel/btf/vmlinux format c"
add "objdump -dr big.o"      "$SHARPBPF objdump -dr $out/big.o"                          "llvm-objdump-14 -dr $out/big.o"
add "prog show"              "$SHARPBPF prog show"                                       "bpftool prog show"
add "map dump 1M array"      "$SHARPBPF map dump pinned $pin"                            "bpftool map dump pinned $pin"

elapsed_us() { local s e; s=$(date +%s%N); $1 >/dev/null 2>&1 || true; e=$(date +%s%N); echo $(( (e - s) / 1000 )); }
declare -A t
for ((r = 0; r < runs; r++)); do
    for i in "${!names[@]}"; do
        t[$i,o]+="$(elapsed_us "${ours[$i]}") "
        t[$i,t]+="$(elapsed_us "${theirs[$i]}") "
    done
    echo -ne "\rround $((r + 1))/$runs" >&2
done
echo >&2
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf "%-22s %12s %12s %8s\n" command "sharpbpf ms" "ref ms" ratio
for i in "${!names[@]}"; do
    o=$(echo "${t[$i,o]}" | median); r=$(echo "${t[$i,t]}" | median)
    awk -v n="${names[$i]}" -v o="$o" -v r="$r" 'BEGIN { printf "%-22s %12.1f %12.1f %8.2f\n", n, o / 1000, r / 1000, o / r }'
done
