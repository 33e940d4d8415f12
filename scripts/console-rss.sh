#!/usr/bin/env bash
# Peak resident memory of the real console while one launched plugin does something costly:
# writes a plugin.yml for COMMAND in a temporary directory, starts `tgo-console DIR` in a
# detached 160×50 tmux terminal, samples the console's resident memory every 100 ms for
# SECONDS (and checks the terminal still answers: a key, then the screen must change), then
# prints the peak (the kernel's VmHWM) and the last sample.
#
#   scripts/console-rss.sh SECONDS [CONSOLE FLAGS…] -- COMMAND [ARGS…]
#
#   scripts/console-rss.sh 10 -- python3 tests/plugins/rogue.py deep 100000      # 3.8 MB, 300 000 deep
#   scripts/console-rss.sh 15 -- python3 tests/plugins/rogue.py big_table 200000 # a 16 MiB table
#   scripts/console-rss.sh 60 -- yes                                            # stdout flood
#   scripts/console-rss.sh 30 -- sh -c 'head -c 3000000000 /dev/zero | tr "\0" x >&2'
#
# BIN=path/to/tgo-console chooses a build (default: target/release/tgo-console, built first).
# Prints one line: `peak_rss_mib=… last_rss_mib=… seconds=… load=…`.
set -euo pipefail

secs=${1:?seconds}
shift
flags=()
while [[ $# -gt 0 && $1 != -- ]]; do flags+=("$1"); shift; done
[[ ${1:-} == -- ]] || { echo "console-rss: give -- COMMAND" >&2; exit 2; }
shift
[[ $# -gt 0 ]] || { echo "console-rss: give -- COMMAND" >&2; exit 2; }

root=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z "${BIN:-}" ]]; then
    (cd "$root" && cargo build --release --quiet)
    BIN=$root/target/release/tgo-console
fi
command -v tmux >/dev/null || { echo "console-rss: tmux is needed" >&2; exit 2; }

dir=$(mktemp -d)
session=tgo-rss-$$
cleanup() {
    tmux kill-session -t "$session" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT

mkdir "$dir/probe"
{
    echo "id: rss.probe"
    echo "name: probe"
    printf 'command: %s\n' "$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1")"
    shift
    printf 'args: %s\n' "$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "$@")"
    echo "working_directory: $root"
    echo "runtime: {auto_restart: false}"
} >"$dir/probe/plugin.yml"

tmux new-session -d -s "$session" -x 160 -y 50 \
    "exec '$BIN' --socket '$dir/tgo.sock' --log-file '$dir/console.log' --config /dev/null ${flags[*]:-} '$dir/probe'"
watchdog=$(tmux display-message -p -t "$session" '#{pane_pid}')
console=
for _ in $(seq 100); do
    console=$(pgrep -P "$watchdog" | head -1 || true)
    [[ -n $console ]] && break
    sleep 0.05
done
[[ -n $console ]] || { echo "console-rss: the console did not start" >&2; exit 1; }

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$console/status" 2>/dev/null || echo 0; }
hwm() { awk '/^VmHWM:/ {print $2}' "/proc/$console/status" 2>/dev/null || echo 0; }
end=$(( $(date +%s%N) + secs * 1000000000 ))
last=0
while (( $(date +%s%N) < end )); do
    [[ -d /proc/$console ]] || { echo "console-rss: the console exited" >&2; exit 1; }
    last=$(rss)
    sleep 0.1
done
peak=$(hwm)
[[ -n "${SHOW:-}" ]] && tmux capture-pane -p -t "$session" >"$SHOW"
# Still answering keys? `?` opens the help, whose box is titled "Keys" (polled every 20 ms,
# through tmux: a coarse figure, not the console's own key latency).
sent=$(date +%s%N)
tmux send-keys -t "$session" '?'
answered=never
for _ in $(seq 250); do
    if tmux capture-pane -p -t "$session" | grep -q "┌ Keys"; then
        answered="$(( ($(date +%s%N) - sent) / 1000000 ))ms"
        break
    fi
    sleep 0.02
done
awk -v p="$peak" -v l="$last" -v s="$secs" -v a="$answered" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" \
    'BEGIN { printf "peak_rss_mib=%.1f last_rss_mib=%.1f seconds=%d help_shown_after=%s load=%s\n", p / 1024, l / 1024, s, a, load }'
