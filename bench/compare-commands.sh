#!/usr/bin/env bash
# Whole-process wall time of the commands a user runs: sharpbpf as `dotnet tool install` gives it (NativeAOT, see
# docs/startup.md) against the reference tool doing the same (bpftool, llvm-objdump-14, tcpdump), every command of both
# tools interleaved in each round, median of RUNS rounds, and the ratio ours/theirs (below 1: we are faster).
# Needs root for prog show / map dump: a 1,000,000-entry ARRAY map is created, pinned, and removed afterwards.
# The 1,000,000-packet capture and the objects are built in $WORK (default /tmp/sharpbpf-bench-commands).
#   bench/compare-commands.sh [RUNS=7]      SHARPBPF=path times another build of the tool.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
work=${WORK:-/tmp/sharpbpf-bench-commands}
mkdir -p "$work"
if [[ -z "${SHARPBPF:-}" ]]; then
    echo "publishing sharpbpf (NativeAOT)..." >&2
    dotnet publish src/SharpBpf.Cli -c Release -o "$work/publish" -v quiet -nologo >&2
    SHARPBPF="$work/publish/sharpbpf"
fi
clang-14 -target bpfel -O2 -g -I/usr/include/x86_64-linux-gnu -c bench/programs/whole_parse.c -o "$work/small.o"
clang-14 -target bpfel -O2 -g -I/usr/include/x86_64-linux-gnu -c bench/objdump/big_program.c -o "$work/big.o"
[[ -f "$work/1m.pcap" ]] || python3 bench/pcap-filter/make-capture.py "$work/1m.pcap" 1000000
pin=/sys/fs/bpf/sharpbpf_bench_commands_map
rm -f "$pin"
bpftool map create "$pin" type array key 4 value 8 entries 1000000 name bench_1m
trap 'rm -f "$pin"' EXIT

names=(); ours=(); theirs=()
add() { names+=("$1"); ours+=("$2"); theirs+=("$3"); }
add "version"                "$SHARPBPF version"                                        "bpftool version"
add "btf dump small raw"     "$SHARPBPF btf dump file $work/small.o"                     "bpftool btf dump file $work/small.o"
add "btf dump small c"       "$SHARPBPF btf dump file $work/small.o format c"            "bpftool btf dump file $work/small.o format c"
add "btf dump vmlinux raw"   "$SHARPBPF btf dump file /sys/kernel/btf/vmlinux"           "bpftool btf dump file /sys/kernel/btf/vmlinux"
add "btf dump vmlinux c"     "$SHARPBPF btf dump file /sys/kernel/btf/vmlinux format c"  "bpftool btf dump file /sys/kernel/btf/vmlinux format c"
add "objdump -dr big.o"      "$SHARPBPF objdump -dr $work/big.o"                         "llvm-objdump-14 -dr $work/big.o"
add "prog show"              "$SHARPBPF prog show"                                       "bpftool prog show"
add "map dump 1M array"      "$SHARPBPF map dump pinned $pin"                            "bpftool map dump pinned $pin"
# Filters: one word per expression (the command lines are split on spaces), as tcpdump accepts them.
for e in "ip" "tcp port 80" "host 192.168.1.7 and udp" "vlan and tcp" "ip6 or arp or icmp"; do
    add "filter '$e'" "$SHARPBPF filter $e -r $work/1m.pcap --count" "tcpdump -r $work/1m.pcap -w /dev/null $e"
done

# $EPOCHREALTIME (no fork) so a 1 ms command is not timed with a `date` process around it.
elapsed_us() { local s e; s=${EPOCHREALTIME/./}; $1 >/dev/null 2>&1 || echo "failed: $1" >&2; e=${EPOCHREALTIME/./}; echo $((e - s)); }
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
printf "%-34s %12s %12s %8s\n" command "sharpbpf ms" "ref ms" ratio
for i in "${!names[@]}"; do
    o=$(echo "${t[$i,o]}" | median); r=$(echo "${t[$i,t]}" | median)
    awk -v n="${names[$i]}" -v o="$o" -v r="$r" 'BEGIN { printf "%-34s %12.1f %12.1f %8.2f\n", n, o / 1000, r / 1000, o / r }'
done
