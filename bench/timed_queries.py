"""What the in-process peers share: each query of a QUERIES.tsv file run
and timed alone, printed as id<TAB>microseconds (`indexing.py` reads it)."""

import time


def run_each(queries, run):
    """Calls `run(text)` for every query of the file, timing each call."""
    with open(queries, encoding="utf-8") as f:
        pairs = [line.rstrip("\n").split("\t", 1) for line in f if "\t" in line]
    for qid, text in pairs:
        started = time.perf_counter()
        run(text)
        print(f"{qid}\t{(time.perf_counter() - started) * 1e6:.0f}")
