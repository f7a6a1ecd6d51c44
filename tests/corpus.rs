//! What only the whole corpus can tell: boilerplate paragraphs and stories
//! filed more than once, followed across runs that add, copy and delete
//! files.

use crate::util::{TestCorpus, paths};

const SIGN_OFF: &str = "Editor: Zhang Wei of the overnight desk.";

const VOCABULARY: &[&str] = &[
    "harbour",
    "minister",
    "council",
    "budget",
    "river",
    "festival",
    "talks",
    "factory",
    "election",
    "border",
    "railway",
    "harvest",
    "museum",
    "treaty",
    "market",
    "storm",
    "bridge",
    "school",
    "hospital",
    "court",
    "airport",
    "reform",
    "strike",
    "exports",
    "rates",
    "league",
    "concert",
    "village",
    "pipeline",
    "satellite",
    "vaccine",
    "drought",
    "tariff",
    "summit",
    "protest",
    "stadium",
    "currency",
    "refinery",
    "forest",
    "glacier",
    "parliament",
    "mayor",
    "orchestra",
    "shipyard",
    "census",
    "library",
    "tunnel",
    "volcano",
    "embassy",
    "coalition",
    "quarry",
    "vineyard",
    "monsoon",
    "academy",
    "cathedral",
    "reservoir",
    "brewery",
    "lighthouse",
    "observatory",
    "canal",
];

/// `n` words drawn from the vocabulary by a seeded generator: stories of
/// different seeds share hardly a five-word run.
fn words(seed: u64, n: usize) -> Vec<&'static str> {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            VOCABULARY[(state >> 33) as usize % VOCABULARY.len()]
        })
        .collect()
}

/// A story of `count` paragraphs of 16 words.
fn story(seed: u64, count: usize) -> Vec<String> {
    (0..count as u64)
        .map(|i| {
            let mut paragraph = words(seed * 100 + i, 16).join(" ");
            paragraph.push('.');
            paragraph
        })
        .collect()
}

fn file(title: &str, paragraphs: &[String]) -> String {
    format!("{title}\n{}\n", paragraphs.join("\n"))
}

/// A story with the sign-off as its last paragraph.
fn signed(seed: u64) -> String {
    let mut paragraphs = story(seed, 4);
    paragraphs.push(SIGN_OFF.to_string());
    file(&format!("Story {seed}"), &paragraphs)
}

fn count(corpus: &TestCorpus, query: &str) -> String {
    corpus
        .run(&["search", query, "--count"])
        .stdout
        .trim()
        .to_string()
}

fn index_with(corpus: &TestCorpus, flags: &[&str]) -> String {
    let mut args = vec!["index", "corpus"];
    args.extend_from_slice(flags);
    let out = corpus.run(&args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout
}

#[test]
fn boilerplate_follows_the_corpus_across_runs() {
    let corpus = TestCorpus::new();
    for seed in 0..4 {
        corpus.write(&format!("s{seed}.txt"), signed(seed));
    }
    index_with(&corpus, &["--boilerplate", "5"]);
    assert_eq!(
        count(&corpus, "\"zhang wei\""),
        "4",
        "four stories: not yet boilerplate"
    );
    assert_eq!(corpus.stats()["boilerplate_paragraphs"], 0);

    // The fifth story makes it boilerplate: the first four are rewritten.
    corpus.write("s4.txt", signed(4));
    let summary = index_with(&corpus, &["--boilerplate", "5"]);
    assert!(
        summary.contains("corpus: 1 boilerplate paragraphs") && summary.contains("files rewritten"),
        "{summary}"
    );
    assert_eq!(count(&corpus, "\"zhang wei\""), "0");
    assert_eq!(count(&corpus, "overnight"), "0");
    for seed in 0..5 {
        let shown = corpus.show(&format!("s{seed}.txt"));
        assert_eq!(shown["boilerplate"], serde_json::json!([4]), "s{seed}");
        assert_eq!(shown["paragraphs"][4], SIGN_OFF);
    }
    let stats = corpus.stats();
    assert_eq!(stats["boilerplate_paragraphs"], 1);
    assert_eq!(stats["top_boilerplate"][0]["stories"], 5);
    assert_eq!(stats["top_boilerplate"][0]["text"], SIGN_OFF);
    // The rest of each story is still searched.
    let first_words = story(2, 1)[0]
        .split(' ')
        .take(5)
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(count(&corpus, &format!("\"{first_words}\"")), "1");

    // A copy of a story is not another story.
    corpus.write("copy-of-s0.txt", signed(0));
    index_with(&corpus, &["--boilerplate", "5"]);
    assert_eq!(corpus.stats()["top_boilerplate"][0]["stories"], 5);

    // Two stories gone: three left (s0 twice), and it is searched again.
    corpus.remove("s3.txt");
    corpus.remove("s4.txt");
    let summary = index_with(&corpus, &["--boilerplate", "5"]);
    assert!(summary.contains("files rewritten to match"), "{summary}");
    assert_eq!(count(&corpus, "\"zhang wei\""), "4");
    assert_eq!(corpus.show("s1.txt")["boilerplate"], serde_json::json!([]));
    assert_eq!(corpus.stats()["boilerplate_paragraphs"], 0);
}

#[test]
fn a_new_threshold_settles_the_index_without_changed_files() {
    let corpus = TestCorpus::new();
    for seed in 0..5 {
        corpus.write(&format!("s{seed}.txt"), signed(seed));
    }
    index_with(&corpus, &[]);
    assert_eq!(
        count(&corpus, "\"zhang wei\""),
        "0",
        "the default threshold is 5"
    );
    let summary = index_with(&corpus, &["--boilerplate", "6"]);
    assert!(summary.contains("5 unchanged"), "{summary}");
    assert_eq!(count(&corpus, "\"zhang wei\""), "5");
    index_with(&corpus, &["--boilerplate", "0"]);
    assert_eq!(count(&corpus, "\"zhang wei\""), "5");
    index_with(&corpus, &["--boilerplate", "3"]);
    assert_eq!(count(&corpus, "\"zhang wei\""), "0");
}

#[test]
fn inspect_says_in_how_many_stories_boilerplate_stands() {
    let corpus = TestCorpus::new();
    for seed in 0..6 {
        corpus.write(&format!("s{seed}.txt"), signed(seed));
    }
    corpus.index();
    let out = corpus.run(&["inspect", "corpus/s1.txt", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let inspection: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let verdicts = inspection["paragraphs"].as_array().unwrap();
    assert_eq!(verdicts[4]["boilerplate_in"], 6);
    assert!(verdicts[..4].iter().all(|v| v["boilerplate_in"].is_null()));
    assert_eq!(
        inspection["dispatch"]["boilerplate"],
        serde_json::json!([false, false, false, false, true])
    );
    let human = corpus.run(&["inspect", "corpus/s1.txt"]).stdout;
    assert!(
        human.contains("#5   kept out of search: boilerplate seen in 6 stories"),
        "{human}"
    );

    // Without an index, nothing is known of the corpus.
    let out = corpus.run(&["inspect", "corpus/s1.txt", "--json", "--index", "elsewhere"]);
    let inspection: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(inspection["paragraphs"][4]["boilerplate_in"].is_null());
}

#[test]
fn a_story_filed_again_with_edits_shows_once() {
    let corpus = TestCorpus::new();
    let original = story(10, 10);
    let mut edited = original.clone();
    edited[2] = edited[2].replacen(' ', " zeppelin ", 1);
    edited.push(format!("{} zeppelin.", words(77, 12).join(" ")));
    corpus.write("a.txt", file("Talks open", &original));
    corpus.write("b.txt", file("Talks open at last", &edited));
    corpus.write("c.txt", file("Other news", &story(11, 6)));
    corpus.index();
    let stats = corpus.stats();
    assert_eq!(stats["duplicate_files"], 1);
    assert_eq!(stats["near_identical_files"], 1);

    // A word of both: one hit, the other file its copy.
    let shared = original[0].split(' ').take(5).collect::<Vec<_>>().join(" ");
    let query = format!("\"{shared}\"");
    let hits = corpus.search_json(&[&query]);
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0]["copies"].as_array().map(Vec::len), Some(1));
    // The better-ranked file shows: the edited one matches one more word.
    let hits = corpus.search_json(&["--any", &format!("{query} zeppelin")]);
    assert_eq!(paths(&hits), ["b.txt"]);
    assert_eq!(hits[0]["copies"], serde_json::json!(["a.txt"]));
    let hits = corpus.search_json(&["--all-copies", &query]);
    assert_eq!(hits.len(), 2);
    // The other story is its own.
    let other = story(11, 1)[0]
        .split(' ')
        .take(5)
        .collect::<Vec<_>>()
        .join(" ");
    let hits = corpus.search_json(&[&format!("\"{other}\"")]);
    assert_eq!(paths(&hits), ["c.txt"]);
    assert!(hits[0]["copies"].is_null());

    // Without near-identical grouping, two stories.
    index_with(&corpus, &["--near-story", "0"]);
    assert_eq!(corpus.search_json(&[&query]).len(), 2);
    assert_eq!(corpus.stats()["near_identical_files"], 0);
}

#[test]
fn templated_dispatches_of_two_days_are_two_stories() {
    let corpus = TestCorpus::new();
    let report = |date: &str| {
        let mut paragraphs = story(20, 8);
        paragraphs[0] = format!("LONDON, {date} (Xinhua) -- {}", paragraphs[0]);
        file("Market close", &paragraphs)
    };
    corpus.write("monday.txt", report("March 2"));
    corpus.write("tuesday.txt", report("March 3"));
    corpus.write(
        "tuesday-again.txt",
        report("March 3").replace("Market close", "Markets close"),
    );
    corpus.index();
    let groups = corpus.run(&["stats", "--duplicates"]).stdout;
    assert_eq!(groups.trim(), "tuesday-again.txt\ttuesday.txt");
}
