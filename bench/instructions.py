#!/usr/bin/env python3
"""Indexing cost of sift and tantivy-cli counted, not timed.

Wall times on a shared 2-core machine drift by 10-30 % from run to run,
more than most changes are worth. This runs both indexers under
valgrind's cachegrind on the same first N generated dispatches and prints
what does not drift: instructions executed and last-level cache misses of
a simulated 1 MiB cache (this machine's L2 per core). Both are whole-program
counts over every thread; a miss costs tens of instructions' time, so the
two columns are read together. tantivy-cli gets the same like-for-like
schema and JSON lines as in indexing.py (prepared, not counted); sift
crawls, decodes and normalizes the files.

Usage: python3 bench/instructions.py [--docs 3000] [--work /tmp/sift-bench] [--sift BINARY]
(needs the 100,000-dispatch corpus of indexing.py; installs valgrind.)
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIFT = os.path.join(ROOT, "target", "release", "sift")
CACHE = "--LL=1048576,16,64"


def cachegrind(args):
    """Instructions and last-level misses of one run."""
    out = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=yes", CACHE,
                          "--cachegrind-out-file=/dev/null"] + args,
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{args[0]} failed: {out.stderr[-2000:]}")
    count = lambda name: int(re.search(rf"{name}:\s+([\d,]+)", out.stderr).group(1).replace(",", ""))
    return count("I\\s+refs"), count("LL misses")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--work", default="/tmp/sift-bench")
    parser.add_argument("--sift", default=SIFT, help="the sift binary to count (another build, for a before/after)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", "valgrind"], check=True)
    data = os.path.join(args.work, "gen100000")
    if not os.path.isdir(data):
        sys.exit("run python3 bench/indexing.py first: it generates the corpus and installs tantivy-cli")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)

    # The first N files of the walk (folders of 100, in name order) are
    # the first N JSON lines.
    work = os.path.join(args.work, f"count{args.docs}")
    shutil.rmtree(work, ignore_errors=True)
    corpus = os.path.join(work, "corpus")
    with open(os.path.join(data, "docs.jsonl"), encoding="utf-8") as f:
        lines = [next(f) for _ in range(args.docs)]
    jsonl = os.path.join(work, "docs.jsonl")
    os.makedirs(corpus)
    with open(jsonl, "w", encoding="utf-8") as out:
        out.writelines(lines)
    for line in lines:
        rel = re.match(r'\{"path": "([^"]+)"', line).group(1)
        os.makedirs(os.path.dirname(os.path.join(corpus, rel)), exist_ok=True)
        shutil.copy(os.path.join(data, "corpus", rel), os.path.join(corpus, rel))

    sift_idx, peer_idx = os.path.join(work, "sift-index"), os.path.join(work, "tantivy-index")
    os.makedirs(peer_idx)
    shutil.copy(os.path.join(ROOT, "bench", "tantivy-cli-meta.json"), os.path.join(peer_idx, "meta.json"))
    sift = cachegrind([args.sift, "index", corpus, "--index", sift_idx, "--threads", "2", "--memory", "256", "--quiet"])
    peer = cachegrind([os.path.join(args.work, "tools", "bin", "tantivy"), "index", "-i", peer_idx, "-f", jsonl,
                       "-t", "2", "-m", str(256 * 1024 * 1024)])

    print(f"\n### Indexing {args.docs:,} generated dispatches under cachegrind (LL: 1 MiB, 16-way)\n")
    print("| tool | instructions | LL misses | instructions / tantivy-cli | LL misses / tantivy-cli |")
    print("|---|---|---|---|---|")
    for name, (ins, misses) in [("sift", sift), ("tantivy-cli (like for like)", peer)]:
        print(f"| {name} | {ins:,} | {misses:,} | {ins / peer[0]:.2f} | {misses / peer[1]:.2f} |")


if __name__ == "__main__":
    main()
