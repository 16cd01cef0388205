#!/usr/bin/env bash
# Times whole processes from outside, alternating runs: `asyncwise check --threads 2` against
# the parse-only floor process (`examples/parse_only.rs`: the same discovery, reading, guard and
# syn parse on the same threads). Prints the median wall time of each and the ratio.
# Usage: scripts/bench-process.sh [DIR] [RUNS]   (DIR: tokio's src/ in the cargo registry)
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${1:-$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/tokio-1.*/src | sort -V | tail -1)}
runs=${2:-21}
cargo build --release -q -p asyncwise-cli
cargo build --release -q -p asyncwise-lint --example parse_only
target="${CARGO_TARGET_DIR:-target}/release"

now() { date +%s%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
parse_times=()
check_times=()
for _ in $(seq "$runs"); do
    t0=$(now); "$target/examples/parse_only" --threads 2 "$dir" >/dev/null; t1=$(now)
    "$target/asyncwise" check --threads 2 "$dir" >/dev/null 2>&1 || true; t2=$(now)
    parse_times+=($(((t1 - t0) / 1000)))
    check_times+=($(((t2 - t1) / 1000)))
done
p=$(printf '%s\n' "${parse_times[@]}" | median)
c=$(printf '%s\n' "${check_times[@]}" | median)
awk -v p="$p" -v c="$c" -v d="$dir" -v n="$runs" 'BEGIN {
    printf "%s, %d runs each (median)\nparse-only process: %7.1f ms\nasyncwise check:    %7.1f ms\nratio:              %7.2fx\n", d, n, p / 1e3, c / 1e3, c / p
}'
