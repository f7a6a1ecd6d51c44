#!/usr/bin/env python3
"""Indexing and query speed of sift against its peers, in one run.

Generates (once, seeded) N dispatches with gen_corpus.py, then measures on
the same machine, in the same run:

  sift           full index (crawl, decode, normalize, dedup, index), no-op
                 re-index, re-index after 1 % of files changed; 2 threads,
                 --memory 256
  tantivy-cli    like-for-like: path stored; title and body indexed with
                 positions, stored, en_stem (bench/tantivy-cli-meta.json);
                 2 threads, the same 256 MB budget; its JSON lines prepared
                 beforehand and not timed
  SQLite FTS5    python3's sqlite3, porter tokenizer, from the same JSON lines
  Xapian         with --xapian: Xapian's Python bindings, English stemming,
                 from the same JSON lines (xapian_peer.py); `quest` for one
                 query per process; installed with apt-get if missing

and prints wall time, docs/s, MB/s, peak RSS, index size and ratios; then
200 queries (top 10 with stored fields; sift with snippets) in one process
(sift on one thread, like the peers, and on two: `search --batch --threads`),
and sift's one-query-per-process latency, for the `cargo build --release`
binary and (Linux, x86_64, glibc) the static one of `cargo build-static`
(and Xapian's `quest`, with --xapian).

Usage: python3 bench/indexing.py [--docs 100000] [--work /tmp/sift-bench] [--xapian]
"""

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIFT = os.path.join(ROOT, "target", "release", "sift")
# `cargo build-static` (.cargo/config.toml): the same code, linked statically.
SIFT_STATIC = os.path.join(ROOT, "target", "x86_64-unknown-linux-gnu", "release", "sift")
TANTIVY_CLI_VERSION = "0.24.0"


def measure(args, env=None, cpu=None):
    """Runs a command; returns (wall seconds, peak RSS in MB, stdout, stderr),
    and appends its CPU seconds (user + system) to `cpu` if given.
    Output goes through temporary files: a pipe would fill and stall the
    child while we wait for it."""
    # GNU time reports the command's own CPU times and peak RSS on its last
    # stderr line.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(["/usr/bin/time", "-f", "%U %S %M"] + args, stdout=out, stderr=err, env=env)
        proc.wait()
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode != 0:
        sys.exit(f"{args[0]} failed ({proc.returncode}): {stderr}")
    lines = stderr.rstrip("\n").split("\n")
    user, system, rss = lines[-1].split()
    if cpu is not None:
        cpu.append(float(user) + float(system))
    return wall, int(rss) / 1024, stdout, "\n".join(lines[:-1])


def folder_mb(path):
    total = 0
    for root, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total / 1e6


def tantivy_cli(work):
    binary = os.path.join(work, "tools", "bin", "tantivy")
    if not os.path.exists(binary):
        print(f"installing tantivy-cli {TANTIVY_CLI_VERSION} (once)...", file=sys.stderr)
        subprocess.run(["cargo", "install", "--quiet", "--root", os.path.join(work, "tools"),
                        "tantivy-cli", "--version", TANTIVY_CLI_VERSION], check=True)
    return binary


def xapian_python():
    """A Python that can import xapian: this one, or the system's, where
    Debian's python3-xapian installs (with xapian-tools for `quest`)."""
    candidates = [sys.executable, "/usr/bin/python3"]

    def usable():
        for python in candidates:
            probe = subprocess.run([python, "-c", "import xapian"], capture_output=True, check=False)
            if probe.returncode == 0 and shutil.which("quest"):
                return python
        return None

    python = usable()
    if python is None:
        print("installing python3-xapian and xapian-tools (once)...", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "-qq", "python3-xapian", "xapian-tools"], check=True)
        python = usable()
    if python is None:
        sys.exit("--xapian: no Python here can import xapian")
    return python


def warm(folder):
    """Reads every file once, in small chunks: this process must stay small,
    since a child forked from a large process starts with a large RSS."""
    for root, _, files in os.walk(folder):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                while fh.read(1 << 20):
                    pass


def change_files(corpus, share, restore=None):
    """Appends a sentence to every 1/share-th file; returns the originals."""
    originals = restore or {}
    if restore:
        for path, data in restore.items():
            with open(path, "wb") as f:
                f.write(data)
        return {}
    step = int(1 / share)
    count = 0
    for root, _, files in sorted(os.walk(corpus)):
        for name in sorted(files):
            count += 1
            if count % step:
                continue
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                originals[path] = f.read()
            with open(path, "ab") as f:
                f.write(b"\nA correction was appended to this dispatch.")
    return originals


def peer_run(command):
    """A batch run of an in-process peer (`timed_queries.py`'s output):
    returns (total µs, per-query µs)."""
    def run():
        _, _, out, _ = measure(command)
        times = [int(line.split("\t")[1]) for line in out.splitlines()]
        return sum(times), times
    return run


def row(name, wall, docs, mb, rss, size, ref=None):
    ratio = f"{wall / ref:.2f}" if ref else "-"
    print(f"| {name} | {wall:.2f} | {docs / wall:,.0f} | {mb / wall:.1f} | {rss:.0f} | {size:.0f} | {ratio} |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--work", default="/tmp/sift-bench")
    parser.add_argument("--memory", type=int, default=256)
    parser.add_argument("--skip-peers", action="store_true", help="measure sift only (scale runs)")
    parser.add_argument("--repeat", type=int, default=3, help="full index runs and query batches per tool; the fastest counts")
    parser.add_argument("--xapian", action="store_true", help="also measure Xapian (its index takes minutes)")
    args = parser.parse_args()
    if args.xapian and args.skip_peers:
        sys.exit("--xapian is a peer: not with --skip-peers")
    if not os.path.exists("/usr/bin/time"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "time"], check=True)
    data = os.path.join(args.work, f"gen{args.docs}")
    corpus = os.path.join(data, "corpus")
    if not os.path.isdir(corpus):
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_corpus.py"), str(args.docs), data], check=True)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    builds = {"cargo build --release": SIFT}
    if can_build_static():
        subprocess.run(["cargo", "build-static", "--quiet"], cwd=ROOT, check=True)
        builds["cargo build-static"] = SIFT_STATIC
    corpus_mb = folder_mb(corpus)
    warm(corpus)
    warm(data)
    budget = str(args.memory)

    sift_idx = os.path.join(args.work, f"sift-{args.docs}")
    shutil.rmtree(sift_idx, ignore_errors=True)
    index_cmd = [SIFT, "index", corpus, "--index", sift_idx, "--threads", "2", "--memory", budget, "--quiet"]
    # Full runs are repeated, sift and tantivy-cli taking turns so that both
    # see the same machine, and the fastest of each kept: the minimum is the
    # figure least disturbed by whatever else the machine does.
    jsonl = os.path.join(data, "docs.jsonl")
    tidx = os.path.join(args.work, f"tantivy-{args.docs}")
    binary = None if args.skip_peers else tantivy_cli(args.work)
    fulls, peer_runs = [], []
    sift_cpu, peer_cpu = [], []
    for _ in range(args.repeat):
        shutil.rmtree(sift_idx, ignore_errors=True)
        fulls.append(measure(index_cmd, cpu=sift_cpu))
        if binary:
            shutil.rmtree(tidx, ignore_errors=True)
            os.makedirs(tidx)
            shutil.copy(os.path.join(ROOT, "bench", "tantivy-cli-meta.json"), os.path.join(tidx, "meta.json"))
            peer_runs.append(measure([binary, "index", "-i", tidx, "-f", jsonl, "-t", "2",
                                      "-m", str(args.memory * 1024 * 1024)], cpu=peer_cpu))
    full, full_rss, _, _ = min(fulls)
    # Like for like: each tool's index as its full run left it. After the
    # re-index runs below, sift's also holds the deleted versions of the
    # changed files until a merge; that size is printed apart.
    sift_size = folder_mb(sift_idx)
    # The no-op run is repeated like the full runs (it changes nothing); at
    # a fifth of a second one sample swings by half on a busy machine. The
    # first run, the one a user meets after a full index, is printed too.
    noops = [measure(index_cmd) for _ in range(args.repeat)]
    noop, noop_rss, _, _ = min(noops)
    first_noop = noops[0][0]
    # The 1 % run too: the same files changed and restored each time (the
    # restoring run, another 1 % change, is not counted).
    changes = []
    for _ in range(args.repeat):
        originals = change_files(corpus, 0.01)
        changes.append(measure(index_cmd))
        change_files(corpus, 0.01, restore=originals)
        measure(index_cmd)
    changed, changed_rss, _, _ = min(changes)
    first_changed = changes[0][0]
    updated_size = folder_mb(sift_idx)

    print(f"\n### Indexing {args.docs:,} generated dispatches ({corpus_mb:.0f} MB), 2 threads, --memory {budget}, "
          f"fastest of {args.repeat}\n")
    print("| tool | wall s | docs/s | MB/s | peak RSS MB | index MB | wall / tantivy-cli |")
    print("|---|---|---|---|---|---|---|")
    tantivy_wall = None
    rows = []
    if not args.skip_peers:
        tantivy_wall, t_rss, _, _ = min(peer_runs)
        rows.append(("tantivy-cli (like for like)", tantivy_wall, t_rss, folder_mb(tidx)))
        db = os.path.join(args.work, f"fts5-{args.docs}.db")
        if os.path.exists(db):
            os.remove(db)
        s_wall, s_rss, _, _ = measure([sys.executable, os.path.join(ROOT, "bench", "sqlite_peer.py"), "index", jsonl, db])
        rows.append(("SQLite FTS5", s_wall, s_rss, os.path.getsize(db) / 1e6))
    xdb = None
    if args.xapian:
        python = xapian_python()
        xdb = os.path.join(args.work, f"xapian-{args.docs}")
        shutil.rmtree(xdb, ignore_errors=True)
        x_wall, x_rss, _, _ = measure([python, os.path.join(ROOT, "bench", "xapian_peer.py"), "index", jsonl, xdb])
        rows.append(("Xapian (Python bindings, one run)", x_wall, x_rss, folder_mb(xdb)))
    row("sift, full index", full, args.docs, corpus_mb, full_rss, sift_size, tantivy_wall)
    for name, wall, rss, size in rows:
        row(name, wall, args.docs, corpus_mb, rss, size, tantivy_wall)
    print(f"\n| sift re-index | wall s | share of full index | peak RSS MB |")
    print("|---|---|---|---|")
    print(f"| nothing changed | {noop:.3f} | {noop / full:.1%} | {noop_rss:.0f} |")
    print(f"| 1 % of files changed | {changed:.3f} | {changed / full:.1%} | {changed_rss:.0f} |")
    print(f"\nnothing changed: fastest of {args.repeat} runs; the first {first_noop:.3f} s "
          f"({first_noop / full:.1%}). 1 % changed: fastest of {args.repeat}; the first "
          f"{first_changed:.3f} s ({first_changed / full:.1%}).")
    if not args.skip_peers:
        # Each sift run is followed by a tantivy-cli run: their ratios drift
        # less than either time, and their median is the figure to quote
        # beside the fastest-of ratio.
        ratios = sorted(s[0] / t[0] for s, t in zip(fulls, peer_runs))
        print(f"\nfull index, sift / tantivy-cli run by run (each pair back to back): "
              f"{', '.join(f'{r:.2f}' for r in ratios)}; median {statistics.median(ratios):.2f}")
        # CPU time drifts less than wall time when other guests take the
        # machine's cores: what each tool's work costs, on both cores.
        cpu_ratios = sorted(s / t for s, t in zip(sift_cpu, peer_cpu))
        print(f"\nfull index CPU time (user + system), sift / tantivy-cli run by run: "
              f"{', '.join(f'{r:.2f}' for r in cpu_ratios)}; median {statistics.median(cpu_ratios):.2f} "
              f"(medians {statistics.median(sift_cpu):.2f} s / {statistics.median(peer_cpu):.2f} s)")
        print(f"\nindex size, sift / tantivy-cli: {sift_size / rows[0][3]:.3f} after the full runs "
              f"({sift_size:.1f} MB / {rows[0][3]:.1f} MB); sift's after the re-index runs: {updated_size:.1f} MB")

    # Queries: 200, in one process, warm. Each tool runs once to warm up,
    # then --repeat times, the tools taking turns; each tool's fastest total
    # counts (a single run drifted by 30 % between runs on a busy machine).
    queries = os.path.join(data, "queries.tsv")
    sift_batch = [SIFT, "search", "--batch", queries, "--index", sift_idx, "--any", "--limit", "10", "--timings"]

    # Each run returns (total µs, per-query µs). A one-thread total is the sum
    # of the queries' times, like the peers'; with several threads it is the
    # batch's wall time from the first query to the last answer printed.
    def sift_run(threads):
        def run():
            _, _, _, err = measure(sift_batch + ["--threads", str(threads)])
            times, wall = [], None
            for line in err.splitlines():
                if line.startswith("sift: timing "):
                    times.append(int(line.split()[-1]))
                elif line.startswith("sift: batch took "):
                    wall = int(line.split()[-1])
            return (sum(times) if threads == 1 else wall), times
        return run

    runs = {"sift (--any, snippets), 1 thread": sift_run(1)}
    if not args.skip_peers:
        plain = os.path.join(data, "queries.txt")
        with open(queries, encoding="utf-8") as f, open(plain, "w", encoding="utf-8") as out:
            out.writelines(line.split("\t", 1)[1] for line in f)

        def tantivy_run():
            _, _, out, _ = measure([binary, "bench", "-i", tidx, "-q", plain])
            search_part, fetch_part = out.split("FETCH STORE")
            search = [int(l.split("\t")[-1]) for l in search_part.splitlines()
                      if l.count("\t") == 2 and l.split("\t")[-1].isdigit()]
            fetch = [int(l.split("\t")[-1]) for l in fetch_part.splitlines()
                     if l.count("\t") == 1 and l.split("\t")[-1].isdigit()]
            times = [a + b for a, b in zip(search, fetch)]
            return sum(times), times

        sqlite_run = peer_run([sys.executable, os.path.join(ROOT, "bench", "sqlite_peer.py"), "query", db, queries])

        runs["tantivy-cli bench (search + fetch, no snippets, 1 thread)"] = tantivy_run
        runs["SQLite FTS5 (bm25, in process, 1 thread)"] = sqlite_run
    if xdb:
        xapian_run = peer_run([python, os.path.join(ROOT, "bench", "xapian_peer.py"), "query", xdb, queries])
        runs["Xapian (BM25, in process, 1 thread)"] = xapian_run
    runs["sift (--any, snippets), 2 threads: batch wall time"] = sift_run(2)
    for run in runs.values():
        run()
    fastest = {}
    for _ in range(args.repeat):
        for name, run in runs.items():
            total, times = run()
            if name not in fastest or total < fastest[name][0]:
                fastest[name] = (total, times)
    print(f"\n### 200 queries in one process (top 10, stored fields; sift with snippets), warm, fastest of {args.repeat}\n")
    print("| tool | total ms | median ms | total / sift 1 thread | total / sift 2 threads |")
    print("|---|---|---|---|---|")
    one = fastest["sift (--any, snippets), 1 thread"][0]
    two = fastest["sift (--any, snippets), 2 threads: batch wall time"][0]
    for name, (total, times) in fastest.items():
        print(f"| {name} | {total / 1000:.1f} | {statistics.median(times) / 1000:.3f} "
              f"| {total / one:.2f} | {total / two:.2f} |")

    # One query per process: open the index, search, print; the builds (and
    # Xapian's quest) alternate query by query.
    commands = {name: (lambda text, b=binary: [b, "search", text, "--index", sift_idx, "--any", "--json"])
                for name, binary in builds.items()}
    if xdb:
        commands["Xapian quest (top 10, stored fields)"] = lambda text: ["quest", "-d", xdb, "-m", "10", text]
    walls = {name: [] for name in commands}
    with open(queries, encoding="utf-8") as f:
        texts = [line.rstrip("\n").split("\t", 1)[1] for line in f][:100]
    for text in texts:
        for name, command in commands.items():
            started = time.perf_counter()
            subprocess.run(command(text), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            walls[name].append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    for _ in range(20):
        subprocess.run(["/bin/true"], check=True)
    spawn = (time.perf_counter() - started) * 1000 / 20
    print(f"\n### One query per process (sift search, open + search + print), {len(texts)} queries\n")
    for name, times in walls.items():
        print(f"{name}: median {statistics.median(times):.2f} ms, p90 {sorted(times)[int(len(times) * 0.9)]:.2f} ms")
    quest = walls.get("Xapian quest (top 10, stored fields)")
    for name in builds:
        if quest:
            print(f"{name} / Xapian quest, medians: {statistics.median(walls[name]) / statistics.median(quest):.2f}")
    print(f"(of which starting any process from Python, /bin/true: {spawn:.2f} ms)")


def can_build_static():
    """`cargo build-static` targets Linux on x86_64 with glibc."""
    libc, _ = platform.libc_ver()
    return sys.platform == "linux" and platform.machine() == "x86_64" and libc == "glibc"


if __name__ == "__main__":
    main()
