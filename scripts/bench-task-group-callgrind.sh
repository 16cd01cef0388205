#!/usr/bin/env bash
# Counts instructions (valgrind --tool=callgrind) for one round of every variant of the
# runtime crate's `task_group` bench (100k tasks; see crates/asyncwise/README.md), twice:
#
# - `all features`: the bench binary as `cargo bench` builds it. The crate's dev-dependency
#   on itself turns on every feature (`watchdog` included) for tests and benches.
# - `default features`: the same bench source built as a binary of a throwaway package in
#   $TARGET/bench-default-features that depends on the crate with its default features, which
#   is how an application that does not ask for the watchdog gets it.
#
# Usage: scripts/bench-task-group-callgrind.sh [KIND...]   (KIND: noop, yield_once; default both)
# Prints one table row per configuration and kind; needs valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
target="${CARGO_TARGET_DIR:-target}"
kinds=("$@")
[[ ${#kinds[@]} -gt 0 ]] || kinds=(noop yield_once)
variants=(task_group_limit_64 joinset_semaphore_64 task_group_unbounded joinset)

all_features=$(cargo bench -p asyncwise --bench task_group --no-run 2>&1 |
    grep -o 'target/release/deps/task_group-[0-9a-f]*' | head -1)
[[ -n "$all_features" ]] || { echo "building the bench failed" >&2; exit 1; }
all_features="$root/$all_features"

scratch="$root/$target/bench-default-features"
mkdir -p "$scratch"
criterion=$(sed -n 's/^criterion = { version = "\([^"]*\)".*/\1/p' crates/asyncwise/Cargo.toml)
cat >"$scratch/Cargo.toml" <<EOF
[package]
name = "task-group-default-features"
version = "0.0.0"
edition = "2024"
publish = false

[[bin]]
name = "task_group"
path = "$root/crates/asyncwise/benches/task_group.rs"

[dependencies]
asyncwise = { path = "$root/crates/asyncwise" }
criterion = { version = "$criterion", features = ["async_tokio"] }
tokio = { version = "1", features = ["full"] }
tracing = "0.1"

[profile.release]
debug = "line-tables-only"

[workspace]
EOF
cp Cargo.lock "$scratch/Cargo.lock"
cargo build --release --quiet --manifest-path "$scratch/Cargo.toml" --target-dir "$root/$target"
default_features="$root/$target/release/task_group"

count() { # binary variant kind
    ASYNCWISE_BENCH_ONE="$2/$3" valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" 2>&1 |
        sed -n 's/.*Collected : //p'
}
echo "| configuration | tasks | task_group_limit_64 | joinset_semaphore_64 | ratio | task_group_unbounded | joinset | ratio |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for config in "all features" "default features"; do
    binary=$all_features
    [[ $config == "all features" ]] || binary=$default_features
    for kind in "${kinds[@]}"; do
        counts=()
        for variant in "${variants[@]}"; do
            counts+=("$(count "$binary" "$variant" "$kind")")
        done
        awk -v c="$config" -v k="$kind" -v a="${counts[0]}" -v b="${counts[1]}" \
            -v u="${counts[2]}" -v j="${counts[3]}" 'BEGIN {
            printf "| %s | %s | %.1f M | %.1f M | %.3fx | %.1f M | %.1f M | %.3fx |\n",
                c, k, a / 1e6, b / 1e6, a / b, u / 1e6, j / 1e6, u / j
        }'
    done
done
