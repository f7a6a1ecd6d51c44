#!/usr/bin/env python3
"""Writes link/search.order: the functions one `sift search` runs, for the
linker to lay out together in the static build.

A one-shot `sift search` spends most of its time in the kernel, mapping the
pages it touches. Linked in the compiler's order, the ~800 KB of code a
search runs lies on ~300 pages spread over the whole 8 MB of text, and the
process takes ~90 page faults on it; laid out together, ~15 (bench/RESULTS,
session 16). build.rs hands this file to the linker (lld's
`--symbol-ordering-file`) for `cargo build-static` only: that build is made
for one target with fixed flags, and the names below are its names.

The names are mangled, and carry hashes that change with the toolchain, the
versions in Cargo.lock, the build's settings and (for the `.llvm.` ones) the
code of their module; the static build has no debug information, which
would tie the `.llvm.` ones to the folder it is built in.
Names the binary no longer has are skipped, so a stale file costs speed, not
correctness; .ci/run fails when fewer than half are found. Run this script
again after such a change:

    python3 link/order.py            # needs valgrind (apt-get install valgrind)

It builds the static binary, indexes a generated corpus of 2,000 dispatches
(enough for a store dictionary), runs a set of searches under callgrind and
keeps every function they ran that the binary defines, sorted by name.
"""

import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORDER = os.path.join(ROOT, "link", "search.order")
SIFT = os.path.join(ROOT, "target", "x86_64-unknown-linux-gnu", "release", "sift")
DOCS = 2_000

HEADER = """\
# The functions one `sift search` runs, laid out together by the linker in
# `cargo build-static` (build.rs). Written by link/order.py: run it again
# when .ci/run says this file is stale.
"""


def searches(index, queries):
    """The command lines profiled: the forms a one-shot search takes."""
    words, phrase = queries[0], next(q for q in queries if q.startswith('"'))
    base = [SIFT, "search", "--index", index]
    return [
        base + [words, "--any", "--json"],
        base + [words],
        base + [phrase, "--json"],
        base + [queries[1], "--sort", "date", "--facets"],
        base + [queries[2], "--count"],
    ]


def functions_run(command, scratch):
    """Mangled names of the functions `command` ran, from callgrind."""
    out = os.path.join(scratch, "callgrind.out")
    subprocess.run(["valgrind", "--tool=callgrind", "--demangle=no", f"--callgrind-out-file={out}"]
                   + command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    names = set()
    with open(out, encoding="utf-8", errors="replace") as f:
        for line in f:
            # A name is given once, where its id first appears: as a
            # function (fn=), a callee (cfn=) or a jump target (jfn=).
            match = re.match(r"[cj]?fn=\(\d+\) (.+)", line)
            if match:
                names.add(re.sub(r"'\d+$", "", match.group(1).strip()))
    return names


def defined_functions(binary):
    """Names of the functions (and ifunc resolvers) the binary defines."""
    out = subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True, check=True)
    return {parts[2] for parts in (line.split() for line in out.stdout.splitlines())
            if len(parts) == 3 and parts[1] in "tTwWi"}


def main():
    subprocess.run(["cargo", "build-static", "--quiet"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as scratch:
        generated, index = os.path.join(scratch, "generated"), os.path.join(scratch, "index")
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_corpus.py"), str(DOCS), generated],
                       stdout=subprocess.DEVNULL, check=True)
        subprocess.run([SIFT, "index", os.path.join(generated, "corpus"), "--index", index, "--quiet"], check=True)
        with open(os.path.join(generated, "queries.tsv"), encoding="utf-8") as f:
            queries = [line.rstrip("\n").split("\t", 1)[1] for line in f]
        ran = set()
        for command in searches(index, queries):
            ran |= functions_run(command, scratch)
    kept = sorted(ran & defined_functions(SIFT))
    with open(ORDER, "w", encoding="utf-8") as f:
        f.write(HEADER + "".join(name + "\n" for name in kept))
    print(f"{ORDER}: {len(kept)} functions ({len(ran)} run)")


if __name__ == "__main__":
    main()
