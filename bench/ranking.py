#!/usr/bin/env python3
"""Ranking quality of sift on the IR test collections, measured.

1. Converts CACM and Cranfield (../shared/corpora) with ir_collections.py.
2. Indexes each with the release build of sift.
3. Tunes the query-side settings that move the figure (stop-word list,
   title boost) by two-fold cross-validation over query halves: the setting
   with the best MAP on the odd-numbered queries is scored on the even ones,
   and the other way round. Single judgements are never looked at.
4. Reports nDCG@10, MAP, P@10 and Recall@100 of sift's defaults next to the
   published Anserini BM25 figure (CACM MAP 0.3123).
5. Cross-checks `sift eval` against pytrec_eval (trec_eval's own code) on the
   same TREC run: every figure must agree to 4 decimals.
6. Injects duplicate paragraphs into 30 % of the CACM documents (seeded) and
   compares MAP with and without sift's paragraph de-duplication.

Usage: python3 bench/ranking.py [--work DIR]   (run from the repository root)
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIFT = os.path.join(ROOT, "target", "release", "sift")
STOP_LISTS = ["none", "short", "smart"]
TITLE_BOOSTS = [0.5, 1.0, 1.5, 2.0, 3.0]
ANSERINI = {"cacm": {"map": 0.3123}}


def run(*args, **kwargs):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs).stdout


def index(docs, idx, *extra):
    run(SIFT, "index", docs, "--index", idx, "--quiet", "--rebuild", *extra)


def evaluate(collection, idx, stop=None, boost=None, per_query=False):
    """sift eval; stop list and title boost left at sift's defaults when None."""
    args = [SIFT, "eval", f"{collection}/queries.tsv", f"{collection}/qrels", "--index", idx,
            "--any", "--plain", "--json"]
    if stop is not None:
        args += ["--stop-words", stop]
    if boost is not None:
        args += ["--title-boost", str(boost)]
    if per_query:
        args.append("--per-query")
    return json.loads(run(*args))


def mean(values):
    return sum(values) / len(values) if values else 0.0


def cross_validate(collection, idx):
    """Two-fold CV over odd/even query ids; returns the chosen setting per
    fold, the held-out MAP, and the full grid."""
    grid = {}
    for stop in STOP_LISTS:
        for boost in TITLE_BOOSTS:
            grid[(stop, boost)] = evaluate(collection, idx, stop, boost, per_query=True)["per_query"]
    folds = {"odd": lambda q: int(q) % 2 == 1, "even": lambda q: int(q) % 2 == 0}
    results = []
    for train, test in [("odd", "even"), ("even", "odd")]:
        def fold_map(setting, fold):
            return mean([m["map"] for q, m in grid[setting].items() if folds[fold](q)])
        best = max(grid, key=lambda s: fold_map(s, train))
        results.append((train, best, fold_map(best, train), fold_map(best, test)))
    return results, grid


def cross_check(collection, idx):
    """sift eval vs pytrec_eval on the same run file."""
    import pytrec_eval

    run_text = run(SIFT, "search", "--batch", f"{collection}/queries.tsv", "--format", "trec",
                   "--index", idx, "--any", "--plain", "--limit", "1000", "--snippet-chars", "0")
    trec_run = {}
    for line in run_text.splitlines():
        qid, _, doc, _, score, _ = line.split()
        trec_run.setdefault(qid, {})[doc] = float(score)
    qrels = {}
    with open(f"{collection}/qrels") as f:
        for line in f:
            qid, _, doc, rel = line.split()
            qrels.setdefault(qid, {})[doc] = int(rel)
    judged = [q for q, docs in qrels.items() if any(r >= 1 for r in docs.values())]
    evaluator = pytrec_eval.RelevanceEvaluator(
        {q: qrels[q] for q in judged}, {"ndcg_cut.10", "map", "P.10", "recall.100"})
    per_query = evaluator.evaluate({q: trec_run.get(q, {}) for q in judged})
    theirs = {
        "ndcg_10": mean([per_query.get(q, {}).get("ndcg_cut_10", 0.0) for q in judged]),
        "map": mean([per_query.get(q, {}).get("map", 0.0) for q in judged]),
        "p_10": mean([per_query.get(q, {}).get("P_10", 0.0) for q in judged]),
        "recall_100": mean([per_query.get(q, {}).get("recall_100", 0.0) for q in judged]),
    }
    ours = evaluate(collection, idx)["mean"]
    return ours, theirs


def inject_duplicates(docs, out, share=0.3, seed=1):
    """Copies the documents, pasting the body of a seeded share of them twice."""
    rng = random.Random(seed)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    doubled = 0
    for name in sorted(os.listdir(docs)):
        with open(os.path.join(docs, name), encoding="utf-8") as f:
            text = f.read()
        title, _, body = text.partition("\n")
        if body.strip() and rng.random() < share:
            text = title + "\n" + body.rstrip("\n") + "\n\n" + body.strip("\n") + "\n"
            doubled += 1
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            f.write(text)
    return doubled


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", default="/tmp/sift-ranking")
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    shared = os.path.join(ROOT, "..", "shared", "corpora")
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "ir_collections.py"), shared, args.work], check=True)

    print("\n## sift's defaults (eval --any --plain; stop words: smart; title boost 1.5)\n")
    print("| collection | queries | nDCG@10 | MAP | P@10 | Recall@100 | published BM25 MAP |")
    print("|---|---|---|---|---|---|---|")
    for name in ["cacm", "cranfield"]:
        collection = os.path.join(args.work, name)
        idx = os.path.join(collection, "index")
        index(os.path.join(collection, "docs"), idx)
        figures = evaluate(collection, idx)
        m = figures["mean"]
        published = ANSERINI.get(name, {}).get("map")
        published = f"{published:.4f} (Anserini)" if published else "-"
        print(f"| {name} | {figures['queries']} | {m['ndcg_10']:.4f} | {m['map']:.4f} | {m['p_10']:.4f} "
              f"| {m['recall_100']:.4f} | {published} |")

    for name in ["cacm", "cranfield"]:
        collection = os.path.join(args.work, name)
        idx = os.path.join(collection, "index")
        results, grid = cross_validate(collection, idx)
        print(f"\n## {name}: two-fold cross-validation over query halves (MAP)\n")
        print("| tuned on | chosen (stop words, title boost) | MAP on tuning half | MAP on held-out half |")
        print("|---|---|---|---|")
        for train, best, train_map, test_map in results:
            print(f"| {train} ids | {best[0]}, {best[1]} | {train_map:.4f} | {test_map:.4f} |")
        print(f"\nfull grid, MAP over all queries ({name}):\n")
        print("| stop words | " + " | ".join(f"boost {b}" for b in TITLE_BOOSTS) + " |")
        print("|---|" + "---|" * len(TITLE_BOOSTS))
        for stop in STOP_LISTS:
            cells = [f"{mean([m['map'] for m in grid[(stop, b)].values()]):.4f}" for b in TITLE_BOOSTS]
            print(f"| {stop} | " + " | ".join(cells) + " |")

    print("\n## sift eval vs pytrec_eval, same run (defaults)\n")
    print("| collection | measure | sift eval | pytrec_eval | agree to 4 decimals |")
    print("|---|---|---|---|---|")
    agree_all = True
    for name in ["cacm", "cranfield"]:
        collection = os.path.join(args.work, name)
        ours, theirs = cross_check(collection, os.path.join(collection, "index"))
        for measure in ["ndcg_10", "map", "p_10", "recall_100"]:
            agree = f"{ours[measure]:.4f}" == f"{theirs[measure]:.4f}"
            agree_all &= agree
            print(f"| {name} | {measure} | {ours[measure]:.4f} | {theirs[measure]:.4f} | {'yes' if agree else 'NO'} |")

    print("\n## Paragraph de-duplication on CACM with injected duplicates (30 % of documents pasted twice)\n")
    cacm = os.path.join(args.work, "cacm")
    injected = os.path.join(args.work, "cacm-doubled")
    doubled = inject_duplicates(os.path.join(cacm, "docs"), os.path.join(injected, "docs"))
    shutil.copy(os.path.join(cacm, "queries.tsv"), injected)
    shutil.copy(os.path.join(cacm, "qrels"), injected)
    idx = os.path.join(injected, "index")
    print(f"{doubled} of 3204 documents doubled\n")
    print("| corpus | nDCG@10 | MAP |")
    print("|---|---|---|")
    original = evaluate(cacm, os.path.join(cacm, "index"))["mean"]
    print(f"| original | {original['ndcg_10']:.4f} | {original['map']:.4f} |")
    index(os.path.join(injected, "docs"), idx, "--keep-duplicates")
    kept = evaluate(injected, idx)["mean"]
    print(f"| doubled, duplicates kept | {kept['ndcg_10']:.4f} | {kept['map']:.4f} |")
    index(os.path.join(injected, "docs"), idx)
    removed = evaluate(injected, idx)["mean"]
    print(f"| doubled, sift de-duplication | {removed['ndcg_10']:.4f} | {removed['map']:.4f} |")
    if not agree_all:
        sys.exit("sift eval and pytrec_eval disagree")


if __name__ == "__main__":
    main()
