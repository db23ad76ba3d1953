#!/bin/bash
# sharpbpf filter against tcpdump/libpcap on a 1,000,000-packet capture, five expressions:
#  1. whole process: `sharpbpf filter EXPR -r FILE --count` vs `tcpdump -r FILE EXPR -w /dev/null`
#  2. per packet: sharpbpf's in-memory filter loop (--time) vs pcap_offline_filter (offline_filter.c, built here)
# Runs are interleaved; medians of RUNS; the ratio is tcpdump's time over ours (>1: we are faster).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${WORK:-/tmp/sharpbpf-pcap-filter-bench}
runs=${RUNS:-5}
mkdir -p "$work"
[ -f "$work/1m.pcap" ] || python3 "$here/make-capture.py" "$work/1m.pcap" 1000000
cc -O2 -o "$work/offline_filter" "$here/offline_filter.c" -lpcap
# The tool as `dotnet tool install` gives it (NativeAOT); SHARPBPF=path times another build.
if [ -z "${SHARPBPF:-}" ]; then
    dotnet publish "$root/src/SharpBpf.Cli" -c Release -o "$work/publish" -v q -nologo >/dev/null
    SHARPBPF="$work/publish/sharpbpf"
fi
sharpbpf=("$SHARPBPF")
expressions=("ip" "tcp port 80" "host 192.168.1.7 and udp" "vlan and tcp" "ip6 or arp or icmp")
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
seconds() { local s=$(date +%s.%N); "$@" >/dev/null 2>&1; echo "$(date +%s.%N) - $s" | bc; }
printf "%-28s %10s %10s %7s %12s %12s %7s\n" expression "tcpdump s" "ours s" ratio "libpcap ns" "ours ns" ratio
for e in "${expressions[@]}"; do
    t=(); o=(); lp=(); op=()
    for ((i = 0; i < runs; i++)); do
        t+=("$(seconds tcpdump -r "$work/1m.pcap" -w /dev/null "$e")")
        o+=("$(seconds "${sharpbpf[@]}" filter "$e" -r "$work/1m.pcap" --count)")
        lp+=("$("$work/offline_filter" "$work/1m.pcap" "$e" 3 | cut -d' ' -f2)")
        op+=("$("${sharpbpf[@]}" filter "$e" -r "$work/1m.pcap" --time 3 | cut -d' ' -f2)")
    done
    tm=$(printf "%s\n" "${t[@]}" | median); om=$(printf "%s\n" "${o[@]}" | median)
    lm=$(printf "%s\n" "${lp[@]}" | median); pm=$(printf "%s\n" "${op[@]}" | median)
    a=$("$work/offline_filter" "$work/1m.pcap" "$e" 1 | cut -d' ' -f1); b=$("${sharpbpf[@]}" filter "$e" -r "$work/1m.pcap" --count)
    [ "$a" = "$b" ] || { echo "count mismatch for '$e': libpcap $a, sharpbpf $b"; exit 1; }
    printf "%-28s %10.3f %10.3f %7.2f %12.2f %12.2f %7.2f\n" "$e" "$tm" "$om" "$(echo "$tm / $om" | bc -l)" "$lm" "$pm" "$(echo "$lm / $pm" | bc -l)"
done
