#!/usr/bin/env bash
# Ring buffer consumption: SharpBpf's RingBufferReader against libbpf's ring_buffer__poll on the same tracepoint
# producer, rounds interleaved in one run. Needs root, clang-14, gcc and libbpf-dev.
#   bench/ringbuf/compare.sh [--rounds N] [--seconds S]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=artifacts/bench-ringbuf
mkdir -p "$out"
clang-14 -target bpf -O2 -g -Wall -I"/usr/include/$(uname -m)-linux-gnu" -c bench/ringbuf/producer.bpf.c -o "$out/producer.o"
gcc -O2 -Wall -o "$out/consumer" bench/ringbuf/consumer.c -lbpf
gcc -O2 -Wall -o "$out/getpid_loop" bench/ringbuf/getpid_loop.c
dotnet build bench/ringbuf/RingBench.csproj -c Release -o "$out/dotnet" -v quiet -nologo >/dev/null
exec dotnet "$out/dotnet/RingBench.dll" "$out/producer.o" "$out/consumer" "$out/getpid_loop" "$@"
