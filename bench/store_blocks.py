#!/usr/bin/env python3
"""The document store of a sift index, re-compressed with other zstd settings.

A hit's stored document is read back by decompressing its whole block, so
the store's block size and zstd settings decide much of a query's time, and
most of the index's size. This re-packs the documents of an index's store
into blocks as tantivy does, compresses each block alone with each setting,
and prints the store's size, the time to compress it (one core), and the
time to read one block back: the fastest of --rounds rounds, the settings
taking turns in each (the machine's speed drifts within a minute), of three
passes over all blocks each. It runs zstd's C library from the sources cargo fetched for sift
(the same zstd 1.5.7), built here with the C compiler.

Usage: python3 bench/store_blocks.py INDEX [--rounds 5] [--settings B:L:M:D,...]
  each setting is block bytes : level : minimum match (0 = the level's) :
  dictionary bytes (0 = none; trained on the first 1,000 documents with
  fastCover, k = 200, d = 8, as sift trains it).
The first setting is the baseline the others are compared with.
"""

import argparse
import glob
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(ROOT, "bench", "store_blocks.c")
DEFAULT = "10240:1:0:0,10240:1:6:0,10240:1:7:0,8192:1:6:0,4096:1:6:0,4096:1:6:32768,6144:1:6:32768"


def zstd_sources():
    """zstd's C sources inside the zstd-sys crate cargo fetched for sift."""
    home = os.environ.get("CARGO_HOME", os.path.expanduser("~/.cargo"))
    found = sorted(glob.glob(os.path.join(home, "registry", "src", "*", "zstd-sys-*", "zstd", "lib")))
    if not found:
        sys.exit("zstd-sys's sources are not in cargo's registry: run `cargo build --release` first")
    return found[-1]


def build(work):
    lib = zstd_sources()
    binary = os.path.join(work, "store_blocks")
    sources = [SOURCE]
    for part in ("common", "compress", "decompress", "dictBuilder"):
        sources += glob.glob(os.path.join(lib, part, "*.c"))
    sources += glob.glob(os.path.join(lib, "decompress", "*.S"))
    subprocess.run(["cc", "-O3", "-w", f"-I{lib}", f"-I{lib}/common", f"-I{lib}/dictBuilder",
                    *sources, "-o", binary, "-lpthread"], check=True)
    return binary


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("index", help="a sift index folder (its *.store files are read)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--settings", default=DEFAULT)
    parser.add_argument("--work", default="/tmp/sift-bench")
    args = parser.parse_args()
    stores = sorted(glob.glob(os.path.join(args.index, "*.store")))
    if not stores:
        sys.exit(f"no .store files in {args.index}")
    os.makedirs(args.work, exist_ok=True)
    binary = build(args.work)

    # An index made with a dictionary needs it to read its blocks.
    dictionary = os.path.join(args.index, "store.dict")
    env = dict(os.environ, STORE_DICT=dictionary) if os.path.exists(dictionary) else None
    settings = [setting.split(":") for setting in args.settings.split(",")]
    best = {}
    for _ in range(args.rounds):
        for setting in settings:
            out = subprocess.run([binary, *setting, "3", *stores],
                                 capture_output=True, text=True, check=True, env=env).stdout.split()
            blocks, size, compress, read = int(out[5]), float(out[7]), float(out[8]), float(out[9])
            old = best.get(tuple(setting), (blocks, size, compress, read))
            best[tuple(setting)] = (blocks, size, min(compress, old[2]), min(read, old[3]))

    print(f"\n### The store of {args.index} ({len(stores)} segments) re-compressed, "
          f"fastest of {args.rounds} rounds\n")
    print("| block bytes | level | min match | dictionary | blocks | store MB | vs first "
          "| compress s | read one block µs | vs first |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    first = None
    for block, level, min_match, dictionary in settings:
        blocks, size, compress, read = best[(block, level, min_match, dictionary)]
        first = first or (size, read)
        print(f"| {block} | {level} | {min_match if min_match != '0' else 'level'} "
              f"| {dictionary + ' B' if dictionary != '0' else 'none'} | {blocks:,} | {size:.1f} "
              f"| {size / first[0]:.3f} | {compress:.2f} | {read:.2f} | {read / first[1]:.2f} |")


if __name__ == "__main__":
    main()
