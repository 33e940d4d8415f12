#!/usr/bin/env bash
# Idle CPU of the real console: starts `tgo-console --demo` in a detached tmux terminal, waits
# until the demo plugin's panel is drawn and the console has settled, then reads utime+stime of
# the console, its watchdog and the demo plugin from /proc/<pid>/stat over a window and prints CPU %.
#
#   scripts/idle-cpu.sh [SECONDS]        (default 10; BIN=path/to/tgo-console to choose a build)
#
# Builds target/release/tgo-console first when BIN is not given.
set -euo pipefail

secs=${1:-10}
settle=${SETTLE:-3}
cd "$(dirname "$0")/.."
if [[ -z "${BIN:-}" ]]; then
    cargo build --release --quiet
    BIN=$PWD/target/release/tgo-console
fi
command -v tmux >/dev/null || { echo "idle-cpu: tmux is needed" >&2; exit 2; }

dir=$(mktemp -d)
session=tgo-idle-$$
cleanup() {
    tmux kill-session -t "$session" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT

# exec: the pane's process is the console itself, not a shell around it.
tmux new-session -d -s "$session" -x 160 -y 50 \
    "exec '$BIN' --demo --socket '$dir/tgo.sock' --log-file '$dir/console.log' --config /dev/null"
# The pane's process is the watchdog; the console is its only child.
watchdog=$(tmux display-message -p -t "$session" '#{pane_pid}')

# Ready when the demo's first panel is on screen.
for _ in $(seq 100); do
    tmux capture-pane -p -t "$session" | grep -q "Customer 360" && break
    sleep 0.1
done
tmux capture-pane -p -t "$session" | grep -q "Customer 360" ||
    { echo "idle-cpu: the console never showed the demo panel" >&2; exit 1; }
console=$(pgrep -P "$watchdog" | head -1)
demo=$(pgrep -P "$console" -f demo-plugin | head -1 || true)
sleep "$settle"

# utime + stime (fields 14 and 15; counted after the ")" closing the command name).
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)

pids=("$console" "$watchdog"); names=(console watchdog)
if [[ -n "$demo" ]]; then pids+=("$demo"); names+=(demo-plugin); fi
declare -a before
for i in "${!pids[@]}"; do before[i]=$(ticks "${pids[i]}"); done
sleep "$secs"
total=0
echo "idle over ${secs} s (after ${settle} s settling; load: $(cut -d' ' -f1-3 /proc/loadavg)):"
for i in "${!pids[@]}"; do
    d=$(( $(ticks "${pids[i]}") - before[i] ))
    total=$(( total + d ))
    awk -v n="${names[i]}" -v d="$d" -v hz="$hz" -v s="$secs" -v r="$(rss_kib "${pids[i]}")" \
        'BEGIN { printf "  %-12s %3d ticks (1/%d s)  %.2f %% CPU  %.1f MiB resident\n", n, d, hz, 100 * d / hz / s, r / 1024 }'
done
awk -v d="$total" -v hz="$hz" -v s="$secs" \
    'BEGIN { printf "  %-12s %3d ticks          %.2f %% CPU (target < 1 %%)\n", "together", d, 100 * d / hz / s }'
