#!/usr/bin/env python3
"""Precision and recall of sift's corpus-wide normalization, on labelled data:
duplicate stories (near-identical copies) and boilerplate paragraphs.

Takes real articles from the BBC news set (../shared/corpora/bbc-news),
keeps one of each group of articles that are already alike (word 5-shingle
Jaccard >= 0.5 between them), and writes a corpus of:

- base articles;
- an edited copy of some of them (label: same story), one edit each, in
  turn: a new title; a new title and one word changed; a paragraph of
  another article added at the end; the last paragraph dropped; two words
  changed in two paragraphs;
- follow-up articles that quote one paragraph of a base article at their
  head (label: another story, a hard negative);
- a sign-off paragraph at the end of some base articles (label:
  boilerplate), and one paragraph shared by only three articles (label: not
  boilerplate at the default threshold of 5 stories).

sift indexes it; `stats --duplicates --json` gives its story groups and
`stats --json` its boilerplate, scored against the labels. Each copy's
Jaccard similarity to its original (this script's own measure) is printed
beside the recall of its edit kind, so a miss can be told from a copy
that is not near-identical by the threshold's definition.

Usage: python3 bench/stories.py [--articles 900] [--copies 200] [--followups 100]
"""

import argparse
import collections
import itertools
import json
import os
import random
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import paragraphs as labelled  # noqa: E402  (the BBC reader and word changer)

ROOT = labelled.ROOT
SIFT = labelled.SIFT
SIGN_OFF = "Reporting by Jane Doe in London; editing by John Roe."
RARE = "The company declined to comment on the report when contacted on Friday."
EDITS = ["new title", "new title, one word changed", "paragraph added",
         "last paragraph dropped", "two words changed"]


def shingles(title, paragraphs):
    words = re.findall(r"[^\W_]+", (title + " " + " ".join(paragraphs)).lower())
    return {tuple(words[i:i + 5]) for i in range(len(words) - 4)}


def jaccard(a, b):
    return len(a & b) / max(1, len(a | b))


def distinct_articles():
    """BBC articles, one of each group of alike ones."""
    pool, seen = [], set()
    for name, title, paragraphs in labelled.articles():
        keys = tuple(labelled.key(p) for p in paragraphs)
        if len(paragraphs) < 3 or keys in seen:
            continue
        seen.add(keys)
        pool.append((name, title, paragraphs, shingles(title, paragraphs)))
    holders = collections.defaultdict(list)
    for i, article in enumerate(pool):
        for shingle in article[3]:
            holders[shingle].append(i)
    shared = collections.Counter()
    for ids in holders.values():
        if 1 < len(ids) <= 50:
            shared.update(itertools.combinations(ids, 2))
    dropped = set()
    for (a, b), _ in shared.items():
        if a not in dropped and b not in dropped and jaccard(pool[a][3], pool[b][3]) >= 0.5:
            dropped.add(b)
    return [article for i, article in enumerate(pool) if i not in dropped]


def edit(kind, title, paragraphs, other, rng, vocabulary):
    """An edited copy of an article, or None when the edit does not apply."""
    paragraphs = list(paragraphs)
    if kind in ("new title", "new title, one word changed"):
        title = other[1]
    if kind == "new title, one word changed":
        i = rng.randrange(1, len(paragraphs))
        paragraphs[i] = labelled.change_one_word(paragraphs[i], rng, vocabulary) or paragraphs[i]
    elif kind == "paragraph added":
        paragraphs.append(other[2][-1])
    elif kind == "last paragraph dropped":
        if len(paragraphs) < 6:
            return None
        paragraphs.pop()
    elif kind == "two words changed":
        for i in rng.sample(range(1, len(paragraphs)), 2):
            paragraphs[i] = labelled.change_one_word(paragraphs[i], rng, vocabulary) or paragraphs[i]
    return title, paragraphs


def write(path, title, paragraphs):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        out.write(title + "\n\n" + "\n\n".join(paragraphs) + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=900)
    parser.add_argument("--copies", type=int, default=200)
    parser.add_argument("--followups", type=int, default=100)
    parser.add_argument("--signed", type=int, default=40)
    parser.add_argument("--near-story", default="0.8")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--work", default="/tmp/sift-stories")
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    rng = random.Random(args.seed)
    pool = distinct_articles()
    rng.shuffle(pool)
    need = args.articles + args.followups + args.copies
    if len(pool) < need:
        sys.exit(f"only {len(pool)} distinct articles, {need} needed")
    base = pool[: args.articles]
    followups = pool[args.articles: args.articles + args.followups]
    donors = pool[args.articles + args.followups: need]
    vocabulary = sorted({w for a in pool for p in a[2] for w in p.split(" ")
                         if re.fullmatch(r"[a-z]{4,}", w)})

    corpus = os.path.join(args.work, "corpus")
    shutil.rmtree(args.work, ignore_errors=True)
    texts = {}
    for i, (_, title, paragraphs, _) in enumerate(base):
        paragraphs = list(paragraphs)
        if i < args.signed:
            paragraphs.append(SIGN_OFF)
        if args.signed <= i < args.signed + 3:
            paragraphs.append(RARE)
        texts[f"base/{i:04d}.txt"] = (title, paragraphs)
    truth, kinds = set(), {}
    copied = rng.sample(range(args.articles), args.copies)
    for n, i in enumerate(copied):
        original = f"base/{i:04d}.txt"
        title, paragraphs = texts[original]
        kind = EDITS[n % len(EDITS)]
        edited = edit(kind, title, paragraphs, donors[n], rng, vocabulary)
        if edited is None:
            kind = "new title"
            edited = edit(kind, title, paragraphs, donors[n], rng, vocabulary)
        copy = f"copies/{n:04d}.txt"
        texts[copy] = edited
        truth.add((original, copy))
        kinds[(original, copy)] = kind
    negatives = set()
    for n, (_, title, paragraphs, _) in enumerate(followups):
        quoted = f"base/{rng.randrange(args.signed + 3, args.articles):04d}.txt"
        # The quoted paragraph leads the body, after the article's own lead.
        body = [paragraphs[0], texts[quoted][1][1]] + list(paragraphs[1:])
        follow = f"followups/{n:04d}.txt"
        texts[follow] = (title, body)
        negatives.add((quoted, follow))
    for path, (title, paragraphs) in texts.items():
        write(os.path.join(corpus, path), title, paragraphs)

    index = os.path.join(args.work, "index")
    run = subprocess.run([SIFT, "index", corpus, "--index", index, "--quiet",
                          "--near-story", args.near_story],
                         capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(run.stderr)
    groups = json.loads(subprocess.run(
        [SIFT, "stats", "--index", index, "--duplicates", "--json"],
        capture_output=True, text=True, check=True).stdout)
    stats = json.loads(subprocess.run(
        [SIFT, "stats", "--index", index, "--json"],
        capture_output=True, text=True, check=True).stdout)

    predicted = {tuple(sorted(pair)) for group in groups
                 for pair in itertools.combinations(group, 2)}
    truth = {tuple(sorted(pair)) for pair in truth}
    kinds = {tuple(sorted(pair)): kind for pair, kind in kinds.items()}
    hits = predicted & truth
    print(f"corpus: {len(base)} base articles ({args.signed} signed off), "
          f"{len(truth)} edited copies, {len(negatives)} follow-ups quoting a base paragraph\n")
    print("| duplicate stories | pairs | grouped by sift |")
    print("|---|---|---|")
    print(f"| edited copies (same story) | {len(truth)} | {len(hits)} |")
    grouped_negatives = sum(1 for pair in negatives if tuple(sorted(pair)) in predicted)
    print(f"| follow-ups quoting a paragraph (other story) | {len(negatives)} | {grouped_negatives} |")
    print(f"| any other pair | — | {len(predicted - truth - {tuple(sorted(p)) for p in negatives})} |")
    precision = len(hits) / len(predicted) if predicted else 1.0
    recall = len(hits) / len(truth) if truth else 1.0
    print(f"\n**Precision {precision:.4f}, recall {recall:.4f}** (pairs of files in one group, "
          f"--near-story {args.near_story})")
    shingled = {path: shingles(*texts[path]) for path in texts}
    threshold = float(args.near_story)
    alike = [p for p in truth if jaccard(shingled[p[0]], shingled[p[1]]) >= threshold + 0.01]
    print(f"copies more than {threshold:.2f} similar to their original by this script's measure: "
          f"{sum(1 for p in alike if p in predicted)} of {len(alike)} grouped\n")
    print("| edit | copies | grouped | Jaccard to the original (min / median) |")
    print("|---|---|---|---|")
    for kind in EDITS:
        pairs = [p for p in truth if kinds[p] == kind]
        if not pairs:
            continue
        similarities = sorted(jaccard(shingled[a], shingled[b]) for a, b in pairs)
        grouped = sum(1 for p in pairs if p in predicted)
        print(f"| {kind} | {len(pairs)} | {grouped} | "
              f"{similarities[0]:.2f} / {similarities[len(similarities) // 2]:.2f} |")

    found = [(b["stories"], b["text"]) for b in stats["top_boilerplate"]]
    expected = {labelled.key(SIGN_OFF)}
    found_keys = {labelled.key(text) for _, text in found}
    print(f"\nboilerplate: {stats['boilerplate_paragraphs']} found")
    for stories, text in found:
        print(f"  {stories:>4} stories  {text[:70]}")
    print(f"sign-off found: {labelled.key(SIGN_OFF) in found_keys}; "
          f"paragraph of 3 articles found: {labelled.key(RARE) in found_keys}; "
          f"others: {len(found_keys - expected - {labelled.key(RARE)})}")


if __name__ == "__main__":
    main()
