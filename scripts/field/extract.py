#!/usr/bin/env python3
"""Write the files asyncwise reads (*.rs, Cargo.toml, .gitignore) of COMMIT from a bare git
directory into DEST, skipping blobs the snapshot lacks (snapshots have no file of 4 MiB or
more), and record the commit in DEST/.field-commit.

usage: extract.py GITDIR COMMIT DEST
"""
import os
import subprocess
import sys

WANTED_NAMES = ("Cargo.toml", ".gitignore")


def wanted(path):
    return path.endswith(".rs") or os.path.basename(path) in WANTED_NAMES


def main():
    gitdir, commit, dest = sys.argv[1:4]
    listing = subprocess.run(["git", "--git-dir", gitdir, "ls-tree", "-r", "-z", commit],
                             capture_output=True, check=True).stdout
    blobs = []
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, raw_path = record.split(b"\t", 1)
        mode, kind, sha = meta.split()
        path = raw_path.decode("utf-8", "surrogateescape")
        # symbolic links are skipped: their target may lie outside the tree
        if kind == b"blob" and mode != b"120000" and wanted(path):
            blobs.append((sha.decode(), path))
    cat = subprocess.Popen(["git", "--git-dir", gitdir, "cat-file", "--batch"],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    missing = 0
    for sha, path in blobs:
        try:
            cat.stdin.write(f"{sha}\n".encode())
            cat.stdin.flush()
        except BrokenPipeError:
            sys.exit(f"{dest}: git cat-file stopped; the tree is incomplete")
        header = cat.stdout.readline().split()
        if not header:
            sys.exit(f"{dest}: git cat-file stopped; the tree is incomplete")
        if len(header) < 3 or header[1] == b"missing":
            missing += 1
            continue
        data = cat.stdout.read(int(header[2]))
        cat.stdout.read(1)  # the newline after each object
        target = os.path.join(dest, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as out:
            out.write(data)
    cat.stdin.close()
    cat.wait()
    with open(os.path.join(dest, ".field-commit"), "w") as out:
        out.write(commit + "\n")
    if missing:
        print(f"{dest}: {missing} of {len(blobs)} files missing in the snapshot", file=sys.stderr)


if __name__ == "__main__":
    main()
