#!/usr/bin/env python3
"""The Xapian peer (optional): Xapian's Python bindings, English stemming,
BM25 ranking; `quest` for one query per process.

  xapian_peer.py index DOCS.jsonl DB        builds the database: title and
                                            body indexed with positions,
                                            stemmed (and unstemmed, as
                                            Xapian's STEM_SOME does); path,
                                            title and body stored
  xapian_peer.py query DB QUERIES.tsv       runs every query (any word may
                                            match; phrases stay phrases), top
                                            10 with stored fields; prints one
                                            line per query: id<TAB>microseconds

Runs with a Python that can `import xapian` (Debian: python3-xapian, which
installs for /usr/bin/python3); `indexing.py --xapian` finds one.
"""

import json
import sys

import xapian

from timed_queries import run_each


def index(docs, db):
    database = xapian.WritableDatabase(db, xapian.DB_CREATE_OR_OVERWRITE)
    terms = xapian.TermGenerator()
    terms.set_stemmer(xapian.Stem("english"))
    terms.set_stemming_strategy(xapian.TermGenerator.STEM_SOME)
    with open(docs, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            doc = xapian.Document()
            terms.set_document(doc)
            terms.index_text(d["title"])
            # A gap, so that no phrase spans the title and the body.
            terms.increase_termpos(100)
            terms.index_text(d["body"])
            doc.set_data(json.dumps({"path": d["path"], "title": d["title"], "body": d["body"]}))
            database.add_document(doc)
    database.commit()
    database.close()


def query(db, queries):
    database = xapian.Database(db)
    parser = xapian.QueryParser()
    parser.set_stemmer(xapian.Stem("english"))
    parser.set_stemming_strategy(xapian.QueryParser.STEM_SOME)
    parser.set_database(database)
    parser.set_default_op(xapian.Query.OP_OR)
    enquire = xapian.Enquire(database)

    def run(text):
        enquire.set_query(parser.parse_query(text, xapian.QueryParser.FLAG_DEFAULT))
        for match in enquire.get_mset(0, 10):
            match.document.get_data()

    run_each(queries, run)


if __name__ == "__main__":
    if sys.argv[1] == "index":
        index(sys.argv[2], sys.argv[3])
    else:
        query(sys.argv[2], sys.argv[3])
