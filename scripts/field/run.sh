#!/usr/bin/env bash
# Field measurement: extract each repository of repos.tsv at its pinned commit (from the
# snapshots `fetch` put under /work/.mirror) and run an asyncwise binary over it.
#
# usage: scripts/field/run.sh BINARY OUT_DIR [extra `asyncwise check` args...]
#   e.g. scripts/field/run.sh target/release/asyncwise /work/field-out/base
#        scripts/field/run.sh /work/field-signal/target/release/asyncwise /work/field-out/all --all-targets --select all
# env: FIELD_LIST (repository list, default repos.tsv beside this script; second-set.tsv is the
#      second set), FIELD_REPOS (work trees, default /work/field-repos), FIELD_MIRROR (default
#      /work/.mirror)
# The fetched code never enters this repository: work trees and JSON live outside it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(realpath "$1")"; out="$(realpath -m "$2")"; shift 2
repos_dir="${FIELD_REPOS:-/work/field-repos}"
mirror="${FIELD_MIRROR:-/work/.mirror}"
mkdir -p "$repos_dir" "$out"
list="${FIELD_LIST:-$here/repos.tsv}"
tail -n +2 "$list" | while IFS=$'\t' read -r name slug commit; do
  tree="$repos_dir/$name"
  if [ ! -f "$tree/.field-commit" ] || [ "$(cat "$tree/.field-commit")" != "$commit" ]; then
    gitdir="$mirror/${slug/\//+}/repo"
    if [ ! -d "$gitdir" ]; then echo "missing snapshot for $slug: fetch github:$slug first" >&2; exit 2; fi
    rm -rf "$tree"; mkdir -p "$tree"
    # only what the analyzer reads, blob by blob: snapshots lack files of 4 MiB and more, and
    # `git archive` stops at the first missing blob even when a pathspec excludes it
    python3 "$here/extract.py" "$gitdir" "$commit" "$tree"
  fi
  start=$(date +%s.%N)
  # exit code 1 means findings; 2 means some file could not be checked (still reported)
  (cd "$tree" && "$bin" check --format json "$@" . > "$out/$name.json") || true
  end=$(date +%s.%N)
  printf '%s\t%.1fs\n' "$name" "$(echo "$end - $start" | bc)"
done
