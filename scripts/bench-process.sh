#!/usr/bin/env bash
# Times whole processes from outside, alternating runs, on 2 threads:
#   floor    the parse-only process (examples/probe.rs --mode parse: the same discovery,
#            reading, guard and syn parse as asyncwise check, nothing else)
#   check    `asyncwise check --no-cache` (the CLI, cold: a run that reads no cache, output to
#            /dev/null)
#   nograph  examples/probe.rs --mode check-without-call-graph
#   graph    examples/probe.rs --mode check
# Prints the median wall time and the median CPU time (all threads; perf's task-clock when perf
# is there, else user + system from time(1) at 10 ms resolution), which a loaded machine disturbs
# less than wall time.
# Usage: scripts/bench-process.sh [DIR] [RUNS]   (DIR: tokio's src/ in the cargo registry)
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${1:-$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/tokio-1.*/src | sort -V | tail -1)}
runs=${2:-11}
cargo build --release -q -p asyncwise-cli
cargo build --release -q -p asyncwise-lint --example probe
target="${CARGO_TARGET_DIR:-target}/release"
probe="$target/examples/probe"
cli="$target/asyncwise"

have_perf=$(perf stat -x, -e task-clock true >/dev/null 2>&1 && echo yes || echo no)
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
declare -A wall instr
run() { # name, command...
    local name=$1; shift
    local t0 t1 n
    t0=$(date +%s%N)
    if [[ $have_perf == yes ]]; then
        n=$(perf stat -x, -e task-clock "$@" 2>&1 >/dev/null | awk -F, '/task-clock/ { print $1 }' || true)
    else
        n=$(/usr/bin/time -f 'CPU %U %S' "$@" 2>&1 >/dev/null | awk '/^CPU/ { print ($2 + $3) * 1000 }' || true)
    fi
    t1=$(date +%s%N)
    wall[$name]+="$(((t1 - t0) / 1000)) "
    instr[$name]+="$n "
}
for _ in $(seq "$runs"); do
    run floor "$probe" --threads 2 --mode parse "$dir"
    run check "$cli" check --no-cache --threads 2 "$dir"
    run nograph "$probe" --threads 2 --mode check-without-call-graph "$dir"
    run graph "$probe" --threads 2 --mode check "$dir"
done
echo "$dir, $runs runs each, medians"
for name in floor check nograph graph; do
    w=$(tr ' ' '\n' <<<"${wall[$name]}" | grep . | median)
    i=$(tr ' ' '\n' <<<"${instr[$name]}" | grep . | median)
    printf '%-8s %9.1f ms wall %9.1f ms CPU\n' "$name" "$(awk -v w="$w" 'BEGIN { print w / 1e3 }')" "$i"
done
fw=$(tr ' ' '\n' <<<"${wall[floor]}" | grep . | median); cw=$(tr ' ' '\n' <<<"${wall[check]}" | grep . | median)
fi=$(tr ' ' '\n' <<<"${instr[floor]}" | grep . | median); ci=$(tr ' ' '\n' <<<"${instr[check]}" | grep . | median)
ni=$(tr ' ' '\n' <<<"${instr[nograph]}" | grep . | median); gi=$(tr ' ' '\n' <<<"${instr[graph]}" | grep . | median)
nw=$(tr ' ' '\n' <<<"${wall[nograph]}" | grep . | median); gw=$(tr ' ' '\n' <<<"${wall[graph]}" | grep . | median)
awk -v fw="$fw" -v cw="$cw" -v fi="$fi" -v ci="$ci" -v ni="$ni" -v gi="$gi" -v nw="$nw" -v gw="$gw" 'BEGIN {
    printf "asyncwise check / floor: %.2fx wall", cw / fw
    printf ", %.2fx CPU", ci / fi
    printf "\ncall graph adds to analysis (graph - floor vs nograph - floor): %+.0f%% wall", ((gw - fw) / (nw - fw) - 1) * 100
    printf ", %+.0f%% CPU", ((gi - fi) / (ni - fi) - 1) * 100
    printf "\n"
}'
