#!/usr/bin/env bash
# The README's first Quick start command: build the CLI and run the main example.
set -euo pipefail
cd "$(dirname "$0")"
dotnet build src/SharpBpf.Cli -c Release -o artifacts/cli -v quiet -nologo >/dev/null
mkdir -p artifacts/examples
clang-14 -target bpf -O2 -g -I/usr/include/x86_64-linux-gnu -c tests/programs/xdp_pass.c -o artifacts/examples/xdp_pass.o
dotnet artifacts/cli/sharpbpf.dll version
