#!/usr/bin/env bash
# Prepares the real repositories the benchmarks run on (benches/real.rs, scripts/bench-compare.sh):
#   ripgrep   small: f596a5d8 against its parent (210 changed lines)
#             big:   11.0.0..15.1.0 squashed into one commit (48,877 lines, 88 renames)
#             range: 11.0.0..15.1.0 as it is (958 commits)
#   cargo     big:   0.80.0..0.99.0 squashed into one commit (252k lines, 2,034 files)
# Each case is a pair of branches, <case>-base and <case>, in a plain clone under
# $REAL_BENCH_DIR (default target/real-bench). The histories come from bare mirrors: $MIRROR
# (default /work/.mirror, where the search tool's fetch puts github:owner/name as owner+name/repo),
# or, with FETCH=1, a clone from GitHub. A repository that is not there is skipped with a message.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${REAL_BENCH_DIR:-$root/target/real-bench}
mirror=${MIRROR:-/work/.mirror}
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null LC_ALL=C
mkdir -p "$out"

# source OWNER NAME: the path of a bare history of github.com/OWNER/NAME, or nothing.
source_of() {
    local m="$mirror/$1+$2/repo"
    if [ -d "$m" ]; then
        echo "$m"
    elif [ "${FETCH:-0}" = 1 ]; then
        local bare="$out/.mirrors/$1+$2.git"
        [ -d "$bare" ] || git clone -q --bare "https://github.com/$1/$2" "$bare"
        echo "$bare"
    fi
}

# clone NAME SOURCE: a fresh clone at $out/NAME that shares the source's objects.
clone() {
    rm -rf "$out/$1"
    git clone -q --shared --no-checkout "$2" "$out/$1"
    git -C "$out/$1" config user.name bench
    git -C "$out/$1" config user.email bench@example.com
}

# squash REPO CASE FROM TO: branches CASE-base at FROM and CASE with one commit holding TO's
# tree on FROM.
squash() {
    local repo=$1 case=$2 from=$3 to=$4 commit
    commit=$(git -C "$repo" commit-tree -p "$from^{commit}" -m "squash $from..$to" "$to^{tree}")
    git -C "$repo" branch -f "$case-base" "$from^{commit}"
    git -C "$repo" branch -f "$case" "$commit"
}

pair() {
    git -C "$1" branch -f "$2-base" "$3^{commit}"
    git -C "$1" branch -f "$2" "$4^{commit}"
}

finish() {
    # The checkout is the case's tip, as a reviewer's would be.
    git -C "$1" checkout -q "$2"
    touch "$1/.git/countersign-real-bench-ready"
    echo "prepared $1"
}

rg=$(source_of BurntSushi ripgrep || true)
if [ -n "$rg" ]; then
    clone ripgrep "$rg"
    pair "$out/ripgrep" small f596a5d8^ f596a5d8
    squash "$out/ripgrep" big 11.0.0 15.1.0
    pair "$out/ripgrep" range 11.0.0 15.1.0
    finish "$out/ripgrep" big
else
    echo "skipped ripgrep: no mirror at $mirror/BurntSushi+ripgrep (fetch github:BurntSushi/ripgrep, or FETCH=1)" >&2
fi

cg=$(source_of rust-lang cargo || true)
if [ -n "$cg" ]; then
    clone cargo "$cg"
    squash "$out/cargo" big 0.80.0 0.99.0
    finish "$out/cargo" big
else
    echo "skipped cargo: no mirror at $mirror/rust-lang+cargo (fetch github:rust-lang/cargo, or FETCH=1)" >&2
fi
