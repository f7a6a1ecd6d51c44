#!/usr/bin/env python3
"""Peak memory of `sift index` against its --memory budget.

Indexes a generated corpus (gen_corpus.py) at least 10x larger than the
budget, and a fifth of it, with each budget; prints the peak RSS (wait4,
as /usr/bin/time -v reports it), and, sampled from /proc every 50 ms, the
peak of anonymous memory (heap, stacks: what the budget bounds) and of
file-backed pages (index segments tantivy maps while merging: page cache,
reclaimable). Where the machine has a cgroup v1 memory controller, each
budget is also run under a hard limit of budget + --over MB (64: the
issue's target), proving the run needs no more than that.

Usage: python3 bench/memory.py [--docs 250000] [--budgets 32,64] [--over 64]
"""

import argparse
import os
import shutil
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIFT = os.path.join(ROOT, "target", "release", "sift")
CGROUP = "/sys/fs/cgroup/memory/sift-bench-memory"


def generate(docs, work):
    out = os.path.join(work, f"gen{docs}")
    if not os.path.isdir(os.path.join(out, "corpus")):
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_corpus.py"), str(docs), out],
                       check=True, stdout=subprocess.DEVNULL)
    return os.path.join(out, "corpus")


def subset(corpus, fraction, work):
    """A hard-linked copy of the first `fraction` of the top-level folders."""
    folders = sorted(os.listdir(corpus))
    keep = folders[: max(1, int(len(folders) * fraction))]
    out = os.path.join(work, f"subset-{os.path.basename(os.path.dirname(corpus))}-{len(keep)}")
    if not os.path.isdir(out):
        os.makedirs(out)
        for folder in keep:
            subprocess.run(["cp", "-al", os.path.join(corpus, folder), out], check=True)
    return out


def apparent_mb(folder):
    total = 0
    for dirpath, _, files in os.walk(folder):
        for name in files:
            total += os.lstat(os.path.join(dirpath, name)).st_size
    return total / 1e6


def sample(pid, peaks, done):
    path = f"/proc/{pid}/status"
    while not done.is_set():
        try:
            with open(path) as status:
                fields = dict(line.split(":", 1) for line in status if line.startswith("Rss"))
            anon = int(fields["RssAnon"].split()[0]) // 1024
            file_backed = int(fields["RssFile"].split()[0]) // 1024
            peaks["anon"] = max(peaks["anon"], anon)
            peaks["file"] = max(peaks["file"], file_backed)
        except (OSError, KeyError, ValueError):
            pass
        time.sleep(0.05)


def run_index(corpus, index, budget, cgroup_limit_mb=None):
    args = [SIFT, "index", corpus, "--index", index, "--memory", str(budget), "--rebuild", "-q"]
    preexec = None
    if cgroup_limit_mb is not None:
        with open(os.path.join(CGROUP, "memory.limit_in_bytes"), "w") as f:
            f.write(str(cgroup_limit_mb << 20))

        def preexec():
            with open(os.path.join(CGROUP, "cgroup.procs"), "w") as procs:
                procs.write(str(os.getpid()))
    started = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=preexec)
    peaks, done = {"anon": 0, "file": 0}, threading.Event()
    sampler = threading.Thread(target=sample, args=(child.pid, peaks, done))
    sampler.start()
    _, status, usage = os.wait4(child.pid, 0)
    done.set()
    sampler.join()
    child.returncode = os.waitstatus_to_exitcode(status)
    return {
        "code": child.returncode,
        "secs": time.perf_counter() - started,
        "rss": usage.ru_maxrss // 1024,
        "anon": peaks["anon"],
        "file": peaks["file"],
        "stderr": child.stderr.read().decode(errors="replace").strip(),
    }


def documents(index):
    out = subprocess.run([SIFT, "stats", "--index", index, "--json"], capture_output=True, text=True)
    return out.stdout.split('"documents":')[1].split(",")[0] if out.returncode == 0 else "-"


def has_cgroup():
    try:
        os.makedirs(CGROUP, exist_ok=True)
        return os.access(os.path.join(CGROUP, "memory.limit_in_bytes"), os.W_OK)
    except OSError:
        return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=250_000)
    parser.add_argument("--budgets", default="32,64")
    parser.add_argument("--work", default="/tmp/sift-bench")
    parser.add_argument("--over", type=int, default=64, help="the cgroup limit is budget + this many MB")
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    os.makedirs(args.work, exist_ok=True)
    corpus = generate(args.docs, args.work)
    corpora = [subset(corpus, 0.2, args.work), corpus]
    sizes = {c: apparent_mb(c) for c in corpora}
    index = os.path.join(args.work, "memory-index")
    cgroup = has_cgroup()

    print(f"sift index --memory B, 2 threads; peak RSS from wait4; anon/file peaks sampled every 50 ms")
    print(f"{'budget':>7} {'corpus':>9} {'x budget':>8} {'time':>7} {'peak RSS':>9} {'anon':>6} "
          f"{'anon-budget':>11} {'file-backed':>11}" + (f"  {'under budget+' + str(args.over) + ' MB cgroup':>30}" if cgroup else ""))
    for budget in [int(b) for b in args.budgets.split(",")]:
        for c in corpora:
            r = run_index(c, index, budget)
            if r["code"] != 0:
                sys.exit(f"sift index failed: {r['stderr']}")
            line = (f"{budget:>5}MB {sizes[c]:>7.0f}MB {sizes[c] / budget:>7.1f}x {r['secs']:>6.1f}s "
                    f"{r['rss']:>7}MB {r['anon']:>4}MB {r['anon'] - budget:>9}MB {r['file']:>9}MB")
            if cgroup:
                limited = run_index(c, index, budget, cgroup_limit_mb=budget + args.over)
                verdict = (f"ok, {documents(index)} docs, peak {limited['rss']} MB" if limited["code"] == 0
                           else f"FAILED (exit {limited['code']})")
                line += f"  {verdict:>30}"
            print(line, flush=True)
    shutil.rmtree(index, ignore_errors=True)


if __name__ == "__main__":
    main()
