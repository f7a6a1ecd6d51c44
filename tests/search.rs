//! `sift search`: ranking, fields, snippets, output formats and exit codes.

use crate::hay;
use crate::util::{TestCorpus, paths};

const REFERENCE: &str = "000_e9f58710e6d47200.txt";

fn indexed_sample() -> TestCorpus {
    let corpus = TestCorpus::sample();
    corpus.index();
    corpus
}

#[test]
fn retaliatory_measures_ranks_the_reference_first() {
    let corpus = indexed_sample();
    let hits = corpus.search_json(&["retaliatory measures"]);
    assert_eq!(paths(&hits).first(), Some(&REFERENCE));
    let hit = &hits[0];
    assert_eq!(hit["rank"], 1);
    assert_eq!(
        hit["title"],
        "France not to accept any foreign meddling in presidential election: FM"
    );
    assert_eq!(hit["category"], "国际英语资讯");
    assert_eq!(hit["place"], "PARIS");
    assert_eq!(hit["agency"], "Xinhua");
    assert_eq!(hit["date"], serde_json::Value::Null);
    assert!(hit["score"].as_f64().unwrap() > 0.0);
    let keys: Vec<&str> = hit
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "agency",
            "category",
            "date",
            "date_text",
            "path",
            "place",
            "rank",
            "score",
            "snippet",
            "title"
        ]
    );
}

#[test]
fn snippet_highlights_point_at_the_matched_words() {
    let corpus = indexed_sample();
    let hits = corpus.search_json(&["retaliatory measures"]);
    let marked = marked(&hits[0]);
    assert!(marked.iter().any(|m| m == "retaliatory"), "{marked:?}");
    assert!(marked.iter().any(|m| m == "measures"), "{marked:?}");
    assert!(!hits[0]["snippet"]["text"].as_str().unwrap().contains('\n'));
}

/// The words a hit's snippet highlights.
fn marked(hit: &serde_json::Value) -> Vec<String> {
    let text = hit["snippet"]["text"].as_str().unwrap();
    hit["snippet"]["highlights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|range| {
            let at = |i: usize| range[i].as_u64().unwrap() as usize;
            text[at(0)..at(1)].to_string()
        })
        .collect()
}

#[test]
fn snippets_find_words_that_do_not_begin_as_their_stem() {
    let corpus = TestCorpus::new();
    // Three words that begin as "hope"'s words do (hop-) but stem to
    // something else come first; "hoping" is far past their windows.
    let filler = "The harbour board met again on Monday. ".repeat(12);
    corpus
        .write(
            "hope.txt",
            format!("Port talks resume\nOSLO, May 2 (Xinhua) -- Hopper cars, hopscotch and a hopper barge. {filler}Negotiators were hoping for a deal.\n"),
        )
        .write(
            "dying.txt",
            "Orchard report\nOSLO, May 3 (Xinhua) -- Growers said the old trees were dying after the frost.\n",
        )
        .write(
            "title.txt",
            "Hope for the orchard\nOSLO, May 4 (Xinhua) -- Growers met on Friday.\n",
        );
    corpus.index();
    let hits = corpus.search_json(&["hope"]);
    assert_eq!(paths(&hits), ["title.txt", "hope.txt"]);
    assert_eq!(marked(&hits[1]), ["hoping"]);
    // A title match only: the body's start, nothing highlighted.
    assert_eq!(marked(&hits[0]), Vec::<String>::new());
    assert!(
        hits[0]["snippet"]["text"]
            .as_str()
            .unwrap()
            .starts_with("OSLO, May 4")
    );
    // English stemming's exceptions: "dying" stems to "die".
    let hits = corpus.search_json(&["die"]);
    assert_eq!(paths(&hits), ["dying.txt"]);
    assert_eq!(marked(&hits[0]), ["dying"]);
}

#[test]
fn a_title_word_outranks_a_body_mention() {
    let corpus = TestCorpus::new();
    corpus
        .write("body.txt", hay::QUOKKA_BODY)
        .write("title.txt", hay::QUOKKA_TITLE);
    corpus.index();
    assert_eq!(
        paths(&corpus.search_json(&["quokka"])),
        ["title.txt", "body.txt"]
    );
    let sample = indexed_sample();
    assert_eq!(
        paths(&sample.search_json(&["glacier"])),
        ["010_reykjavik_glacier.txt", "011_oslo_glacier_mention.txt"]
    );
}

#[test]
fn cjk_words_are_found_inside_longer_runs() {
    let corpus = indexed_sample();
    let hits = corpus.search_json(&["英语", "--limit", "20"]);
    assert!(paths(&hits).contains(&REFERENCE));
    assert_eq!(hits.len(), 9, "every 国际英语资讯 dispatch");
    assert_eq!(
        paths(&corpus.search_json(&["大熊猫"])),
        ["2017/02/20170216_beijing_panda.txt"]
    );
    assert_eq!(
        paths(&corpus.search_json(&["女排"])),
        ["007_beijing_gb18030.txt"]
    );
    assert!(corpus.search_json(&["熊大"]).is_empty());
}

#[test]
fn diacritics_and_case_fold() {
    let corpus = indexed_sample();
    assert_eq!(
        paths(&corpus.search_json(&["muller"])),
        ["008_zurich_windows1252.txt"]
    );
    assert_eq!(
        paths(&corpus.search_json(&["MÜLLER"])),
        ["008_zurich_windows1252.txt"]
    );
}

#[test]
fn query_language() {
    let corpus = indexed_sample();
    let search = |q: &str| {
        let mut p: Vec<String> = paths(&corpus.search_json(&[q, "--limit", "20"]))
            .into_iter()
            .map(String::from)
            .collect();
        p.sort();
        p
    };
    assert_eq!(search("\"retaliatory measures\""), [REFERENCE]);
    assert_eq!(search("\"measures retaliatory\""), Vec::<String>::new());
    assert_eq!(search("place:paris"), [REFERENCE]);
    assert_eq!(search("agency:reuters"), ["008_zurich_windows1252.txt"]);
    assert_eq!(search("title:glacier"), ["010_reykjavik_glacier.txt"]);
    assert_eq!(search("glacier -iceland"), ["011_oslo_glacier_mention.txt"]);
    assert_eq!(
        search("glacier NOT iceland"),
        ["011_oslo_glacier_mention.txt"]
    );
    assert_eq!(
        search("glacier AND NOT iceland"),
        ["011_oslo_glacier_mention.txt"]
    );
    assert_eq!(search("+glacier +norway"), ["011_oslo_glacier_mention.txt"]);
    assert_eq!(
        search("panda OR malaria"),
        ["006_geneva_utf16.txt", "2017/02/20170216_beijing_panda.txt"]
    );
    assert_eq!(search("panda AND malaria"), Vec::<String>::new());
    assert_eq!(
        search("(panda OR malaria) AND chengdu"),
        ["2017/02/20170216_beijing_panda.txt"]
    );
}

#[test]
fn all_words_must_match_unless_any() {
    let corpus = indexed_sample();
    assert!(corpus.search_json(&["panda malaria"]).is_empty());
    assert_eq!(corpus.search_json(&["panda malaria", "--any"]).len(), 2);
}

#[test]
fn limit_and_offset_page_through_hits() {
    let corpus = indexed_sample();
    let all = corpus.search_json(&["英语", "--limit", "20"]);
    assert_eq!(all.len(), 9);
    let page = corpus.search_json(&["英语", "--limit", "3", "--offset", "3"]);
    assert_eq!(paths(&page), paths(&all[3..6]));
    assert_eq!(page[0]["rank"], 4);
}

#[test]
fn human_output_when_piped_is_plain() {
    let corpus = TestCorpus::new();
    corpus.write("title.txt", hay::QUOKKA_TITLE);
    corpus.index();
    let out = corpus.run(&["search", "quokka"]);
    assert_eq!(out.code, 0);
    let score = out
        .stdout
        .split("  (")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .unwrap();
    assert_eq!(
        out.stdout,
        format!(
            "1. Quokka colony found on island  ({score})\n   title.txt · PERTH · Feb. 2 · Xinhua\n   \
             PERTH, Feb. 2 (Xinhua) -- Rangers counted three hundred animals on the island this week.\n\n1-1 of 1 hits\n"
        )
    );
    assert!(!out.stdout.contains('\x1b'));
    assert_eq!(out.stderr, "");
}

#[test]
fn no_hits_exits_1_with_nothing_printed() {
    let corpus = indexed_sample();
    let out = corpus.run(&["search", "xylophone"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (1, "", "")
    );
}

#[test]
fn bad_queries_exit_2_with_one_line() {
    let corpus = indexed_sample();
    for query in ["\"unbalanced", "(unbalanced", "nosuchfield:x", "", "   "] {
        let out = corpus.run(&["search", query]);
        assert_eq!(out.code, 2, "{query:?}");
        assert_eq!(out.stdout, "", "{query:?}");
        assert!(
            out.stderr.starts_with("sift: invalid query"),
            "{query:?}: {}",
            out.stderr
        );
        assert_eq!(out.stderr.lines().count(), 1, "{query:?}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"));
    }
}

#[test]
fn limit_zero_counts_only() {
    let corpus = indexed_sample();
    let out = corpus.run(&["search", "glacier", "--limit", "0"]);
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout, "");
}

/// A story filed under several names shows once, at the first of its
/// paths, with the others as copies; `--all-copies` lists every file.
#[test]
fn copies_of_one_story_show_once() {
    let corpus = TestCorpus::new();
    // The same dispatch three times (one with other line ends: identical
    // after normalization), and a different story on the same subject.
    corpus
        .write("c.txt", hay::QUOKKA_BODY)
        .write("a.txt", hay::QUOKKA_BODY)
        .write("sub/b.txt", hay::QUOKKA_BODY_CRLF)
        .write(
            "d.txt",
            hay::QUOKKA_TITLE.replace("Rangers", "Ferry rangers"),
        );
    corpus.index();
    let hits = corpus.search_json(&["ferry"]);
    assert_eq!(paths(&hits), ["a.txt", "d.txt"]);
    assert_eq!(hits[0]["copies"], serde_json::json!(["c.txt", "sub/b.txt"]));
    assert!(hits[1].get("copies").is_none());
    // Paging counts stories, not files.
    assert_eq!(
        paths(&corpus.search_json(&["ferry", "--offset", "1"])),
        ["d.txt"]
    );
    let all = corpus.search_json(&["ferry", "--all-copies"]);
    assert_eq!(all.len(), 4);
    assert!(all.iter().all(|hit| hit.get("copies").is_none()));
    let human = corpus.run(&["search", "ferry"]).stdout;
    assert!(
        human.contains("a.txt · PERTH · Feb. 3 · Xinhua · +2 copies"),
        "{human}"
    );
    assert!(
        human.ends_with("1-2 of 4 hits (files of one story shown once; --all-copies lists each)\n"),
        "{human}"
    );
}
