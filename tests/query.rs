//! The query language, filters, facets, sorting, batch runs and `sift eval`.

use crate::util::{TestCorpus, paths};

const REFERENCE: &str = "000_e9f58710e6d47200.txt";
const PANDA: &str = "2017/02/20170216_beijing_panda.txt";

/// The sample corpus indexed with every dateline dated in 2017.
fn dated_sample() -> TestCorpus {
    let corpus = TestCorpus::sample();
    let out = corpus.run(&["index", "corpus", "--year", "2017"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    corpus
}

fn sorted(corpus: &TestCorpus, args: &[&str]) -> Vec<String> {
    let mut all = args.to_vec();
    all.extend(["--limit", "50"]);
    let mut p: Vec<String> = paths(&corpus.search_json(&all))
        .into_iter()
        .map(String::from)
        .collect();
    p.sort();
    p
}

#[test]
fn phrase_slop_prefix_and_boost() {
    let corpus = dated_sample();
    assert!(sorted(&corpus, &["\"retaliatory when\""]).is_empty());
    assert_eq!(sorted(&corpus, &["\"retaliatory when\"~2"]), [REFERENCE]);
    assert_eq!(
        sorted(&corpus, &["elect*"]),
        [REFERENCE, "003_tokyo_bom.txt"]
    );
    assert_eq!(sorted(&corpus, &["title:elect*"]), [REFERENCE]);
    assert_eq!(
        sorted(&corpus, &["place:buenos*"]),
        ["001_buenos_aires_wrapped.txt"]
    );
    let score = |query: &str| corpus.search_json(&[query])[0]["score"].as_f64().unwrap();
    let ratio = score("arctic^10") / score("arctic");
    assert!((ratio - 10.0).abs() < 1e-3, "{ratio}");
}

#[test]
fn typos_match_with_tilde_or_fuzzy() {
    let corpus = dated_sample();
    assert!(sorted(&corpus, &["glaceir"]).is_empty());
    assert_eq!(
        sorted(&corpus, &["glaceir~1"]),
        ["010_reykjavik_glacier.txt", "011_oslo_glacier_mention.txt"]
    );
    assert_eq!(
        sorted(&corpus, &["glaceir", "--fuzzy"]),
        ["010_reykjavik_glacier.txt", "011_oslo_glacier_mention.txt"]
    );
    assert!(
        sorted(&corpus, &["glaxxxr~1"]).is_empty(),
        "two edits are not within one"
    );
    // Exact matches outrank fuzzy ones.
    let mixed = corpus.search_json(&["pandas~1 OR panda"]);
    assert_eq!(paths(&mixed).first(), Some(&PANDA));
}

#[test]
fn date_queries_and_filters() {
    let corpus = dated_sample();
    assert_eq!(sorted(&corpus, &["date:2017-02-16"]), [PANDA]);
    assert_eq!(
        sorted(&corpus, &["date:[2017-02-01 TO 2017-02-28]"]),
        [REFERENCE, PANDA]
    );
    assert_eq!(
        sorted(&corpus, &["date:{2017-02-15 TO 2017-02-28]"]),
        [PANDA]
    );
    assert_eq!(
        sorted(
            &corpus,
            &["xinhua", "--since", "2017-08-30", "--until", "2017-08-30"]
        ),
        ["010_reykjavik_glacier.txt"]
    );
    assert_eq!(
        sorted(&corpus, &["xinhua", "--since", "2017-09-01"]),
        ["001_buenos_aires_wrapped.txt"]
    );
    let out = corpus.run(&["search", "date:2017-02-30"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("\"2017-02-30\" is not a date (YYYY-MM-DD)"),
        "{}",
        out.stderr
    );
    let out = corpus.run(&["search", "x", "--since", "yesterday"]);
    assert_eq!(out.code, 2);
}

#[test]
fn field_filters_do_not_change_scores() {
    let corpus = dated_sample();
    assert_eq!(
        sorted(&corpus, &["glacier", "--place", "oslo"]),
        ["011_oslo_glacier_mention.txt"]
    );
    assert_eq!(
        sorted(&corpus, &["court", "--agency", "REUTERS"]),
        ["008_zurich_windows1252.txt"]
    );
    assert_eq!(
        sorted(&corpus, &["冠军", "--category", "体育新闻"]),
        ["007_beijing_gb18030.txt"]
    );
    assert!(sorted(&corpus, &["glacier", "--category", "体育新闻"]).is_empty());
    let unfiltered = corpus.search_json(&["glacier"]);
    let filtered = corpus.search_json(&["glacier", "--place", "OSLO"]);
    let score_of = |hits: &[serde_json::Value]| {
        hits.iter()
            .find(|h| h["path"] == "011_oslo_glacier_mention.txt")
            .and_then(|h| h["score"].as_f64())
    };
    assert_eq!(score_of(&unfiltered), score_of(&filtered));
}

#[test]
fn facets_count_every_hit() {
    let corpus = dated_sample();
    let out = corpus.run(&[
        "search",
        "xinhua OR reuters",
        "--json",
        "--limit",
        "1",
        "--facets",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "one hit, then the facets");
    let facets = &lines[1];
    assert_eq!(facets["total"], 10);
    assert_eq!(
        facets["facets"]["agency"],
        serde_json::json!([["Xinhua", 9], ["Reuters", 1]])
    );
    assert_eq!(
        facets["facets"]["category"],
        serde_json::json!([["国际英语资讯", 9]])
    );
    assert_eq!(facets["facets"]["place"].as_array().map(Vec::len), Some(10));
    let human = corpus.run(&["search", "xinhua OR reuters", "--count", "--facets"]);
    assert!(
        human
            .stdout
            .starts_with("10\nfacets over 10 hits:\n  category  国际英语资讯 (9)\n"),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .contains("  agency    Xinhua (9), Reuters (1)\n"),
        "{}",
        human.stdout
    );
}

#[test]
fn sort_by_date_and_count() {
    let corpus = dated_sample();
    let by_date = corpus.search_json(&[
        "xinhua OR reuters OR stocks",
        "--sort",
        "date",
        "--limit",
        "4",
    ]);
    assert_eq!(
        paths(&by_date),
        [
            "008_zurich_windows1252.txt",
            "001_buenos_aires_wrapped.txt",
            "011_oslo_glacier_mention.txt",
            "010_reykjavik_glacier.txt"
        ]
    );
    let dates: Vec<&str> = by_date.iter().filter_map(|h| h["date"].as_str()).collect();
    assert_eq!(
        dates,
        ["2017-11-07", "2017-09-03", "2017-08-31", "2017-08-30"]
    );
    let count = corpus.run(&["search", "xinhua", "--count"]);
    assert_eq!((count.code, count.stdout.as_str()), (0, "9\n"));
    let none = corpus.run(&["search", "xylophone", "--count", "--json"]);
    assert_eq!((none.code, none.stdout.as_str()), (1, "{\"total\":0}\n"));
}

#[test]
fn exclusions_alone_mean_everything_else() {
    let corpus = dated_sample();
    let out = corpus.run(&["search", "--count", "--", "-xinhua"]);
    assert_eq!(out.stdout, "4\n", "{}", out.stderr);
}

#[test]
fn explain_shows_the_bm25_terms() {
    let corpus = dated_sample();
    let hits = corpus.search_json(&["panda", "--explain", "--limit", "1"]);
    let explanation = hits[0]["explanation"].to_string();
    assert!(explanation.contains("idf"), "{explanation}");
    assert!(
        explanation.contains("Boost x1.5"),
        "the title boost shows: {explanation}"
    );
    let score = hits[0]["score"].as_f64().unwrap();
    let value = hits[0]["explanation"]["value"].as_f64().unwrap();
    assert!((score - value).abs() < 1e-4);
    let human = corpus.run(&["search", "panda", "--explain", "--limit", "1"]);
    assert!(
        human.stdout.contains("k1, term saturation parameter"),
        "{}",
        human.stdout
    );
}

#[test]
fn plain_queries_have_no_syntax() {
    let corpus = dated_sample();
    let out = corpus.run(&["search", "--plain", "--any", "What (glacier): \"ice"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = corpus.run(&["search", "What (glacier): \"ice"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "sift: invalid query \"What (glacier): \\\"ice\": unclosed quote at character 17\n"
    );
}

#[test]
fn errors_point_at_the_problem() {
    let corpus = dated_sample();
    let cases = [
        ("(panda", "unclosed '(' at character 1"),
        ("panda)", "unmatched ')' at character 6"),
        (
            "nosuch:x",
            "unknown field \"nosuch\" (fields: title, body, category, place, agency, date, path)",
        ),
    ];
    for (query, reason) in cases {
        let out = corpus.run(&["search", query]);
        assert_eq!(out.code, 2, "{query}");
        assert_eq!(
            out.stderr,
            format!("sift: invalid query {query:?}: {reason}\n")
        );
    }
}

#[test]
fn batch_runs_write_json_lines_or_a_trec_run() {
    let corpus = dated_sample();
    std::fs::write(
        corpus.home().join("q.tsv"),
        "# id, query\n1\tglacier\n2\tpanda OR malaria\n3\txylophone\n",
    )
    .unwrap();
    let json = corpus.run(&["search", "--batch", "q.tsv", "--limit", "5"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let hits: Vec<serde_json::Value> = json
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ids: Vec<&str> = hits.iter().filter_map(|h| h["query_id"].as_str()).collect();
    assert_eq!(ids, ["1", "1", "2", "2"]);
    assert_eq!(hits[0]["path"], "010_reykjavik_glacier.txt");
    let trec = corpus.run(&["search", "--batch", "q.tsv", "--format", "trec"]);
    let lines: Vec<Vec<&str>> = trec
        .stdout
        .lines()
        .map(|l| l.split(' ').collect())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(
        &lines[0][..4],
        ["1", "Q0", "010_reykjavik_glacier.txt", "1"]
    );
    assert_eq!(
        &lines[1][..4],
        ["1", "Q0", "011_oslo_glacier_mention.txt", "2"]
    );
    assert!(
        lines
            .iter()
            .all(|l| l.len() == 6 && l[5] == "sift" && l[4].parse::<f32>().is_ok())
    );
    std::fs::write(corpus.home().join("bad.tsv"), "1\tglacier\n2\t(broken\n").unwrap();
    let bad = corpus.run(&["search", "--batch", "bad.tsv", "--format", "trec"]);
    assert_eq!(bad.code, 2);
    assert_eq!(bad.stdout.lines().count(), 2, "the good query still ran");
    assert!(
        bad.stderr
            .starts_with("sift: bad.tsv: query 2: invalid query"),
        "{}",
        bad.stderr
    );
}

#[test]
fn batch_threads_keep_the_file_order() {
    let corpus = dated_sample();
    let queries: String = [
        "glacier",
        "panda OR malaria",
        "(broken",
        "xylophone",
        "glacier OR panda",
    ]
    .iter()
    .cycle()
    .take(60)
    .enumerate()
    .map(|(i, q)| format!("{i}\t{q}\n"))
    .collect();
    std::fs::write(corpus.home().join("q.tsv"), queries).unwrap();
    let run = |threads: &str| {
        corpus.run(&[
            "search",
            "--batch",
            "q.tsv",
            "--threads",
            threads,
            "--timings",
        ])
    };
    let one = run("1");
    assert_eq!(one.code, 2, "a broken query makes the batch end with 2");
    assert!(one.stdout.lines().count() > 40, "{}", one.stdout);
    let failed: Vec<&str> = one
        .stderr
        .lines()
        .filter(|l| l.contains("invalid query"))
        .collect();
    assert_eq!(failed.len(), 12);
    assert!(
        failed[0].starts_with("sift: q.tsv: query 2: "),
        "{}",
        failed[0]
    );
    for threads in ["2", "7"] {
        let many = run(threads);
        assert_eq!(many.code, 2);
        assert_eq!(many.stdout, one.stdout, "{threads} threads");
        let ids: Vec<&str> = many
            .stderr
            .lines()
            .filter_map(|l| l.strip_prefix("sift: timing "))
            .map(|l| l.split(' ').next().unwrap())
            .collect();
        let expected: Vec<String> = (0..60).map(|i| i.to_string()).collect();
        assert_eq!(ids, expected, "timings in the file's order");
        let last = many.stderr.lines().last().unwrap();
        assert!(last.starts_with("sift: batch took "), "{last}");
    }
}

#[test]
fn eval_scores_a_run_against_judgements() {
    let corpus = dated_sample();
    std::fs::write(
        corpus.home().join("q.tsv"),
        "1\tglacier\n2\tpanda\n3\txylophone\n",
    )
    .unwrap();
    // Query 1: the relevant document ranks second (AP 0.5); query 2: first
    // (AP 1); query 3: nothing retrieved (AP 0). MAP = 0.5.
    std::fs::write(
        corpus.home().join("qrels"),
        format!("1 0 011_oslo_glacier_mention.txt 1\n2 0 {PANDA} 1\n3 0 {REFERENCE} 1\n4 0 x 0\n"),
    )
    .unwrap();
    let out = corpus.run(&["eval", "q.tsv", "qrels", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let figures: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(figures["queries"], 3);
    let map = figures["mean"]["map"].as_f64().unwrap();
    assert!((map - 0.5).abs() < 1e-9, "{map}");
    let p10 = figures["mean"]["p_10"].as_f64().unwrap();
    assert!((p10 - 2.0 / 30.0).abs() < 1e-9, "{p10}");
    let human = corpus.run(&["eval", "q.tsv", "qrels"]);
    assert!(
        human.stdout.contains("MAP         0.5000\n"),
        "{}",
        human.stdout
    );
    // A query that cannot be parsed ends the evaluation: a MAP without it
    // would not be the run asked for.
    std::fs::write(corpus.home().join("bad.tsv"), "1\tglacier\n2\t(broken\n").unwrap();
    let bad = corpus.run(&["eval", "bad.tsv", "qrels"]);
    assert_eq!(bad.code, 2);
    assert_eq!(bad.stdout, "");
    assert!(
        bad.stderr.starts_with("sift: invalid query"),
        "{}",
        bad.stderr
    );
}

#[test]
fn stop_words_are_dropped_from_bare_words_only() {
    let corpus = dated_sample();
    // "which" and "about" are stop words: the question ranks by "glacier".
    assert_eq!(
        sorted(&corpus, &["which glacier about"]),
        ["010_reykjavik_glacier.txt", "011_oslo_glacier_mention.txt"]
    );
    assert!(sorted(&corpus, &["which glacier about", "--stop-words", "none"]).is_empty());
    // A query of stop words only keeps them; so does a phrase.
    assert_eq!(
        sorted(&corpus, &["\"the country would take\""]),
        [REFERENCE]
    );
    assert!(!sorted(&corpus, &["the"]).is_empty());
}
