#!/bin/sh
# The long fuzz run: random programs through the interpreter and the JIT, and mutated objects and BTF through every
# CLI command that reads a file, each batch in a child process (a crash or hang is recorded, and the run goes on).
# usage: fuzz/run-long.sh [PROGRAMS [FILES [SEED]]]   (defaults: the issue's 1,000,000 programs and 100,000 files)
# Seeds: tests/programs/*.c compiled by clang-14, their .BTF sections, and /work/corpus (if present) objects.
set -eu
programs=${1:-1000000}
files=${2:-100000}
seed=${3:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
seeds=$(mktemp -d /tmp/sharpbpf-fuzz-seeds.XXXXXX)
trap 'rm -rf "$seeds"' EXIT

dotnet build "$root/fuzz/SharpBpf.Fuzz" -c Release -v q -nologo >&2
for c in "$root"/tests/programs/*.c; do
    name=$(basename "$c" .c)
    clang-14 -target bpf -O2 -g -I/usr/include/x86_64-linux-gnu -I"$root/tests/programs" -c "$c" -o "$seeds/$name.o" 2>/dev/null || continue
    llvm-objcopy-14 --dump-section .BTF="$seeds/$name.btf" "$seeds/$name.o" 2>/dev/null || true
done
corpus=""
[ -d /work/corpus ] && corpus="--seeds /work/corpus"
echo "seeds: $(ls "$seeds" | wc -l) in $seeds${corpus:+, and /work/corpus}" >&2
# shellcheck disable=SC2086
exec "$root/artifacts/bin/SharpBpf.Fuzz/release/SharpBpf.Fuzz" run --programs "$programs" --files "$files" --seed "$seed" \
    --seeds "$seeds" $corpus --timeout 60
