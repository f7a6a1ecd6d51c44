#!/usr/bin/env python3
"""Writes a deterministic corpus of N dispatches in the reference format.

Each dispatch: a category-prefixed title, a dateline (`PLACE, Mon. D
(Xinhua) -- `), then 4 to 12 paragraphs drawn from a Zipf-distributed
vocabulary of 50,000 made-up words; about 30 % of files have their body
pasted twice, about 5 % of paragraphs are boilerplate shared across files;
folders hold 100 files each; about 3 KB per file. Also writes:

  queries.tsv   200 queries (id<TAB>query): 1-3 words, and a few phrases
  docs.jsonl    the same files as JSON lines {path, title, body}, the input
                the peers index (prepared here so that it is not timed)

Usage: gen_corpus.py N OUT [--seed S]
"""

import argparse
import itertools
import json
import os
import random

VOCABULARY = 50_000
MONTHS = ["Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec."]
PLACES = ["PARIS", "BEIJING", "LONDON", "BUENOS AIRES", "NEW YORK", "UNITED NATIONS", "NAIROBI", "TOKYO",
          "MOSCOW", "CAIRO", "BERLIN", "SYDNEY", "RIO DE JANEIRO", "NEW DELHI", "GENEVA", "OTTAWA"]
CATEGORIES = ["国际英语资讯", "体育英语资讯", "财经英语资讯", "科技英语资讯"]


def make_vocabulary(rng):
    syllables = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"] + ["an", "el", "is", "or", "un"]
    words, seen = [], set()
    while len(words) < VOCABULARY:
        word = "".join(rng.choice(syllables) for _ in range(rng.choice([1, 2, 2, 3, 3, 4])))
        if word not in seen:
            seen.add(word)
            words.append(word)
    weights = [1.0 / (rank + 1) for rank in range(VOCABULARY)]
    return words, list(itertools.accumulate(weights))


def sentence(rng, words, cum, n):
    chosen = rng.choices(words, cum_weights=cum, k=n)
    chosen[0] = chosen[0].capitalize()
    return " ".join(chosen) + "."


def paragraph(rng, words, cum):
    return " ".join(sentence(rng, words, cum, rng.randint(9, 20)) for _ in range(rng.randint(2, 4)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    words, cum = make_vocabulary(rng)
    boilerplate = [
        "Editor: " + sentence(rng, words, cum, 6),
        "(c) Xinhua News Agency. All rights reserved. " + sentence(rng, words, cum, 5),
        "Subscribe to our newsletter for the latest " + sentence(rng, words, cum, 4),
    ] + [sentence(rng, words, cum, 12) for _ in range(7)]
    corpus = os.path.join(args.out, "corpus")
    os.makedirs(corpus, exist_ok=True)
    total = 0
    with open(os.path.join(args.out, "docs.jsonl"), "w", encoding="utf-8") as jsonl:
        for i in range(args.n):
            folder = os.path.join(corpus, f"{i // 10000:03d}", f"{(i // 100) % 100:02d}")
            if i % 100 == 0:
                os.makedirs(folder, exist_ok=True)
            title = sentence(rng, words, cum, rng.randint(5, 10))[:-1]
            dateline = f"{rng.choice(PLACES)}, {rng.choice(MONTHS)} {rng.randint(1, 28)} (Xinhua) -- "
            paragraphs = []
            for _ in range(rng.randint(4, 12)):
                if rng.random() < 0.05:
                    paragraphs.append(rng.choice(boilerplate))
                else:
                    paragraphs.append(paragraph(rng, words, cum))
            paragraphs[0] = dateline + paragraphs[0]
            if rng.random() < 0.30:
                paragraphs = paragraphs + paragraphs
            body = "\n".join(paragraphs)
            text = f"{rng.choice(CATEGORIES)}:{title}\n{body}"
            name = f"{i:07d}.txt"
            data = text.encode("utf-8")
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
            total += len(data)
            rel = os.path.relpath(os.path.join(folder, name), corpus)
            jsonl.write(json.dumps({"path": rel, "title": title, "body": body}, ensure_ascii=False) + "\n")
    # Queries: mid-frequency words (ranks 50-5000), 1 to 3 of them, and phrases.
    queries = []
    for q in range(190):
        n = rng.choice([1, 1, 2, 2, 3])
        queries.append(" ".join(words[rng.randint(50, 5000)] for _ in range(n)))
    for q in range(10):
        queries.append('"' + " ".join(words[rng.randint(0, 200)] for _ in range(2)) + '"')
    with open(os.path.join(args.out, "queries.tsv"), "w", encoding="utf-8") as f:
        f.writelines(f"{i}\t{q}\n" for i, q in enumerate(queries, 1))
    print(f"{args.n} files, {total / 1e6:.1f} MB in {corpus}")


if __name__ == "__main__":
    main()
