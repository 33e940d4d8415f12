#!/usr/bin/env bash
# Issue 15: what `proxy` adds to a request. `bench` is the "real host"; the near-free plugin
# (`tgo-console bench-plugin`) dials it directly, or dials `tgo-console proxy` in front of it.
# ROUNDS runs of each, interleaved (default 5), REQUESTS renders per run (default 20 000), at
# concurrency C (default 1); prints every run and the medians as Markdown.
#
#   scripts/proxy-overhead.sh [ROUNDS] [REQUESTS] [C]
#
# BIN=path/to/tgo-console chooses a build (default: target/release/tgo-console, built first).
# The proxy prints its lines to /dev/null (formatted all the same: that cost is counted).
set -euo pipefail
rounds=${1:-5}
requests=${2:-20000}
c=${3:-1}
cd "$(dirname "$0")/.."
if [[ -z "${BIN:-}" ]]; then
    cargo build --release --quiet
    BIN=$PWD/target/release/tgo-console
fi
dir=$(mktemp -d /tmp/tgo-proxy-overhead-XXXXXX)
trap 'kill "$proxy" 2>/dev/null || true; rm -rf "$dir"' EXIT
host=$dir/host.sock
front=$dir/proxy.sock

run() { # plugin command… -> "req/s p50_us p99_us"
    "$BIN" bench --socket "$host" --requests "$requests" --concurrency "$c" --format json \
        -- "$@" 2>/dev/null |
        python3 -c 'import json,sys; d=json.load(sys.stdin); l=d["latency_us"]; print(round(d["throughput_per_sec"]), l["p50"], l["p99"])'
}

"$BIN" proxy --upstream "unix:$host" --socket "$front" >/dev/null 2>"$dir/proxy.err" &
proxy=$!
while [[ ! -S $front ]]; do sleep 0.05; done

echo "| run | direct req/s | direct p50 µs | direct p99 µs | proxied req/s | proxied p50 µs | proxied p99 µs | p50 added µs | load average |"
echo "|---|---|---|---|---|---|---|---|---|"
added=()
for i in $(seq "$rounds"); do
    read -r dr dp dq <<<"$(run "$BIN" bench-plugin)"
    read -r pr pp pq <<<"$(run sh -c "TGO_SOCKET_PATH='$front' exec '$BIN' bench-plugin")"
    a=$(python3 -c "print(round($pp - $dp, 1))")
    added+=("$a")
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n" "$i" "$dr" "$dp" "$dq" "$pr" "$pp" "$pq" "$a" \
        "$(cut -d' ' -f1-3 /proc/loadavg)"
done
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo
echo "median p50 added at c=$c: **$(med "${added[@]}") µs**"
