#!/usr/bin/env python3
"""The SQLite FTS5 peer: python3's sqlite3, porter stemming, bm25() ranking.

  sqlite_peer.py index DOCS.jsonl DB        builds the FTS5 table
  sqlite_peer.py query DB QUERIES.tsv       runs every query (any word may
                                            match), top 10 with stored fields;
                                            prints one line per query:
                                            id<TAB>microseconds
"""

import json
import re
import sqlite3
import sys

from timed_queries import run_each


def index(docs, db):
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("CREATE VIRTUAL TABLE docs USING fts5(path UNINDEXED, title, body, tokenize='porter unicode61')")
    with open(docs, encoding="utf-8") as f:
        rows = (
            (d["path"], d["title"], d["body"])
            for d in map(json.loads, f)
        )
        con.executemany("INSERT INTO docs(path, title, body) VALUES (?, ?, ?)", rows)
    con.commit()
    con.close()


def fts_query(text):
    """Any word may match, as sift --any and tantivy's default OR; phrases stay phrases."""
    phrases = re.findall(r'"([^"]+)"', text)
    words = re.sub(r'"[^"]+"', " ", text).split()
    parts = [f'"{p}"' for p in phrases] + [f'"{w}"' for w in words]
    return " OR ".join(parts)


def query(db, queries):
    con = sqlite3.connect(db)
    sql = "SELECT path, title, body FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 10"
    run_each(queries, lambda text: con.execute(sql, (fts_query(text),)).fetchall())


if __name__ == "__main__":
    if sys.argv[1] == "index":
        index(sys.argv[2], sys.argv[3])
    else:
        query(sys.argv[2], sys.argv[3])
