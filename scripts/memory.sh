#!/usr/bin/env bash
# The memory cases of issue 12, each through the real console (scripts/console-rss.sh), as a
# Markdown table: peak resident memory, resident memory at the end, the target, met or not.
#
#   scripts/memory.sh [CASE…]        cases: deep table16 table75 noline yes (default: all)
#
# BIN=path/to/tgo-console chooses a build (default: target/release/tgo-console, built first).
# YES_SECONDS (default 60) is how long the `yes` flood runs. The target of every case but `yes`
# is the issue's: peak ≤ 3 × the largest frame accepted + the log budget (256 MiB) + 64 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${BIN:-}" ]]; then
    cargo build --release --quiet
    BIN=$PWD/target/release/tgo-console
fi
export BIN
cases=("$@")
[[ ${#cases[@]} -gt 0 ]] || cases=(deep table16 table75 noline yes)

mib=$((1024 * 1024))
budget=256
echo "| case | peak RSS | RSS at the end | target | met? | help shown after | load average |"
echo "|---|---|---|---|---|---|---|"
for c in "${cases[@]}"; do
    case $c in
        deep) what="3.8 MB answer nested 300 000 deep"; frame=16; secs=8
            out=$(scripts/console-rss.sh "$secs" -- python3 tests/plugins/rogue.py deep 100000) ;;
        table16) what="16 MiB table (230 000 rows)"; frame=16; secs=15
            out=$(scripts/console-rss.sh "$secs" -- python3 tests/plugins/rogue.py big_table 230000) ;;
        table75) what="75 MB table (1 030 000 rows, --max-frame-bytes 100000000)"; frame=100; secs=45
            out=$(scripts/console-rss.sh "$secs" --max-frame-bytes 100000000 -- python3 tests/plugins/rogue.py big_table 1030000) ;;
        noline) what="3 GB to stderr without a newline"; frame=16; secs=25
            out=$(scripts/console-rss.sh "$secs" -- sh -c 'head -c 3000000000 /dev/zero | tr "\0" x >&2; sleep 60') ;;
        yes) what="\`yes\` for ${YES_SECONDS:-60} s"; frame=0; secs=${YES_SECONDS:-60}
            out=$(scripts/console-rss.sh "$secs" -- yes) ;;
        *) echo "memory: unknown case $c" >&2; exit 2 ;;
    esac
    peak=$(sed 's/.*peak_rss_mib=\([0-9.]*\).*/\1/' <<<"$out")
    last=$(sed 's/.*last_rss_mib=\([0-9.]*\).*/\1/' <<<"$out")
    help=$(sed 's/.*help_shown_after=\([^ ]*\).*/\1/' <<<"$out")
    load=$(sed 's/.*load=\(.*\)/\1/' <<<"$out")
    if [[ $c == yes ]]; then
        target=200
        label="< 200 MB"
    else
        # MB as the issue counts them: frames in MiB × 1.048576.
        target=$(awk -v f="$frame" -v b="$budget" 'BEGIN { printf "%d", (3 * f + b) * 1.048576 + 64 }')
        label="≤ $target MB (3 × ${frame} MiB + ${budget} MiB + 64 MB)"
    fi
    met=$(awk -v p="$peak" -v t="$target" 'BEGIN { print (p * 1.048576 <= t) ? "met" : "**not met**" }')
    printf "| %s | %s MiB | %s MiB | %s | %s | %s | %s |\n" "$what" "$peak" "$last" "$label" "$met" "$help" "$load"
done
