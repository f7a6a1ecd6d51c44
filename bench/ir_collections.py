#!/usr/bin/env python3
"""Turns the IR test collections of ../shared/corpora into what sift reads.

For each collection, writes under OUT/<name>/:
  docs/<docid>   one file per document: title line, blank line, text
  queries.tsv    id<TAB>query, one per line
  qrels          TREC qrels: query-id 0 doc-id relevance

CACM: the Anserini documents (cacm.tar.gz, <html><pre> wrappers removed),
the 64 queries of smart-format/query.text (the stray `.I 0` record dropped)
and Anserini's qrels.cacm.txt. Cranfield: .T and .W of cran.all.1400, the
225 queries of cran.qry numbered 1..225 in file order (as the qrels number
them), and cranqrel with Cleverdon's codes turned into gains (1 complete
answer -> 4, 2 -> 3, 3 -> 2, 4 minimum interest -> 1, -1 -> 0).

Usage: ir_collections.py SHARED_CORPORA OUT
"""

import gzip
import os
import re
import sys
import tarfile


def smart_records(text):
    """Yields {field: text} for each `.I` record of a SMART-format file."""
    record, field = None, None
    for line in text.splitlines():
        match = re.match(r"^\.([A-Z])(?:\s+(\S+))?\s*$", line)
        if match:
            if match.group(1) == "I":
                if record is not None:
                    yield record
                record, field = {"I": match.group(2)}, None
            else:
                field = match.group(1)
                record.setdefault(field, "")
        elif record is not None and field is not None:
            record[field] += line + "\n"
    if record is not None:
        yield record


def one_line(text):
    return " ".join(text.split())


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def cacm(shared, out):
    docs = os.path.join(out, "docs")
    os.makedirs(docs, exist_ok=True)
    with tarfile.open(os.path.join(shared, "cacm", "cacm.tar.gz")) as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            name = os.path.basename(member.name)
            docid = name.rsplit(".", 1)[0]
            raw = tar.extractfile(member).read().decode("utf-8", "replace")
            text = re.sub(r"</?(html|pre)>", "", raw).strip("\n")
            write(os.path.join(docs, docid), text.strip() + "\n")
    with open(os.path.join(shared, "cacm", "smart-format", "query.text"), encoding="utf-8") as f:
        queries = [
            (r["I"].lstrip("0") or "0", one_line(r.get("W", "")))
            for r in smart_records(f.read())
        ]
    queries = [(qid, q) for qid, q in queries if qid != "0" and q]
    write(os.path.join(out, "queries.tsv"), "".join(f"{qid}\t{q}\n" for qid, q in queries))
    with open(os.path.join(shared, "cacm", "qrels.cacm.txt"), encoding="utf-8") as f:
        write(os.path.join(out, "qrels"), f.read())
    return len(os.listdir(docs)), len(queries)


def cranfield(shared, out):
    docs = os.path.join(out, "docs")
    os.makedirs(docs, exist_ok=True)
    with open(os.path.join(shared, "cranfield", "cran.all.1400"), encoding="utf-8") as f:
        records = list(smart_records(f.read()))
    for r in records:
        title = one_line(r.get("T", "")) or "(untitled)"
        write(os.path.join(docs, r["I"]), title + "\n\n" + r.get("W", "").strip() + "\n")
    with open(os.path.join(shared, "cranfield", "cran.qry"), encoding="utf-8") as f:
        queries = [one_line(r.get("W", "")) for r in smart_records(f.read())]
    write(os.path.join(out, "queries.tsv"), "".join(f"{i}\t{q}\n" for i, q in enumerate(queries, 1)))
    lines = []
    with open(os.path.join(shared, "cranfield", "cranqrel"), encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3:
                qid, docid, code = parts
                gain = {"1": 4, "2": 3, "3": 2, "4": 1}.get(code, 0)
                lines.append(f"{qid} 0 {docid} {gain}\n")
    write(os.path.join(out, "qrels"), "".join(lines))
    return len(records), len(queries)


def main():
    shared, out = sys.argv[1], sys.argv[2]
    for name, build in [("cacm", cacm), ("cranfield", cranfield)]:
        docs, queries = build(shared, os.path.join(out, name))
        print(f"{name}: {docs} documents, {queries} queries", file=sys.stderr)


if __name__ == "__main__":
    main()
