#!/usr/bin/env bash
# Runs the engine bench (tokio's sources, 2 threads) and prints how much slower a full
# `check_paths` is than merely discovering, reading and parsing the same files with syn.
# Extra arguments go to criterion (e.g. `--measurement-time 10`).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo bench -p asyncwise-lint --bench engine -- --noplot "$@"

target="${CARGO_TARGET_DIR:-target}"
mean() {
    local file="$target/criterion/engine/$1/new/estimates.json"
    if [[ ! -f "$file" ]]; then
        echo "no estimates in $file (was the bench skipped?)" >&2
        exit 1
    fi
    sed -E 's/.*"mean":\{"confidence_interval":\{[^}]*\},"point_estimate":([0-9.eE+-]+).*/\1/' "$file"
}
parse=$(mean parse_only)
check=$(mean check_paths)
awk -v p="$parse" -v c="$check" 'BEGIN {
    printf "parse_only:  %8.1f ms\ncheck_paths: %8.1f ms\nratio:       %8.2fx\n", p / 1e6, c / 1e6, c / p
}'
