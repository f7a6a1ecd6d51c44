#!/usr/bin/env python3
"""Precision and recall of sift's paragraph removal, on labelled data.

Takes real articles from the BBC news set (../shared/corpora/bbc-news) and
writes each again with known paragraphs appended after its own: an exact
repeat of one of its paragraphs (label: remove), a near repeat with one
word changed (remove), and a paragraph from another article (keep). Its
own paragraphs are labelled keep (articles that already repeat a
paragraph are passed over). `sift inspect --json` then says, for every
paragraph, whether it was removed; removal is scored against the labels.

Usage: python3 bench/paragraphs.py [--articles 600] [--near-dup 0.9]
"""

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tarfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIFT = os.path.join(ROOT, "target", "release", "sift")
ARCHIVE = os.path.join(ROOT, "..", "shared", "corpora", "bbc-news", "bbc-fulltext.tar.gz")


def key(paragraph):
    """sift's paragraph identity: alphanumeric runs, lower-cased."""
    return " ".join(re.findall(r"\w+", paragraph.lower())).replace("_", " ")


def articles():
    with tarfile.open(ARCHIVE) as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            if not member.isfile() or not member.name.endswith(".txt") or "README" in member.name:
                continue
            text = tar.extractfile(member).read().decode("utf-8", errors="replace")
            lines = text.replace("\r\n", "\n").split("\n")
            title = lines[0].strip()
            body = "\n".join(lines[1:])
            paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", body) if p.strip()]
            yield member.name, title, paragraphs


def change_one_word(paragraph, rng, vocabulary):
    words = paragraph.split(" ")
    positions = [i for i, w in enumerate(words) if re.fullmatch(r"[A-Za-z]{3,}", w)]
    if not positions:
        return None
    i = rng.choice(positions)
    replacement = rng.choice(vocabulary)
    while replacement.lower() == words[i].lower():
        replacement = rng.choice(vocabulary)
    words[i] = replacement
    return " ".join(words)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--near-dup", default="0.9")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", default="/tmp/sift-paragraphs")
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    rng = random.Random(args.seed)

    pool, seen = [], set()
    for name, title, paragraphs in articles():
        keys = [key(p) for p in paragraphs]
        if len(paragraphs) < 3 or len(set(keys)) < len(keys) or tuple(keys) in seen:
            continue  # repeats of its own, or a duplicate file: labels unclear
        seen.add(tuple(keys))
        pool.append((name, title, paragraphs))
    rng.shuffle(pool)
    chosen = pool[: args.articles]
    vocabulary = sorted({w for _, _, ps in pool for p in ps for w in p.split(" ") if re.fullmatch(r"[a-z]{4,}", w)})

    corpus = os.path.join(args.work, "corpus")
    os.makedirs(corpus, exist_ok=True)
    for f in os.listdir(corpus):
        os.remove(os.path.join(corpus, f))
    labelled = []  # (file, [(paragraph, label, kind)])
    for n, (name, title, paragraphs) in enumerate(chosen):
        rows = [(p, "keep", "original") for p in paragraphs]
        rows.append((rng.choice(paragraphs), "remove", "exact"))
        near = None
        for _ in range(10):
            near = change_one_word(rng.choice(paragraphs), rng, vocabulary)
            if near and key(near) not in {key(p) for p, _, _ in rows}:
                break
            near = None
        if near:
            rows.append((near, "remove", "near"))
        other = chosen[(n + 1) % len(chosen)][2]
        rows.append((rng.choice(other), "keep", "unique"))
        path = os.path.join(corpus, f"{n:04d}.txt")
        with open(path, "w") as f:
            f.write(title + "\n\n" + "\n\n".join(p for p, _, _ in rows) + "\n")
        labelled.append((path, rows))

    counts = {kind: [0, 0] for kind in ("original", "exact", "near", "unique")}  # [removed, total]
    short_near = [0, 0]
    tp = fp = fn = 0
    skipped = 0
    for path, rows in labelled:
        out = subprocess.run([SIFT, "inspect", path, "--json", "--near-dup", args.near_dup],
                             capture_output=True, text=True, check=True)
        verdicts = json.loads(out.stdout)["paragraphs"]
        if len(verdicts) != len(rows):
            skipped += 1
            continue
        for (paragraph, label, kind), verdict in zip(rows, verdicts):
            removed = verdict["duplicate_of"] is not None
            counts[kind][0] += removed
            counts[kind][1] += 1
            if kind == "near" and len(paragraph.split()) < 10:
                short_near[0] += removed
                short_near[1] += 1
            if removed and label == "remove":
                tp += 1
            elif removed:
                fp += 1
            elif label == "remove":
                fn += 1

    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"{len(labelled) - skipped} BBC articles ({skipped} passed over: paragraphs split differently), "
          f"--near-dup {args.near_dup}")
    print(f"{'paragraphs':<28} {'removed':>8} {'of':>6}")
    for kind, label in (("original", "originals (keep)"), ("unique", "from another article (keep)"),
                        ("exact", "exact repeats (remove)"), ("near", "one word changed (remove)")):
        print(f"{label:<28} {counts[kind][0]:>8} {counts[kind][1]:>6}")
    print(f"{'  of which under 10 words':<28} {short_near[0]:>8} {short_near[1]:>6}")
    print(f"precision {precision:.4f}  recall {recall:.4f}  (removed {tp + fp}: {tp} right, {fp} wrong; missed {fn})")


if __name__ == "__main__":
    sys.exit(main())
