#!/usr/bin/env bash
# Target 1 of issue 12: `bench` against its minimal host, measured in the same run, with the
# near-free plugin (`tgo-console bench-plugin`) at c=1 and c=64, and with the demo plugin.
# ROUNDS runs of each (default 5); prints every run and the median ratio as Markdown.
#
#   scripts/throughput.sh [ROUNDS] [REQUESTS]
#
# BIN=path/to/tgo-console chooses a build (default: target/release/tgo-console, built first).
set -euo pipefail
rounds=${1:-5}
requests=${2:-20000}
cd "$(dirname "$0")/.."
if [[ -z "${BIN:-}" ]]; then
    cargo build --release --quiet
    BIN=$PWD/target/release/tgo-console
fi
sock=$(mktemp -u /tmp/tgo-throughput-XXXXXX.sock)

one() { # plugin concurrency -> "host minimal ratio p50"
    local plugin=$1 c=$2
    local cmd=(-- "$BIN" bench-plugin)
    [[ $plugin == demo ]] && cmd=(--demo)
    "$BIN" bench --socket "$sock" --requests "$requests" --concurrency "$c" --baseline \
        --format json "${cmd[@]}" 2>/dev/null |
        python3 -c 'import json,sys; d=json.load(sys.stdin); print(round(d["throughput_per_sec"]), round(d["baseline_throughput_per_sec"]), "%.2f" % d["ratio"], d["latency_us"]["p50"], d["minimal_host"]["latency_us"]["p50"])'
}

echo "| plugin | c | host req/s (each run) | minimal host req/s (same runs) | ratio (each run) | median ratio | host p50 / minimal p50 (µs, median) | load average |"
echo "|---|---|---|---|---|---|---|---|"
for plugin in near-free demo; do
    for c in 1 64; do
        hosts=() mins=() ratios=() p50s=() mp50s=()
        for _ in $(seq "$rounds"); do
            read -r h m r p mp <<<"$(one "$plugin" "$c")"
            hosts+=("$h") mins+=("$m") ratios+=("$r") p50s+=("$p") mp50s+=("$mp")
        done
        med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
        printf "| %s | %s | %s | %s | %s | **%s** | %s / %s | %s |\n" "$plugin" "$c" \
            "${hosts[*]}" "${mins[*]}" "${ratios[*]}" "$(med "${ratios[@]}")" \
            "$(med "${p50s[@]}")" "$(med "${mp50s[@]}")" "$(cut -d' ' -f1-3 /proc/loadavg)"
    done
done
