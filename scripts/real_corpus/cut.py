#!/usr/bin/env python3
"""Cuts the real-world corpus's patches from fetched mirrors.

Reads tests/real_corpus/cases.toml, pass3.toml, pass4.toml, pass5.toml, pass6.toml, pass7.toml, pass8.toml, pass9.toml, pass10.toml, pass11.toml, pass12.toml, pass13.toml, pass14.toml, pass15.toml, pass16.toml, pass17.toml, pass18.toml, pass19.toml and pass20.toml (each case names a repository, a commit, the paths to cut,
optionally which hunks to keep and whether to reverse the change) and writes each case's patch
to tests/real_corpus/patches/<id>.diff. `--only <file>` (e.g. `--only pass10.toml`) cuts one case file's
cases; further arguments are case ids to cut. The mirrors are bare git directories brought with the
search tool's `fetch`, under /work/.mirror/<owner>+<name>/repo (or $MIRRORS). Only the cut
patches are committed; the tests read them and never need the network or the mirrors.
"""
import os, re, subprocess, sys, tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MIRRORS = os.environ.get("MIRRORS", "/work/.mirror")


def git_dir(repo):
    return os.path.join(MIRRORS, repo.replace("/", "+"), "repo")


def show(case):
    args = ["git", "--git-dir", git_dir(case["repo"]), "diff", "--no-color", "--no-ext-diff",
            "-U3", "--find-renames"]
    if case.get("text"):
        args.append("--text")
    commit = case["commit"]
    base = case.get("base", commit + "^")
    a, b = (commit, base) if case.get("reverse") else (base, commit)
    args += [a, b, "--"] + case["paths"]
    return subprocess.run(args, check=True, capture_output=True).stdout


def keep_hunks(patch, keep):
    """Keeps the hunks numbered in `keep` (1-based, counted over the whole patch)."""
    out, n, keeping = [], 0, True
    for line in patch.splitlines(keepends=True):
        if line.startswith(b"diff --git "):
            keeping = True
            out.append(line)
        elif line.startswith(b"@@ "):
            n += 1
            keeping = n in keep
            if keeping:
                out.append(line)
        elif keeping:
            out.append(line)
    return b"".join(out)


CASE_FILES = ("cases.toml", "pass3.toml", "pass4.toml", "pass5.toml", "pass6.toml", "pass7.toml", "pass8.toml", "pass9.toml", "pass10.toml", "pass11.toml", "pass12.toml", "pass13.toml", "pass14.toml", "pass15.toml", "pass16.toml", "pass17.toml", "pass18.toml", "pass19.toml", "pass20.toml")


def main():
    args = sys.argv[1:]
    files = CASE_FILES
    if args[:1] == ["--only"]:
        if len(args) < 2 or args[1] not in CASE_FILES:
            sys.exit("--only takes one of: " + ", ".join(CASE_FILES))
        files, args = (args[1],), args[2:]
    cases = []
    for name in files:
        with open(os.path.join(ROOT, "tests/real_corpus", name), "rb") as f:
            cases += tomllib.load(f)["case"]
    only = set(args)
    out_dir = os.path.join(ROOT, "tests/real_corpus/patches")
    failed = []
    for case in cases:
        if only and case["id"] not in only:
            continue
        patch = show(case)
        if "hunks" in case:
            patch = keep_hunks(patch, set(case["hunks"]))
        if not patch.strip():
            failed.append(case["id"])
            continue
        with open(os.path.join(out_dir, case["id"] + ".diff"), "wb") as f:
            f.write(patch)
        print(f"{case['id']}: {patch.count(b'@@ ') // 2} hunks, {len(patch)} bytes")
    if failed:
        sys.exit("empty patches: " + ", ".join(failed))


if __name__ == "__main__":
    main()
