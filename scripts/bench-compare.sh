#!/usr/bin/env bash
# countersign against the tools a reviewer would otherwise use, in one run:
#   git diff A B                     (the time to print the whole patch)
#   git diff --no-renames A B
#   git diff A B | delta | head -60  (delta's first screen, when delta is installed)
#   countersign review A..B          (first frame and analysis complete, from COUNTERSIGN_TIMINGS,
#                                     in a real pseudo-terminal of 200x60, via tmux)
# and prints the ratios against the targets of docs/performance.md.
#
# Usage: scripts/bench-compare.sh              # the generated benchmark repository, main..bench/large
#        scripts/bench-compare.sh REPO A B     # any repository and range
# Environment: RUNS (default 5, medians are printed), COUNTERSIGN_BIN (default: the release
# build under CARGO_TARGET_DIR or target/), BENCH_REPO_DIR (where the generated repo is kept).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-5}
target_dir=${CARGO_TARGET_DIR:-$root/target}
bin=${COUNTERSIGN_BIN:-$target_dir/release/countersign}

die() { echo "bench-compare: $*" >&2; exit 2; }

case $# in
0)
    repo=${BENCH_REPO_DIR:-${TMPDIR:-/tmp}/countersign-bench-repo}
    a=main b=bench/large
    if [ ! -e "$repo/.git/countersign-bench-ready" ]; then
        rm -rf "$repo"
        echo "generating the benchmark repository in $repo ..." >&2
        (cd "$root" && cargo bench -q --bench make_repo -- "$repo" >/dev/null) ||
            die "could not generate the benchmark repository"
        touch "$repo/.git/countersign-bench-ready"
    fi
    ;;
3) repo=$1 a=$2 b=$3 ;;
*) die "usage: $0 [REPO A B]" ;;
esac
[ -d "$repo" ] || die "no repository at $repo"
if [ ! -x "$bin" ]; then
    echo "building the release binary ..." >&2
    (cd "$root" && cargo build -q --release --bin countersign) || die "cargo build failed"
fi
command -v tmux >/dev/null || die "tmux is needed to run countersign in a pseudo-terminal"

# git with its defaults, whatever the user's config says (pager, colour, renames).
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null LC_ALL=C
scratch=$(mktemp -d)
session="countersign-bench-$$"
cleanup() {
    tmux kill-session -t "$session" 2>/dev/null || true
    rm -rf "$scratch"
}
trap cleanup EXIT

now_ns() { date +%s%N; }

# Wall time in ms of a command (run directly, output to /dev/null).
time_ms() {
    local t0 t1
    t0=$(now_ns)
    "$@" >/dev/null 2>&1
    t1=$(now_ns)
    awk -v us=$(((t1 - t0) / 1000)) 'BEGIN { printf "%.2f\n", us / 1000 }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Waits until the pane shows a finished analysis, or the deadline passes.
wait_screen() {
    local deadline=$(($(date +%s) + 120)) screen status
    while [ "$(date +%s)" -lt "$deadline" ]; do
        screen=$(tmux capture-pane -p -t "$session" 2>/dev/null || true)
        # The status line, whole (it ends with the help hint): done when it says no "loading".
        status=$(grep "decided" <<<"$screen" || true)
        if grep -q "help" <<<"$status" && ! grep -q "loading" <<<"$status"; then
            return 0
        fi
        sleep 0.05
    done
    return 1
}

# One countersign run: prints "first-frame analysis-complete peak-rss-kib".
countersign_once() {
    local timings="$scratch/timings-$1" pid rss deadline
    rm -f "$timings"
    tmux new-session -d -s "$session" -x 200 -y 60 \
        "cd '$repo' && exec env HOME='$scratch' XDG_STATE_HOME='$scratch/state' \
         XDG_CONFIG_HOME='$scratch/config' COUNTERSIGN_TIMINGS='$timings' \
         '$bin' review '$a..$b'"
    pid=$(tmux display-message -p -t "$session" '#{pane_pid}')
    wait_screen || { tmux capture-pane -p -t "$session" >&2; die "countersign did not finish loading"; }
    rss=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
    tmux send-keys -t "$session" q
    deadline=$(($(date +%s) + 20))
    until grep -q "analysis-complete" "$timings" 2>/dev/null; do
        [ "$(date +%s)" -lt "$deadline" ] || die "no timings written to $timings"
        sleep 0.02
    done
    tmux kill-session -t "$session" 2>/dev/null || true
    awk -v rss="${rss:-0}" '/^first-frame/ { f = $2 } /^analysis-complete/ { c = $2 }
        END { print f, c, rss }' "$timings"
}

echo "repository $repo, $a..$b: $(git -C "$repo" diff --shortstat --no-renames "$a" "$b")"
echo "patch: $(git -C "$repo" diff "$a" "$b" | wc -c) bytes; medians of $runs runs; $(nproc) cores"

: >"$scratch/gd"; : >"$scratch/gdn"; : >"$scratch/delta"; : >"$scratch/cs"
for i in $(seq "$runs"); do
    time_ms git -C "$repo" diff "$a" "$b" >>"$scratch/gd"
    time_ms git -C "$repo" diff --no-renames "$a" "$b" >>"$scratch/gdn"
    if command -v delta >/dev/null; then
        time_ms bash -c "git -C '$repo' diff '$a' '$b' | delta --paging=never | head -n 60" \
            >>"$scratch/delta"
    fi
    countersign_once "$i" >>"$scratch/cs"
done

gd=$(median <"$scratch/gd")
gdn=$(median <"$scratch/gdn")
ff=$(awk '{ print $1 }' "$scratch/cs" | median)
ac=$(awk '{ print $2 }' "$scratch/cs" | median)
rss=$(awk '{ print $3 }' "$scratch/cs" | sort -n | tail -n 1)

ratio() { awk -v x="$1" -v y="$2" -v t="$3" 'BEGIN {
    r = x / y; printf "%.3fx  (target <= %sx: %s)", r, t, (r <= t ? "met" : "MISSED") }'; }

printf '%-38s %9.2f ms\n' "git diff A B" "$gd"
printf '%-38s %9.2f ms\n' "git diff --no-renames A B" "$gdn"
if [ -s "$scratch/delta" ]; then
    dl=$(median <"$scratch/delta")
    printf '%-38s %9.2f ms  = %.3fx git diff\n' "delta, first 60 lines" "$dl" "$(awk -v x="$dl" -v y="$gd" 'BEGIN { print x / y }')"
else
    echo "delta                                  not installed, skipped"
fi
printf '%-38s %9.2f ms  = %s\n' "countersign first frame" "$ff" "$(ratio "$ff" "$gd" 0.3)"
printf '%-38s %9.2f ms  = %s\n' "countersign analysis complete" "$ac" "$(ratio "$ac" "$gdn" 1.3)"
awk -v k="$rss" 'BEGIN { printf "%-38s %9.1f MiB (budget 40 MiB: %s)\n", "countersign peak RSS (VmHWM)", k / 1024, (k <= 40 * 1024 ? "met" : "MISSED") }'
echo "(countersign's times are its own COUNTERSIGN_TIMINGS, ms since main() started; git's are wall"
echo " times of the whole process, so countersign's exec and loading, about 1 ms, go uncounted)"
