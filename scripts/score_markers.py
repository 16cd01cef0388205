#!/usr/bin/env python3
"""Score an asyncwise binary against `//~ rule` markers in a labelled corpus.

A marker `//~ rule_a, rule_b` at the end of a line (in `.rs` files; in `Cargo.toml` as
`# //~ rule`) says that a finding of each named rule must start on that line. Every finding on
a line without its marker is a false positive; every marker without its finding is a false
negative. Matching is on (file, line, rule).

Two optional annotations (used by `tests/corpus-helpers/`; a set without them scores as before):

- `//~? rule_a, rule_b` marks a line whose verdict the definitions leave open: a finding of a
  named rule there is neither a true nor a false positive, and its absence is no miss. Such
  lines are listed separately ("ambiguous") with what the binary did.
- `@helper` anywhere in the line's comment (`helper(); // @helper //~ blocking_in_async`, or
  `// @helper` alone on a call that must stay quiet) puts the line in the category "blocking
  reached through a helper", scored on its own for `blocking_in_async`. A `blocking_in_async`
  finding on an untagged line also counts in that category when its message names a chain of
  calls (`a -> b -> std::fs::copy`), so that false positives through helpers are not hidden.

Usage:
    scripts/score_markers.py BINARY CORPUS_DIR [--verbose]

The binary is run as a user would, twice: once over the whole corpus directory
(`check --all-targets --select all --format json .` from CORPUS_DIR) and once inside each
package (every directory holding a Cargo.toml with a `[package]` table, `check ... .` from
there). The score is taken from the whole-directory run; findings that only one of the two
modes reports are listed so that the difference is visible. Standard library only.

The corpus is copied to a temporary directory first and checked there: inside this repository
the workspace's `[workspace.metadata.asyncwise] exclude` list leaves the corpus out (it must
not count against the repository's own check), and a user's code is not inside asyncwise's
workspace either.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict

NEW_RULES = [
    "sequential_await",
    "select_cancel_unsafe",
    "async_mutex_unneeded",
    "cleanup_after_await",
    "inline_accept_loop",
    "retry_without_backoff",
    "mixed_runtimes",
]
OLD_RULES = [
    "blocking_in_async",
    "block_on_in_async",
    "lock_across_await",
    "unbounded_channel",
    "unbounded_spawn",
    "detached_task",
]
# A rule name, optionally `(pedantic)`: the finding is expected in the rule's pedantic form
# (off by default), as `tests/support/mod.rs` reads it.
NAME = r"[a-z_][a-z0-9_]*(?:\(pedantic\))?"
MARKER = re.compile(r"//~\s*(" + NAME + r"(?:\s*,\s*" + NAME + r")*)\s*$")
AMBIGUOUS = re.compile(r"//~\?\s*(" + NAME + r"(?:\s*,\s*" + NAME + r")*)\s*$")
PEDANTIC = "(pedantic)"
HELPER_TAG = re.compile(r"//.*@helper\b")
HELPER_RULE = "blocking_in_async"


def labelled_files(corpus):
    for root, dirs, files in os.walk(corpus):
        dirs[:] = sorted(d for d in dirs if d not in ("target", ".git"))
        for name in sorted(files):
            if name.endswith(".rs") or name == "Cargo.toml":
                yield os.path.join(root, name)


PEDANTIC_MARKERS = set()


def read_markers(corpus):
    """Returns (expected, ambiguous, helper_lines): sets of (file, line, rule) and (file, line).

    Markers written `rule(pedantic)` are also recorded in PEDANTIC_MARKERS (without the suffix
    in the key), for `--default-run`."""
    expected, ambiguous, helper_lines = set(), set(), set()
    for path in labelled_files(corpus):
        rel = os.path.relpath(path, corpus)
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, start=1):
                text = line.rstrip("\n")
                m = MARKER.search(text)
                if m:
                    for rule in m.group(1).split(","):
                        rule = rule.strip()
                        if rule.endswith(PEDANTIC):
                            rule = rule[: -len(PEDANTIC)]
                            PEDANTIC_MARKERS.add((rel, lineno, rule))
                        expected.add((rel, lineno, rule))
                a = AMBIGUOUS.search(text)
                if a:
                    for rule in a.group(1).split(","):
                        rule = rule.strip()
                        if rule.endswith(PEDANTIC):
                            rule = rule[: -len(PEDANTIC)]
                        ambiguous.add((rel, lineno, rule))
                if HELPER_TAG.search(text):
                    helper_lines.add((rel, lineno))
    return expected, ambiguous, helper_lines


# `--default-run`: check as a user does without flags (library and binary code, default levels
# and forms); markers in pedantic form and markers in `tests/` directories are then not expected.
DEFAULT_RUN = False


def run_check(binary, cwd):
    if DEFAULT_RUN:
        cmd = [binary, "check", "--format", "json", "--exit-zero", "."]
    else:
        cmd = [binary, "check", "--all-targets", "--select", "all", "--format", "json", "--exit-zero", "."]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if not proc.stdout.strip():
        sys.exit(f"no JSON from {' '.join(cmd)} in {cwd} (exit {proc.returncode}): {proc.stderr.strip()}")
    doc = json.loads(proc.stdout)
    return doc.get("diagnostics", []), doc.get("errors", []), doc.get("files_checked")


def rules_on_by_default(binary):
    """The rules whose default level is not `allow`, from `asyncwise rules` (name, group, level)."""
    proc = subprocess.run([binary, "rules"], capture_output=True, text=True, check=True)
    return {
        parts[0]
        for parts in (line.split() for line in proc.stdout.splitlines())
        if len(parts) >= 3 and parts[2] in ("warn", "deny")
    }


def findings_of(diagnostics, cwd, corpus):
    found = {}
    for d in diagnostics:
        path = d["path"]
        if not os.path.isabs(path):
            path = os.path.join(cwd, path)
        rel = os.path.relpath(os.path.normpath(path), corpus)
        found[(rel, d["line"], d["rule"])] = d.get("form", "")
        if " -> " in d.get("message", ""):
            CHAINED.add((rel, d["line"], d["rule"]))
        # One finding per fix: the repeats of a rule in one function (or the other calls of one
        # helper) are its last N notes with a line; each is a finding at its own line.
        grouped = GROUPED.search(d.get("message", ""))
        if grouped:
            placed = [n for n in d.get("notes", []) if n.get("line") is not None]
            for note in placed[-int(grouped.group(1)):]:
                note_path = note.get("path") or d["path"]
                if not os.path.isabs(note_path):
                    note_path = os.path.join(cwd, note_path)
                note_rel = os.path.relpath(os.path.normpath(note_path), corpus)
                found.setdefault((note_rel, note["line"], d["rule"]), d.get("form", ""))
    return found


# A finding that stands for its rule's repeats in one function ends its message so.
# Also the calls of one blocking helper from several async functions: "(and 2 more calls of
# `Runner::execute` from async code)".
GROUPED = re.compile(r"\(and (\d+) more (?:.+ in `[^`]+`|calls? of `[^`]+` from async code)\)$")


# Findings whose message names a chain of calls (blocking reached through a helper).
CHAINED = set()


def package_dirs(corpus):
    for path in labelled_files(corpus):
        if os.path.basename(path) == "Cargo.toml":
            with open(path, encoding="utf-8") as f:
                if re.search(r"^\[package\]", f.read(), re.M):
                    yield os.path.dirname(path)


def ratio(a, b):
    return a / b if b else float("nan")


def table(expected, found, rules):
    print(f"{'rule':24} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>10} {'recall':>7}")
    totals = [0, 0, 0]
    for group_name, group in rules:
        sums = [0, 0, 0]
        for rule in group:
            exp = {k for k in expected if k[2] == rule}
            got = {k for k in found if k[2] == rule}
            tp, fp, fn = len(exp & got), len(got - exp), len(exp - got)
            sums = [sums[0] + tp, sums[1] + fp, sums[2] + fn]
            print(f"{rule:24} {tp:4} {fp:4} {fn:4} {ratio(tp, tp + fp):10.3f} {ratio(tp, tp + fn):7.3f}")
        tp, fp, fn = sums
        print(f"{'= ' + group_name:24} {tp:4} {fp:4} {fn:4} {ratio(tp, tp + fp):10.3f} {ratio(tp, tp + fn):7.3f}")
        totals = [t + s for t, s in zip(totals, sums)]
    tp, fp, fn = totals
    print(f"{'= all rules':24} {tp:4} {fp:4} {fn:4} {ratio(tp, tp + fp):10.3f} {ratio(tp, tp + fn):7.3f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("binary")
    ap.add_argument("corpus")
    ap.add_argument("--verbose", action="store_true", help="also list true positives")
    ap.add_argument(
        "--default-run",
        action="store_true",
        help="check without flags; expect only markers of rules on by default, not in pedantic form, not under tests/",
    )
    args = ap.parse_args()
    global DEFAULT_RUN
    DEFAULT_RUN = args.default_run
    binary = os.path.abspath(args.binary)
    source = os.path.abspath(args.corpus)
    scratch = tempfile.mkdtemp(prefix="score-markers-")
    corpus = os.path.join(scratch, os.path.basename(source))
    shutil.copytree(source, corpus, ignore=shutil.ignore_patterns("target", ".git"))
    try:
        score(binary, corpus, args.verbose)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def helper_table(expected, found, helper_lines, ambiguous):
    def in_category(key):
        return key[2] == HELPER_RULE and ((key[0], key[1]) in helper_lines or key in CHAINED)

    exp = {k for k in expected if in_category(k)}
    got = {k for k in found if in_category(k)}
    tp, fp, fn = len(exp & got), len(got - exp), len(exp - got)
    print(f"{'helper-reached blocking':24} {tp:4} {fp:4} {fn:4} {ratio(tp, tp + fp):10.3f} {ratio(tp, tp + fn):7.3f}")
    direct_exp = {k for k in expected if k[2] == HELPER_RULE} - exp
    direct_got = {k for k in found if k[2] == HELPER_RULE} - got
    tp, fp, fn = len(direct_exp & direct_got), len(direct_got - direct_exp), len(direct_exp - direct_got)
    print(f"{'direct blocking':24} {tp:4} {fp:4} {fn:4} {ratio(tp, tp + fp):10.3f} {ratio(tp, tp + fn):7.3f}")
    open_lines = {(k[0], k[1]) for k in ambiguous}
    quiet = len({k for k in helper_lines if (k[0], k[1], HELPER_RULE) not in expected} - open_lines)
    print(f"(helper-tagged lines: {len(exp)} expected to fire, {quiet} written to stay quiet)")


def score(binary, corpus, verbose):
    expected, ambiguous, helper_lines = read_markers(corpus)
    if DEFAULT_RUN:
        on = rules_on_by_default(binary)
        expected = {
            k
            for k in expected
            if k[2] in on
            and k not in PEDANTIC_MARKERS
            and "tests" not in k[0].split(os.sep)[:-1]
        }
    diagnostics, errors, checked = run_check(binary, corpus)
    found = findings_of(diagnostics, corpus, corpus)
    ambiguous_found = {k: found.pop(k) for k in list(found) if k in ambiguous}
    expected -= ambiguous
    print(
        f"markers: {len(expected)}  findings: {len(found)}  files checked: {checked}"
        + (f"  ambiguous (line, rule) pairs: {len(ambiguous)}" if ambiguous else "")
    )
    for e in errors:
        print(f"ERROR (file not checked): {e}")

    per_package = {}
    for pkg in package_dirs(corpus):
        diags, errs, _ = run_check(binary, pkg)
        per_package.update(
            {k: v for k, v in findings_of(diags, pkg, corpus).items() if k not in ambiguous}
        )
        for e in errs:
            print(f"ERROR in package run {os.path.relpath(pkg, corpus)}: {e}")

    known = set(NEW_RULES + OLD_RULES)
    unknown = sorted({k[2] for k in expected} - known)
    if unknown:
        print(f"markers name unknown rules: {unknown}")
    print()
    table(expected, found, [("new rules", NEW_RULES), ("older rules", OLD_RULES)])
    if helper_lines or CHAINED:
        print()
        helper_table(expected, found, helper_lines, ambiguous)
    print()
    for key in sorted(set(found) - expected):
        print(f"FP {key[0]}:{key[1]} {key[2]} ({found[key]})")
    for key in sorted(expected - set(found)):
        print(f"FN {key[0]}:{key[1]} {key[2]}")
    for key in sorted(ambiguous):
        verdict = "reported" if key in ambiguous_found else "not reported"
        print(f"AMBIGUOUS {key[0]}:{key[1]} {key[2]}: {verdict}")
    if verbose:
        for key in sorted(expected & set(found)):
            print(f"TP {key[0]}:{key[1]} {key[2]} ({found[key]})")
    only_tree = sorted(set(found) - set(per_package))
    only_pkg = sorted(set(per_package) - set(found))
    if only_tree or only_pkg:
        print("\nwhole-directory run vs. per-package runs:")
        for key in only_tree:
            print(f"  only whole-directory: {key[0]}:{key[1]} {key[2]}")
        for key in only_pkg:
            print(f"  only per-package:     {key[0]}:{key[1]} {key[2]}")


if __name__ == "__main__":
    main()
