#!/usr/bin/env bash
# Whole-process speed of `sharpbpf btf dump file F format c` against `bpftool btf dump file F format c`:
# interleaved runs, median wall time of each, and the ratio. Output goes to /dev/null; both outputs are
# first checked to be identical.
#   bench/compare-btf-dump.sh [runs=21] [file=/sys/kernel/btf/vmlinux] [format=c]
# SHARPBPF selects the build to measure; default: the CLI as published (ReadyToRun, artifacts/bench-btf/publish),
# e.g. SHARPBPF="dotnet artifacts/bin/SharpBpf.Cli/release/sharpbpf.dll" for the JIT-only build.
set -euo pipefail
runs=${1:-21}
file=${2:-/sys/kernel/btf/vmlinux}
format=${3:-c}
repo=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z "${SHARPBPF:-}" ]]; then
    dotnet publish "$repo/src/SharpBpf.Cli" -c Release -o "$repo/artifacts/bench-btf/publish" -v quiet -nologo >&2
    SHARPBPF="$repo/artifacts/bench-btf/publish/sharpbpf"
fi
read -r -a ours <<<"$SHARPBPF"
theirs=(bpftool)

if ! cmp -s <("${ours[@]}" btf dump file "$file" format "$format") <("${theirs[@]}" btf dump file "$file" format "$format"); then
    echo "outputs differ: fix correctness before measuring speed" >&2
    exit 1
fi

ms() { # wall milliseconds of one run
    local start end
    start=$(date +%s%N)
    "$@" btf dump file "$file" format "$format" >/dev/null
    end=$(date +%s%N)
    echo $(( (end - start) / 1000 ))
}

a=(); b=()
for _ in 1 2; do ms "${ours[@]}" >/dev/null; ms "${theirs[@]}" >/dev/null; done # warm the page cache
for ((i = 0; i < runs; i++)); do
    if (( i % 2 == 0 )); then a+=("$(ms "${ours[@]}")"); b+=("$(ms "${theirs[@]}")")
    else b+=("$(ms "${theirs[@]}")"); a+=("$(ms "${ours[@]}")"); fi
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
ma=$(median "${a[@]}"); mb=$(median "${b[@]}")
printf 'btf dump file %s format %s, %d interleaved runs, median wall time\n' "$file" "$format" "$runs"
printf '  sharpbpf: %8.1f ms\n' "$(echo "$ma / 1000" | bc -l)"
printf '  bpftool:  %8.1f ms\n' "$(echo "$mb / 1000" | bc -l)"
printf '  ratio sharpbpf/bpftool: %.2f\n' "$(echo "$ma / $mb" | bc -l)"
if command -v perf >/dev/null; then
    ia=$(perf stat -x, -e instructions:u "${ours[@]}" btf dump file "$file" format "$format" 2>&1 >/dev/null | awk -F, '/instructions/ {print $1}')
    ib=$(perf stat -x, -e instructions:u "${theirs[@]}" btf dump file "$file" format "$format" 2>&1 >/dev/null | awk -F, '/instructions/ {print $1}')
    printf '  user-space instructions (one run): sharpbpf %s, bpftool %s, ratio %.2f\n' "$ia" "$ib" "$(echo "$ia / $ib" | bc -l)"
fi
