#!/usr/bin/env bash
# The performance benchmark of the README, in one run, on one machine:
#   1. asyncwise on a real corpus: the sources (Cargo.toml + src/) of tokio, hyper, axum,
#      reqwest, h2 and the futures crates (futures, futures-util, -core, -channel, -executor,
#      -io, -sink, -task), from the cargo registry after `cargo fetch` of a throwaway manifest;
#   2. the parse-only floor on the same files (examples/probe.rs --mode parse: the same
#      discovery, reading, nesting guard and syn::parse_file on the same number of threads);
#   3. tokio's src/: `cargo clippy --features full --lib` re-check after touching lib.rs
#      (dependencies built) against asyncwise cold, with the cache warm, and with the cache warm
#      after editing one file;
#   4. scaling: the corpus copied 1x, 2x, 4x, 8x: time and peak RSS.
# Every process is timed whole: wall clock, CPU time (user + system of all threads, from
# /usr/bin/time at 10 ms resolution: what a loaded machine disturbs least) and peak RSS
# (/usr/bin/time, else /proc's high-water mark, and then no CPU time);
# medians over RUNS runs, with the spread (min–max), printed as a Markdown table and written to
# $OUT. hyperfine is used for nothing: it is not installed everywhere, and this loop also gives
# peak RSS.
#
# Usage: scripts/bench.sh        Environment: RUNS (default 5), THREADS (default: nproc),
#        WORK (scratch directory, default a new temp dir), OUT (default target/bench/bench.md),
#        SKIP_CLIPPY=1 (leave out the clippy rows: its first build takes minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

RUNS=${RUNS:-5}
THREADS=${THREADS:-$(nproc)}
WORK=${WORK:-$(mktemp -d -t asyncwise-bench.XXXXXX)}
OUT=${OUT:-$repo/target/bench/bench.md}
mkdir -p "$WORK" "$(dirname "$OUT")"
log() { printf '[bench] %s\n' "$*" >&2; }

log "building the release binary and the probe"
cargo build --release -q -p asyncwise-cli --bin asyncwise
cargo build --release -q -p asyncwise-lint --example probe
target_dir=${CARGO_TARGET_DIR:-$repo/target}
cli="$target_dir/release/asyncwise"
probe="$target_dir/release/examples/probe"

# --- the corpus -------------------------------------------------------------------------------
crates=(tokio hyper axum reqwest h2 futures futures-util futures-core futures-channel
    futures-executor futures-io futures-sink futures-task)
fetch="$WORK/fetch"
if [[ ! -f $fetch/Cargo.lock ]]; then
    log "fetching the corpus crates"
    mkdir -p "$fetch/src"
    cat >"$fetch/Cargo.toml" <<'EOF'
[package]
name = "asyncwise-bench-corpus"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
tokio = { version = "1", features = ["full"] }
hyper = { version = "1", features = ["full"] }
axum = "0.8"
reqwest = "0.12"
h2 = "0.4"
futures = "0.3"

[workspace]
EOF
    echo "" >"$fetch/src/lib.rs"
    cargo generate-lockfile -q --manifest-path "$fetch/Cargo.toml"
    cargo fetch -q --manifest-path "$fetch/Cargo.toml"
fi
registry="${CARGO_HOME:-$HOME/.cargo}/registry/src"
source_of() { # crate name -> its directory in the registry (the version the lockfile chose)
    local version
    version=$(awk -v n="$1" '$1 == "name" && $3 == "\"" n "\"" { getline; gsub(/"/, "", $3); print $3; exit }' "$fetch/Cargo.lock")
    ls -d "$registry"/*/"$1-$version" | head -1
}
corpus="$WORK/corpus"
if [[ ! -d $corpus/1x ]]; then
    log "copying the corpus"
    for name in "${crates[@]}"; do
        dir=$(source_of "$name")
        mkdir -p "$corpus/1x/$name"
        cp "$dir/Cargo.toml" "$corpus/1x/$name/"
        cp -r "$dir/src" "$corpus/1x/$name/"
    done
    for n in 2 4 8; do
        for i in $(seq "$n"); do
            mkdir -p "$corpus/${n}x"
            cp -r "$corpus/1x" "$corpus/${n}x/copy$i"
        done
    done
fi
versions=$(for name in tokio hyper axum reqwest h2 futures; do basename "$(source_of "$name")"; done | tr '\n' ' ')

# --- measuring --------------------------------------------------------------------------------
have_time=$([[ -x /usr/bin/time ]] && echo yes || echo no)
# Sets $now to the clock in nanoseconds. bash's EPOCHREALTIME costs no process (and no command
# substitution, which forks a subshell): `$(date +%s%N)` forks and execs `date`, and the one
# that ends an interval put about 2 ms into every wall figure (3.8 ms against 1.7 ms for
# `/bin/true` under /usr/bin/time, measured), a tenth of a cached run.
clock() {
    if [[ -n ${EPOCHREALTIME:-} ]]; then
        now="${EPOCHREALTIME/[.,]/}000"
    else
        now=$(date +%s%N)
    fi
}
# Runs a command once: sets $wall_ms, $cpu_ms and $rss_kb.
once() {
    local t0 t1
    if [[ $have_time == yes ]]; then
        clock
        t0=$now
        /usr/bin/time -f '%M %U %S' -o "$WORK/rss" "$@" >/dev/null 2>"$WORK/stderr" || true
        clock
        t1=$now
        read -r rss_kb cpu_ms < <(tail -1 "$WORK/rss" | awk '{ printf "%s %.0f\n", $1, ($2 + $3) * 1000 }')
    else
        # /proc's high-water mark, read until the process is gone (the last read is at most
        # a few ms before its exit).
        clock
        t0=$now
        "$@" >/dev/null 2>"$WORK/stderr" &
        local pid=$! hwm=0 seen
        while kill -0 "$pid" 2>/dev/null; do
            seen=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
            [[ -n $seen && $seen -gt $hwm ]] && hwm=$seen
            sleep 0.005
        done
        wait "$pid" || true
        clock
        t1=$now
        rss_kb=$hwm
        cpu_ms=0
    fi
    wall_ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')
}
stats() { # numbers on stdin -> "median min max"
    sort -g | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; print m, a[1], a[NR] }'
}
declare -A median low high cpu rss files lines
# measure KEY [--before FUNCTION] COMMAND...: RUNS runs (FUNCTION runs untimed before each).
measure() {
    local key=$1 before=""
    shift
    if [[ $1 == --before ]]; then before=$2; shift 2; fi
    local walls="" rsss="" cpus="" i
    for i in $(seq "$RUNS"); do
        [[ -n $before ]] && "$before" "$i"
        once "$@"
        walls+="$wall_ms"$'\n'
        cpus+="$cpu_ms"$'\n'
        rsss+="$rss_kb"$'\n'
    done
    read -r median[$key] low[$key] high[$key] < <(grep . <<<"$walls" | stats)
    read -r rss[$key] _ _ < <(grep . <<<"$rsss" | stats)
    read -r cpu[$key] _ _ < <(grep . <<<"$cpus" | stats)
    log "$key: median ${median[$key]} ms (${low[$key]}–${high[$key]}), CPU ${cpu[$key]} ms, peak RSS ${rss[$key]} KB"
}
count() { # key, dir: files and lines of Rust
    files[$1]=$(find "$2" -name '*.rs' | wc -l)
    lines[$1]=$(find "$2" -name '*.rs' -print0 | xargs -0 cat | wc -l)
}

check=("$cli" check --no-cache --exit-zero --color never --threads "$THREADS")
floor=("$probe" --mode parse --threads "$THREADS")

# What the timing itself adds to every wall figure: a process that does nothing.
measure harness /bin/true

log "corpus: asyncwise and the parse floor"
count corpus "$corpus/1x"
# One untimed run of each first, so every timed run reads from the page cache.
once "${check[@]}" "$corpus/1x"
once "${floor[@]}" "$corpus/1x"
measure corpus_floor "${floor[@]}" "$corpus/1x"
measure corpus_check "${check[@]}" "$corpus/1x"

log "tokio src/: parse floor, cold, warm cache, warm cache after one edit"
tokio="$WORK/tokio"
if [[ ! -d $tokio ]]; then
    cp -r "$(source_of tokio)" "$tokio"
fi
count tokio "$tokio/src"
edited="$tokio/src/sync/mutex.rs"
cp "$edited" "$WORK/mutex.rs.orig"
tokio_cache="$WORK/tokio-cache"
rm -rf "$tokio_cache"
cached=("$cli" check --cache-dir "$tokio_cache" --exit-zero --color never --threads "$THREADS")
once "${check[@]}" "$tokio/src"
measure tokio_floor "${floor[@]}" "$tokio/src"
measure tokio_check "${check[@]}" "$tokio/src"
# What a user's first run costs: the cache is on by default, so a cold run also writes it.
first_cache="$WORK/tokio-first-cache"
empty_cache() { rm -rf "$first_cache"; }
measure tokio_first --before empty_cache "$cli" check --cache-dir "$first_cache" --exit-zero \
    --color never --threads "$THREADS" "$tokio/src"
once "${cached[@]}" "$tokio/src"
measure tokio_warm "${cached[@]}" "$tokio/src"
edit_one() { # a different edit each run, so each timed run re-analyses the file
    cp "$WORK/mutex.rs.orig" "$edited"
    printf '\n// edit %s\n' "$1" >>"$edited"
}
measure tokio_edit --before edit_one "${cached[@]}" "$tokio/src"
# An appended comment leaves the file's summary as it was, so the stored crate-pass result
# answers. Lines added in the middle move every span after them: the summary changes, and the
# stored result is moved to the new positions (`engine::moved`) instead of the pass running
# again from every file's summary. Run i has i lines at line 400, so each run moves the spans
# one line further than the run before did.
edit_middle() {
    {
        head -n 400 "$WORK/mutex.rs.orig"
        for k in $(seq "$1"); do printf '// edit %s\n' "$k"; done
        tail -n +401 "$WORK/mutex.rs.orig"
    } >"$edited"
}
measure tokio_shift --before edit_middle "${cached[@]}" "$tokio/src"
# Where a warm run after one edit spends its time: the stage marks the binary prints with
# ASYNCWISE_TIMINGS set (milliseconds since the first mark), median over RUNS runs of the time
# from the previous mark (the cache is written on the pool while the crate pass runs, so
# that mark falls among the crate pass's).
stage_log="$WORK/stages"
: >"$stage_log"
for i in $(seq "$RUNS"); do
    edit_one "stage$i"
    ASYNCWISE_TIMINGS=1 "${cached[@]}" "$tokio/src" 2>&1 >/dev/null | awk -v run="$i" '
        /^T / { label = $4; for (f = 5; f <= NF; f++) label = label " " $f;
                n++; printf "%d\t%d\t%s\t%.3f\t%.3f\n", run, n, label, $2 - prev, $2; prev = $2 }' >>"$stage_log"
done
cp "$WORK/mutex.rs.orig" "$edited"

if [[ ${SKIP_CLIPPY:-0} != 1 ]]; then
    log "tokio: cargo clippy (first build of the dependencies may take minutes)"
    clippy=(cargo clippy -q --offline --manifest-path "$tokio/Cargo.toml" --features full --lib)
    (cd "$tokio" && cargo generate-lockfile -q 2>/dev/null || true)
    CARGO_TARGET_DIR="$WORK/tokio-target" "${clippy[@]}" >/dev/null 2>&1 ||
        CARGO_TARGET_DIR="$WORK/tokio-target" cargo clippy -q --manifest-path "$tokio/Cargo.toml" --features full --lib >/dev/null
    touch_lib() { touch "$tokio/src/lib.rs"; }
    export CARGO_TARGET_DIR="$WORK/tokio-target"
    measure tokio_clippy --before touch_lib "${clippy[@]}"
    unset CARGO_TARGET_DIR
fi

log "scaling: 1x, 2x, 4x, 8x"
for n in 1 2 4 8; do
    count "scale$n" "$corpus/${n}x"
    measure "scale$n" "${check[@]}" "$corpus/${n}x"
done

# --- the table --------------------------------------------------------------------------------
row() { # key, label
    local k=$1 lines_key=${3:-$1}
    local l=${lines[$lines_key]:-} f=${files[$lines_key]:-}
    local per_s="" 
    [[ -n $l ]] && per_s=$(awk -v l="$l" -v ms="${median[$k]}" 'BEGIN { printf "%.0f", l / (ms / 1000) }')
    printf '| %s | %s | %s | %s ms | %s–%s ms | %s ms | %s | %s MB |\n' "$2" "$f" "$l" "${median[$k]}" \
        "${low[$k]}" "${high[$k]}" "${cpu[$k]}" "$per_s" "$(awk -v k="${rss[$k]}" 'BEGIN { printf "%.1f", k / 1024 }')"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
{
    echo "Machine: $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), load average before the run: $(cut -d' ' -f1-3 /proc/loadavg); $THREADS threads; $RUNS runs each, median and min–max; $(rustc --version)."
    echo "Corpus: $versions(+ the futures-* crates), Cargo.toml and src/ of each."
    echo
    echo "| what | files | lines | median wall | wall min–max | median CPU | lines/s (wall) | peak RSS |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    row corpus_floor "corpus: parse-only floor" corpus
    row corpus_check "corpus: \`asyncwise check\` (no cache)" corpus
    row tokio_floor "tokio \`src/\`: parse-only floor" tokio
    row tokio_check "tokio \`src/\`: \`asyncwise check\`, cold (no cache)" tokio
    row tokio_first "tokio \`src/\`: \`asyncwise check\`, cold (empty cache, written)" tokio
    row tokio_warm "tokio \`src/\`: \`asyncwise check\`, cache warm, nothing changed" tokio
    row tokio_edit "tokio \`src/\`: \`asyncwise check\`, cache warm, one file edited (comment appended)" tokio
    row tokio_shift "tokio \`src/\`: \`asyncwise check\`, cache warm, one file edited (lines added in its middle: spans move)" tokio
    if [[ -n ${median[tokio_clippy]:-} ]]; then
        row tokio_clippy "tokio: \`cargo clippy --features full --lib\` after touching \`lib.rs\`" tokio
    fi
    for n in 1 2 4 8; do
        row "scale$n" "scaling: corpus ${n}x, \`asyncwise check\`" "scale$n"
    done
    echo
    echo "- cold / parse floor, tokio \`src/\`: **$(ratio "${median[tokio_check]}" "${median[tokio_floor]}")x** wall, $(ratio "${cpu[tokio_check]}" "${cpu[tokio_floor]}")x CPU (goal ≤ 1.3x); corpus: $(ratio "${median[corpus_check]}" "${median[corpus_floor]}")x wall, $(ratio "${cpu[corpus_check]}" "${cpu[corpus_floor]}")x CPU"
    echo "- cold with the cache written (a first run) / parse floor, tokio \`src/\`: $(ratio "${median[tokio_first]}" "${median[tokio_floor]}")x wall, $(ratio "${cpu[tokio_first]}" "${cpu[tokio_floor]}")x CPU"
    if [[ -n ${median[tokio_clippy]:-} ]]; then
        echo "- clippy re-check / asyncwise cold: **$(ratio "${median[tokio_clippy]}" "${median[tokio_check]}")x** wall, $(ratio "${cpu[tokio_clippy]}" "${cpu[tokio_check]}")x CPU (goal ≥ 10x)"
        echo "- clippy re-check / asyncwise warm after one edit: **$(ratio "${median[tokio_clippy]}" "${median[tokio_edit]}")x** wall, $(ratio "${cpu[tokio_clippy]}" "${cpu[tokio_edit]}")x CPU (goal ≥ 100x)"
        echo "- clippy re-check / asyncwise warm after an edit that moves spans: **$(ratio "${median[tokio_clippy]}" "${median[tokio_shift]}")x** wall, $(ratio "${cpu[tokio_clippy]}" "${cpu[tokio_shift]}")x CPU"
        echo "- clippy re-check / asyncwise warm, nothing changed: $(ratio "${median[tokio_clippy]}" "${median[tokio_warm]}")x wall"
    fi
    echo "- timing overhead in every wall figure (\`/bin/true\` timed the same way): ${median[harness]} ms"
    echo "- 8x / 1x corpus: time $(ratio "${median[scale8]}" "${median[scale1]}")x for $(ratio "${lines[scale8]}" "${lines[scale1]}")x the lines; peak RSS **$(ratio "${rss[scale8]}" "${rss[scale1]}")x** (goal ≤ 1.5x)"
    echo
    echo "Stages of a warm run after one edit (tokio \`src/\`, \`ASYNCWISE_TIMINGS=1\`, $RUNS runs): median ms since the previous mark, and median time of the mark since the process's first:"
    echo
    echo "| stage (mark) | ms since previous | at ms |"
    echo "| --- | ---: | ---: |"
    awk -F'\t' '
        function median(list,   n, a, i, j, t) {
            n = split(list, a, " ")
            for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
            return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        { if (!($3 in seen)) { seen[$3] = 1; order[++k] = $3 }
          delta[$3] = delta[$3] " " $4; at[$3] = at[$3] " " $5 }
        END { for (i = 1; i <= k; i++) printf "| %s | %.2f | %.2f |\n", order[i], median(delta[order[i]]), median(at[order[i]]) }' "$stage_log"
} | tee "$OUT"
log "table written to $OUT; scratch directory $WORK"
