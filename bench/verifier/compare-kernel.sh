#!/bin/sh
# Time to verify the largest test programs: the static verifier (sharpbpf prog verify) against the kernel's own
# "verification time" (BPF_LOG_STATS), runs interleaved, medians of N runs. Needs root for the kernel side.
# Usage: bench/verifier/compare-kernel.sh [RUNS]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-5}
cli="dotnet $root/artifacts/bin/SharpBpf.Cli/release/sharpbpf.dll"
dotnet build "$root/src/SharpBpf.Cli" -c Release -v q >/dev/null
out=$(mktemp -d)
for prog in loops percpu_stats ringbuf_output lpm_routing hook_tc_drop_udp; do
  clang-14 -target bpf -mcpu=v3 -O2 -g -I/usr/include/x86_64-linux-gnu -I"$root/tests/programs" -c "$root/tests/programs/$prog.c" -o "$out/$prog.o"
  for i in $(seq "$runs"); do
    $cli prog verify "$out/$prog.o" --json > "$out/$prog.static.$i.json"
    $cli prog verify "$out/$prog.o" --json --engine kernel > "$out/$prog.kernel.$i.json" || true
  done
done
python3 - "$out" "$runs" <<'PY'
import json, statistics, sys, glob, os
out, runs = sys.argv[1], int(sys.argv[2])
print(f"{'program':<28}{'insns(static/kernel)':>22}{'static us':>12}{'kernel us':>12}{'ratio':>8}")
for path in sorted(glob.glob(os.path.join(out, "*.static.1.json"))):
    name = os.path.basename(path).split(".")[0]
    s = [json.load(open(os.path.join(out, f"{name}.static.{i}.json"))) for i in range(1, runs + 1)]
    k = [json.load(open(os.path.join(out, f"{name}.kernel.{i}.json"))) for i in range(1, runs + 1)]
    for j, prog in enumerate(s[0]):
        st = statistics.median(r[j]["verification_time_usec"] for r in s)
        kt = [r[j]["verification_time_usec"] for r in k if r[j]["verification_time_usec"] is not None]
        kt = statistics.median(kt) if kt else None
        ratio = f"{kt / st:.2f}x" if kt else "-"
        print(f"{name + ':' + prog['program']:<28}{str(prog['processed_insns']) + '/' + str(k[0][j]['processed_insns']):>22}{st:>12.0f}{(kt if kt is not None else float('nan')):>12.0f}{ratio:>8}")
print("ratio = kernel time / static time (above 1: the static verifier is faster); static time is measured in a fresh process (cold JIT)")
PY
rm -rf "$out"
