#!/usr/bin/env python3
"""Two sift builds against each other, interleaved: what one change is worth.

indexing.py compares sift with its peers; a change to sift is better judged
against sift without it, in the same minutes (the machine's speed drifts
within a minute by more than most changes are worth). This runs, for each
build in turn, alternating which goes first: a full index of the generated
corpus (wall and CPU time, index size), the 200-query batch on one thread
(the batch's own wall time, `--timings`), and one query per process on
each index. It prints the medians.

Usage: python3 bench/compare.py OLD_SIFT NEW_SIFT [--docs 100000] [--rounds 6]
  (after indexing.py, which writes the corpus and its queries to /tmp/sift-bench;
  e.g. OLD_SIFT built from the commit before the change, in another target folder)
"""

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import time


def full_index(binary, corpus, index):
    shutil.rmtree(index, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([binary, "index", corpus, "--index", index, "--threads", "2",
                    "--memory", "256", "--quiet"], check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


def batch_ms(binary, index, queries):
    err = subprocess.run([binary, "search", "--index", index, "--batch", queries, "--threads", "1",
                          "--any", "--limit", "10", "--timings"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True).stderr
    return int(re.search(r"batch took (\d+)", err).group(1)) / 1000


def one_query_ms(binary, index, query):
    started = time.perf_counter()
    subprocess.run([binary, "search", query, "--index", index, "--any", "--json"],
                   stdout=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - started) * 1000


def folder_mb(folder):
    return sum(os.path.getsize(os.path.join(folder, name)) for name in os.listdir(folder)) / 1e6


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--docs", type=int, default=100000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--work", default="/tmp/sift-bench")
    args = parser.parse_args()
    data = os.path.join(args.work, f"gen{args.docs}")
    corpus, queries = os.path.join(data, "corpus"), os.path.join(data, "queries.tsv")
    if not os.path.isdir(corpus):
        raise SystemExit(f"no corpus in {data}: run `python3 bench/indexing.py --docs {args.docs}` first")
    texts = [line.split("\t", 1)[1].strip() for line in open(queries, encoding="utf-8")][:100]
    builds = {"old": os.path.abspath(args.old), "new": os.path.abspath(args.new)}
    index = {name: os.path.join(args.work, f"compare-{name}") for name in builds}
    runs = {name: {"wall": [], "cpu": [], "batch": [], "one": []} for name in builds}

    for round_ in range(args.rounds):
        order = list(builds) if round_ % 2 == 0 else list(builds)[::-1]
        for name in order:
            wall, cpu = full_index(builds[name], corpus, index[name])
            runs[name]["wall"].append(wall)
            runs[name]["cpu"].append(cpu)
        for _ in range(2):
            for name in order:
                runs[name]["batch"].append(batch_ms(builds[name], index[name], queries))
    for text in texts:
        for name in builds:
            runs[name]["one"].append(one_query_ms(builds[name], index[name], text))

    print(f"\n### {args.old} (old) against {args.new} (new), {args.docs:,} dispatches, "
          f"{args.rounds} interleaved rounds\n")
    print("| | old | new | new / old |")
    print("|---|---|---|---|")
    rows = [("full index, wall s (median)", "wall", "{:.2f}"),
            ("full index, CPU s (median)", "cpu", "{:.2f}"),
            ("200 queries, 1 thread, ms (median)", "batch", "{:.1f}"),
            ("one query per process, ms (median of 100)", "one", "{:.2f}")]
    for label, key, form in rows:
        old, new = statistics.median(runs["old"][key]), statistics.median(runs["new"][key])
        print(f"| {label} | {form.format(old)} | {form.format(new)} | {new / old:.3f} |")
    old, new = folder_mb(index["old"]), folder_mb(index["new"])
    print(f"| index MB | {old:.1f} | {new:.1f} | {new / old:.3f} |")
    print("\nfull index wall s, run by run: old " +
          ", ".join(f"{x:.2f}" for x in runs["old"]["wall"]) +
          "; new " + ", ".join(f"{x:.2f}" for x in runs["new"]["wall"]))


if __name__ == "__main__":
    main()
