#!/usr/bin/env python3
"""Field measurement report for asyncwise (python3 standard library only).

Findings are read from a run directory written by scripts/field/run.sh (one JSON document per
repository, named NAME.json, paths relative to the repository root). A finding is keyed by
(repo, path, line, rule).

Sub-commands:
  counts RUN_DIR [RUN_DIR2]      findings per rule and per repository (side by side for two runs)
  sample RUN_DIR [--total 120] [--min-per-rule 20] [--seed 7] [--repos DIR]
                                 stratified sample, printed as a labels.tsv skeleton with a
                                 guessed in_test column (verify it by reading the code);
                                 with --census-outside-tests LABELS_TSV: every finding outside
                                 test code not yet labelled (what a default run would show)
  show RUN_DIR KEYS_TSV [--repos DIR] [--context 12]
                                 print the code around each sampled finding, for labelling
  score RUN_DIR LABELS_TSV [--after RUN_DIR2] [--new-out TSV] [--count-grouped-repeats]
                                 per-rule share worth acting on; with --after, which labelled
                                 findings the second run still reports, its new findings (labels
                                 for them live in the same file) and the figures over both, and
                                 how many labelled act findings it folds into the notes of a
                                 grouped finding; --count-grouped-repeats counts those notes as
                                 findings at their own lines (as runs before grouping did)

  misses MISSES_TSV RUN_DIR... [--count-grouped-repeats]
                                 which known misses each run reports (a finding of the same
                                 rule whose span covers the miss's line; with the option, also a
                                 repeat at that line that a grouped finding carries as a note)

labels.tsv columns: repo, path, line, rule, label (act|noise|wrong), in_test (yes|no), reason.
  act   - an experienced async engineer would change the code
  noise - meets the rule's definition, but nobody would change it (the reason says why)
  wrong - does not meet the rule's definition (an analyzer bug; the reason names the pattern)
"""

import argparse
import collections
import json
import os
import random
import re
import sys

LABELS = ("act", "noise", "wrong")


# A finding that stands for its rule's repeats in one function, or for the calls of one blocking
# helper from several async functions (asyncwise groups them: one finding per fix), ends its
# message so; its last N notes are the repeats, each at its own line (and file).
GROUPED = re.compile(r"\(and (\d+) more .+ (?:in|of) `[^`]+`(?: from async code)?\)$")


def grouped_repeats(repo, diagnostic):
    """The keys of the repeats a grouped finding carries as notes (none for other findings)."""
    match = GROUPED.search(diagnostic.get("message", ""))
    if not match:
        return []
    count = int(match.group(1))
    notes = [n for n in diagnostic.get("notes", []) if n.get("line") is not None][-count:]
    keys = []
    for note in notes:
        path = note.get("path") or diagnostic["path"]
        if path.startswith("./"):
            path = path[2:]
        keys.append((repo, path, int(note["line"]), diagnostic["rule"]))
    return keys


def load_run(run_dir, repeats=False):
    """Return {key: diagnostic} for every finding of a run directory.

    With `repeats`, the repeats a grouped finding carries as notes count as findings at their
    own lines too (each maps to a copy of the grouped finding, marked `"repeat_of"`)."""
    findings = {}
    for name in sorted(os.listdir(run_dir)):
        if not name.endswith(".json"):
            continue
        repo = name[: -len(".json")]
        with open(os.path.join(run_dir, name), encoding="utf-8") as handle:
            document = json.load(handle)
        for diagnostic in document.get("diagnostics", []):
            path = diagnostic["path"]
            if path.startswith("./"):
                path = path[2:]
            key = (repo, path, int(diagnostic["line"]), diagnostic["rule"])
            findings[key] = diagnostic
            if repeats:
                for repeat in grouped_repeats(repo, diagnostic):
                    findings.setdefault(repeat, dict(diagnostic, line=repeat[2],
                                                     end_line=repeat[2], repeat_of=key))
    return findings


def repeat_keys(run_dir):
    """Every repeat key that a run's grouped findings carry as notes."""
    keys = set()
    for name in sorted(os.listdir(run_dir)):
        if name.endswith(".json"):
            with open(os.path.join(run_dir, name), encoding="utf-8") as handle:
                document = json.load(handle)
            for diagnostic in document.get("diagnostics", []):
                keys.update(grouped_repeats(name[: -len(".json")], diagnostic))
    return keys


def load_labels(path):
    labels = {}
    with open(path, encoding="utf-8") as handle:
        for number, raw in enumerate(handle, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.startswith("#") or line.startswith("repo\t"):
                continue
            cells = line.split("\t")
            if len(cells) < 7:
                sys.exit(f"{path}:{number}: expected 7 tab-separated columns, got {len(cells)}")
            repo, file_path, line_no, rule, label, in_test, reason = cells[:7]
            if label not in LABELS:
                sys.exit(f"{path}:{number}: label must be one of {LABELS}, got {label!r}")
            if in_test not in ("yes", "no"):
                sys.exit(f"{path}:{number}: in_test must be yes or no, got {in_test!r}")
            labels[(repo, file_path, int(line_no), rule)] = (label, in_test == "yes", reason)
    return labels


def table(rows, header):
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    out = ["| " + " | ".join(str(h).ljust(w) for h, w in zip(header, widths)) + " |"]
    out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        out.append("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths)) + " |")
    return "\n".join(out)


def share(part, whole):
    return f"{part}/{whole} ({100.0 * part / whole:.0f}%)" if whole else "-"


# ---------------------------------------------------------------- counts

def cmd_counts(args):
    runs = [load_run(d) for d in args.run_dirs]
    rules = sorted({k[3] for run in runs for k in run})
    repos = sorted({k[0] for run in runs for k in run})
    header = ["rule"] + [f"run {i + 1}" for i in range(len(runs))]
    rows = []
    for rule in rules:
        rows.append([rule] + [sum(1 for k in run if k[3] == rule) for run in runs])
    rows.append(["total"] + [len(run) for run in runs])
    print(table(rows, header))
    print()
    header = ["repo"] + rules
    rows = []
    for repo in repos:
        cells = []
        for rule in rules:
            counts = [sum(1 for k in run if k[0] == repo and k[3] == rule) for run in runs]
            cells.append(" -> ".join(map(str, counts)))
        rows.append([repo] + cells)
    print(table(rows, header))


# ---------------------------------------------------------------- sampling

TEST_ATTR = re.compile(r"#\[\s*(?:[\w:]+::)?(?:test|rstest|test_case)\b|#\[cfg\((?:all\(|any\()?\s*test\b")
TEST_DIR = re.compile(r"(^|/)(tests|benches|examples|test-utils|testing)(/|$)")


def guess_in_test(repos_dir, repo, path, line):
    """A first guess at whether a finding is in test code; labels are checked by hand."""
    if TEST_DIR.search(path) or path.endswith("_test.rs") or path.endswith("/tests.rs"):
        return True
    try:
        with open(os.path.join(repos_dir, repo, path), encoding="utf-8") as handle:
            lines = handle.read().split("\n")[:line]
    except OSError:
        return False
    # walk out through the enclosing items (each less indented than everything below it) and
    # look at the attributes right above each one
    if not lines:
        return False
    target = lines[-1]
    current = len(target) - len(target.lstrip())
    index = len(lines) - 2
    while index >= 0 and current > 0:
        text = lines[index]
        stripped = text.lstrip()
        indent = len(text) - len(stripped)
        if stripped and not stripped.startswith(("//", "#[", "}", ")", "]")) and indent < current:
            current = indent
            above = index - 1
            while above >= 0 and lines[above].lstrip().startswith(("#[", "///", "//")):
                # attributes only: doc comments may mention `#[test]` in prose
                if lines[above].lstrip().startswith("#[") and TEST_ATTR.search(lines[above]):
                    return True
                above -= 1
        index -= 1
    return False


def cmd_sample(args):
    findings = load_run(args.run_dir)
    by_rule = collections.defaultdict(list)
    for key in sorted(findings):
        by_rule[key[3]].append(key)
    total = sum(len(v) for v in by_rule.values())
    floor_total = sum(min(len(v), args.min_per_rule) for v in by_rule.values())
    extra = max(0, args.total - floor_total)
    rng = random.Random(args.seed)
    chosen = []
    for rule in sorted(by_rule):
        keys = by_rule[rule]
        size = min(len(keys), args.min_per_rule + round(extra * len(keys) / total))
        chosen.extend(sorted(rng.sample(keys, size)))
    if args.census_outside_tests:
        # the census: every finding outside test code (by the guess) not yet labelled
        labelled = load_labels(args.census_outside_tests)
        chosen = [k for k in sorted(findings) if k not in labelled
                  and not guess_in_test(args.repos, *k[:3])]
    print("repo\tpath\tline\trule\tlabel\tin_test\treason")
    for repo, path, line, rule in chosen:
        guess = "yes" if guess_in_test(args.repos, repo, path, line) else "no"
        print(f"{repo}\t{path}\t{line}\t{rule}\t?\t{guess}\t")
    sizes = collections.Counter(k[3] for k in chosen)
    print(f"# listed {len(chosen)} of {total}: " + ", ".join(
        f"{r} {sizes[r]}/{len(by_rule[r])}" for r in sorted(by_rule)), file=sys.stderr)


def cmd_show(args):
    findings = load_run(args.run_dir)
    with open(args.keys, encoding="utf-8") as handle:
        for raw in handle:
            cells = raw.rstrip("\n").split("\t")
            if len(cells) < 4 or cells[0] == "repo" or raw.startswith("#"):
                continue
            key = (cells[0], cells[1], int(cells[2]), cells[3])
            diagnostic = findings.get(key)
            print("=" * 100)
            print("\t".join(cells[:4]))
            if diagnostic:
                print("  " + diagnostic["message"])
                for note in diagnostic.get("notes", []):
                    print(f"  note: {note['message']} (line {note.get('line')})")
            try:
                with open(os.path.join(args.repos, key[0], key[1]), encoding="utf-8") as src:
                    lines = src.read().split("\n")
            except OSError as error:
                print(f"  (cannot read: {error})")
                continue
            lo = max(0, key[2] - 1 - args.context)
            hi = min(len(lines), key[2] + args.context)
            for number in range(lo, hi):
                mark = ">>" if number + 1 == key[2] else "  "
                print(f"{mark}{number + 1:5} {lines[number]}")


# ---------------------------------------------------------------- scoring

def estimated_act_share(labels, findings, repos_dir):
    """Share worth acting on over all findings of a run, estimated per stratum (rule, in test).

    The labelled set mixes a stratified sample with a census of the findings outside test code,
    so each stratum's labelled share is weighted by how many findings the run has in it. A
    finding's stratum comes from its label, or from the path/attribute guess when unlabelled.
    Returns (estimate, number of findings in strata with no labels).
    """
    population = collections.Counter()
    for key in findings:
        in_test = labels[key][1] if key in labels else guess_in_test(repos_dir, *key[:3])
        population[(key[3], in_test)] += 1
    labelled = collections.defaultdict(list)
    for key, value in labels.items():
        labelled[(key[3], value[1])].append(value[0])
    acted, unlabelled = 0.0, 0
    for stratum, count in population.items():
        values = labelled.get(stratum)
        if not values:
            unlabelled += count
            continue
        acted += count * values.count("act") / len(values)
    total = sum(population.values()) - unlabelled
    return (acted / total if total else None), unlabelled


def score_block(title, labels, findings, repos_dir):
    print(f"### {title}\n")
    by_rule = collections.defaultdict(list)
    for key, value in labels.items():
        by_rule[key[3]].append(value)
    population = collections.Counter(k[3] for k in findings)
    rows = []
    for rule in sorted(by_rule):
        values = by_rule[rule]
        counts = collections.Counter(v[0] for v in values)
        in_test = sum(1 for v in values if v[1])
        outside = [v for v in values if not v[1]]
        rows.append([
            rule, population.get(rule, 0), len(values), counts["act"], counts["noise"],
            counts["wrong"], in_test, share(counts["act"], len(values)),
            share(sum(1 for v in outside if v[0] == "act"), len(outside)),
            share(counts["act"] + counts["noise"], len(values)),
        ])
    values = list(labels.values())
    counts = collections.Counter(v[0] for v in values)
    outside = [v for v in values if not v[1]]
    rows.append([
        "all", len(findings), len(values), counts["act"], counts["noise"], counts["wrong"],
        sum(1 for v in values if v[1]), share(counts["act"], len(values)),
        share(sum(1 for v in outside if v[0] == "act"), len(outside)),
        share(counts["act"] + counts["noise"], len(values)),
    ])
    print(table(rows, ["rule", "findings", "labelled", "act", "noise", "wrong", "in test",
                       "act share", "act share outside tests", "meets definition"]))
    estimate, unlabelled = estimated_act_share(labels, findings, repos_dir)
    if estimate is not None:
        note = f" ({unlabelled} findings in strata without labels left out)" if unlabelled else ""
        print(f"\nestimated act share over all {len(findings)} findings, weighted per "
              f"(rule, in test) stratum: {100 * estimate:.0f}%{note}")
    print()


NEARBY_LINES = 2


def match_runs(before, after):
    """Map each finding of `before` that `after` still reports to its key in `after`.

    An exact key match wins; otherwise the closest unmatched finding of the same repo, path and
    rule within NEARBY_LINES lines (a changed analyzer may anchor a finding on another line).
    """
    still = {k: k for k in before if k in after}
    taken = set(still.values())
    by_file = collections.defaultdict(list)
    for key in after:
        if key not in taken:
            by_file[(key[0], key[1], key[3])].append(key)
    for key in sorted(k for k in before if k not in still):
        candidates = [c for c in by_file.get((key[0], key[1], key[3]), ())
                      if c not in taken and abs(c[2] - key[2]) <= NEARBY_LINES]
        if candidates:
            best = min(candidates, key=lambda c: abs(c[2] - key[2]))
            still[key] = best
            taken.add(best)
    return still


def cmd_score(args):
    before = load_run(args.run_dir, args.count_grouped_repeats)
    all_labels = load_labels(args.labels)
    after_run = load_run(args.after, args.count_grouped_repeats) if args.after else {}
    # labels of findings the first run lacks belong to findings new in the second run
    stray = [k for k in all_labels if k not in before and k not in after_run]
    if stray:
        print(f"warning: {len(stray)} labelled findings are in neither run:", file=sys.stderr)
        for key in stray[:10]:
            print("  " + "\t".join(map(str, key)), file=sys.stderr)
    labels = {k: v for k, v in all_labels.items() if k in before}
    score_block(f"labelled findings, run {args.run_dir}", labels, before, args.repos)
    if not args.after:
        return
    still = match_runs(before, after_run)
    moved = sum(1 for k, v in still.items() if k != v)
    if moved:
        print(f"note: {moved} findings of the first run matched a finding of the second run on a "
              f"nearby line (same repo, path and rule, within {NEARBY_LINES} lines)\n")
    matched = set(still.values())
    new_keys = sorted(k for k in after_run if k not in matched)
    new_labels = {k: all_labels[k] for k in new_keys if k in all_labels}
    # `after` holds the first run's keys that the second run still reports
    after = set(still)
    kept = {k: v for k, v in labels.items() if k in after}
    # the second run's findings, named by their first-run key where they have one
    back = {v: k for k, v in still.items()}
    score_block(f"labelled findings reported by {args.after} (still reported and new)",
                kept | new_labels, {back.get(k, k): None for k in after_run}, args.repos)
    rows = []
    for rule in sorted({k[3] for k in labels} | {k[3] for k in new_keys}) + ["all"]:
        def of_rule(keys):
            return [k for k in keys if rule == "all" or k[3] == rule]
        subset = {k: labels[k] for k in of_rule(labels)}
        acts = [k for k, v in subset.items() if v[0] == "act"]
        defined = [k for k, v in subset.items() if v[0] != "wrong"]
        kept_subset = [k for k in subset if k in after]
        new_subset = of_rule(new_keys)
        new_labelled = {k: new_labels[k] for k in new_subset if k in new_labels}
        reported = [subset[k] for k in kept_subset] + list(new_labelled.values())
        rows.append([
            rule, len(subset), len(kept_subset),
            f"{len(new_labelled)}/{len(new_subset)}",
            share(sum(1 for v in new_labelled.values() if v[0] == "act"), len(new_labelled)),
            share(sum(1 for v in reported if v[0] == "act"), len(reported)),
            share(sum(1 for k in acts if k in after), len(acts)),
            share(sum(1 for k in defined if k in after), len(defined)),
            share(sum(1 for k, v in subset.items() if v[0] == "wrong" and k not in after),
                  sum(1 for v in subset.values() if v[0] == "wrong")),
        ])
    print("### before/after over the labelled findings\n")
    print(table(rows, ["rule", "labelled in run 1", "still reported", "new (labelled/all)",
                       "act share of new", "act share of labelled reported",
                       "act findings still reported", "meets-definition still reported",
                       "wrong ones dropped"]))
    print()
    dropped_acts = [k for k, v in labels.items() if v[0] == "act" and k not in after]
    # A labelled finding that the second run folds into a grouped finding's notes is still
    # shown at its line, as a note: told apart from one that is gone.
    repeats = repeat_keys(args.after)
    folded = [k for k in dropped_acts
              if any(r[:2] == k[:2] and r[3] == k[3] and abs(r[2] - k[2]) <= NEARBY_LINES
                     for r in repeats)]
    if dropped_acts:
        print("act findings no longer reported:")
        for key in dropped_acts:
            how = " (a note of a grouped finding)" if key in folded else ""
            print("  " + "\t".join(map(str, key)) + "\t" + labels[key][2] + how)
        print()
    if repeats:
        print(f"act findings folded into the notes of a grouped finding: {len(folded)}; "
              f"not reported at all: {len(dropped_acts) - len(folded)} "
              f"(of {sum(1 for v in labels.values() if v[0] == 'act')} labelled act); "
              f"repeats carried as notes in the second run: {len(repeats)}\n")
    kept_noise = [k for k, v in kept.items() if v[0] != "act"]
    if kept_noise and args.verbose:
        print("noise/wrong findings still reported:")
        for key in kept_noise:
            print("  " + "\t".join(map(str, key)) + f"\t{labels[key][0]}\t{labels[key][2]}")
        print()
    unlabelled = [k for k in new_keys if k not in new_labels]
    if unlabelled:
        counts = collections.Counter(k[3] for k in unlabelled)
        print("new findings of the second run without a label: " +
              ", ".join(f"{r} {n}" for r, n in sorted(counts.items())))
    if args.new_out:
        with open(args.new_out, "w", encoding="utf-8") as out:
            out.write("repo\tpath\tline\trule\tlabel\tin_test\treason\n")
            for repo, path, line, rule in unlabelled:
                guess = "yes" if guess_in_test(args.repos, repo, path, line) else "no"
                out.write(f"{repo}\t{path}\t{line}\t{rule}\t?\t{guess}\t\n")


def cmd_misses(args):
    """Which known misses (problems a run should report) each run reports."""
    misses = []
    with open(args.misses, encoding="utf-8") as handle:
        for raw in handle:
            cells = raw.rstrip("\n").split("\t")
            if len(cells) < 6 or cells[0] == "repo" or raw.startswith("#"):
                continue
            misses.append(((cells[0], cells[1], int(cells[2]), cells[3]), cells[4], cells[5]))
    runs = [(d, load_run(d, args.count_grouped_repeats)) for d in args.run_dirs]
    rows = []
    for key, label, shape in misses:
        cells = [f"{key[0]} {key[1]}:{key[2]}", shape, label]
        for _, findings in runs:
            # found when a finding of that rule spans the miss's line (a call may start on an
            # earlier line than the method that blocks)
            found = any(k[0] == key[0] and k[1] == key[1] and k[3] == key[3]
                        and k[2] <= key[2] <= int(d.get("end_line") or k[2])
                        for k, d in findings.items())
            cells.append("found" if found else "-")
        rows.append(cells)
    totals = ["found", "", ""]
    for index in range(len(runs)):
        found = [r for r in rows if r[3 + index] == "found"]
        acts = [r for r in rows if r[2] == "act"]
        totals.append(f"{len(found)}/{len(rows)} (act {sum(1 for r in found if r[2] == 'act')}/{len(acts)})")
    rows.append(totals)
    print(table(rows, ["miss", "shape", "label"] + [f"run {i + 1}" for i in range(len(runs))]))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("counts")
    p.add_argument("run_dirs", nargs="+")
    p.set_defaults(func=cmd_counts)
    p = sub.add_parser("sample")
    p.add_argument("run_dir")
    p.add_argument("--total", type=int, default=120)
    p.add_argument("--min-per-rule", type=int, default=20)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--repos", default="/work/field-repos")
    p.add_argument("--census-outside-tests", metavar="LABELS_TSV",
                   help="instead of sampling, list every finding outside test code not in LABELS_TSV")
    p.set_defaults(func=cmd_sample)
    p = sub.add_parser("show")
    p.add_argument("run_dir")
    p.add_argument("keys")
    p.add_argument("--repos", default="/work/field-repos")
    p.add_argument("--context", type=int, default=12)
    p.set_defaults(func=cmd_show)
    p = sub.add_parser("score")
    p.add_argument("run_dir")
    p.add_argument("labels")
    p.add_argument("--after")
    p.add_argument("--new-out", metavar="TSV",
                   help="with --after: write the second run's new findings that have no label yet, "
                        "as a labels.tsv skeleton")
    p.add_argument("--count-grouped-repeats", action="store_true",
                   help="count the repeats a grouped finding carries as notes (asyncwise reports "
                        "a rule's repeats in one function as one finding) as findings at their "
                        "own lines; by default only findings count")
    p.add_argument("-v", "--verbose", action="store_true")
    p.add_argument("--repos", default="/work/field-repos")
    p.set_defaults(func=cmd_score)
    p = sub.add_parser("misses")
    p.add_argument("misses", help="misses.tsv: repo, path, line, rule, label, shape, reason")
    p.add_argument("run_dirs", nargs="+")
    p.add_argument("--count-grouped-repeats", action="store_true",
                   help="a repeat a grouped finding carries as a note, at the miss's line, finds it")
    p.set_defaults(func=cmd_misses)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
