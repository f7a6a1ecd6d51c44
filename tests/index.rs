//! `sift index`, `show` and `stats` on temporary copies of the sample corpus.

use crate::hay;
use crate::util::TestCorpus;

const REFERENCE: &str = "000_e9f58710e6d47200.txt";

/// Files in the sample corpus.
const SAMPLE_FILES: u64 = 13;

#[test]
fn reference_dispatch_keeps_8_of_16_paragraphs() {
    let corpus = TestCorpus::sample();
    corpus.index();
    let shown = corpus.show(REFERENCE);
    let paragraphs = shown["paragraphs"].as_array().expect("paragraphs");
    assert_eq!(paragraphs.len(), 8);
    assert_eq!(shown["paragraphs_removed"], 8);
    assert!(
        paragraphs[0]
            .as_str()
            .unwrap()
            .starts_with("PARIS, Feb. 15 (Xinhua) -- French Foreign Minister")
    );
    assert!(
        paragraphs[7]
            .as_str()
            .unwrap()
            .starts_with("Moscow was accused of hacking")
    );
    assert_eq!(shown["category"], "国际英语资讯");
    assert_eq!(
        shown["title"],
        "France not to accept any foreign meddling in presidential election: FM"
    );
    assert_eq!(shown["place"], "PARIS");
    assert_eq!(shown["agency"], "Xinhua");
    assert_eq!(shown["date_text"], "Feb. 15");
    assert_eq!(shown["date"], serde_json::Value::Null);
}

#[test]
fn summary_line_counts_the_run() {
    let corpus = TestCorpus::sample();
    let out = corpus.index();
    assert!(
        out.stdout.starts_with("13 files seen, 13 indexed (13 new, 0 updated), 0 unchanged, 0 deleted, 0 skipped, 10 duplicate paragraphs removed in "),
        "{}",
        out.stdout
    );
    assert!(out.stdout.trim_end().ends_with("MB/s)"), "{}", out.stdout);
    assert_eq!(out.stdout.lines().count(), 1);
    assert_eq!(out.stderr, "");
}

#[test]
fn binary_and_empty_files_are_skipped_with_one_warning_each() {
    let corpus = TestCorpus::sample();
    corpus
        .write("image.txt", hay::PNG)
        .write("empty.txt", "")
        .write(".hidden.txt", "Hidden\nnot indexed");
    let out = corpus.index();
    let mut warnings: Vec<&str> = out.stderr.lines().collect();
    warnings.sort();
    assert_eq!(
        warnings,
        vec![
            "sift: .hidden.txt: hidden, skipped",
            "sift: empty.txt: empty file, skipped",
            "sift: image.txt: binary file, skipped",
        ]
    );
    let stats = corpus.stats();
    assert_eq!(stats["documents"], SAMPLE_FILES);
    let skipped = &stats["last_run"]["skipped"];
    assert_eq!(
        (
            skipped["binary"].as_u64(),
            skipped["empty"].as_u64(),
            skipped["hidden"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
}

#[test]
fn oversized_files_are_skipped() {
    let corpus = TestCorpus::sample();
    corpus.write("big.txt", "Big\n".to_string() + &"word ".repeat(300));
    let out = corpus.run(&["index", "corpus", "--max-size", "1K"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("sift: big.txt: 1504 bytes is over the 1024-byte limit, skipped"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("000_e9f58710e6d47200.txt: 3493 bytes is over"),
        "{}",
        out.stderr
    );
}

#[test]
fn reindexing_changes_nothing() {
    let corpus = TestCorpus::sample();
    corpus.index();
    let first = corpus.stats();
    let out = corpus.index();
    assert!(
        out.stdout
            .starts_with("13 files seen, 0 indexed (0 new, 0 updated), 13 unchanged, 0 deleted"),
        "{}",
        out.stdout
    );
    let second = corpus.stats();
    assert_eq!(second["documents"], first["documents"]);
    assert_eq!(second["paragraphs_kept"], first["paragraphs_kept"]);
}

#[test]
fn changed_and_removed_files_are_updated_and_deleted() {
    let corpus = TestCorpus::sample();
    corpus.index();
    corpus.remove("009_new_york_reuters.txt");
    corpus.write("010_reykjavik_glacier.txt", "Glacier report revised\nREYKJAVIK, Aug. 30 (Xinhua) -- The estimate was revised downward by a quarter.");
    corpus.write("new/012.txt", hay::QUOKKA_TITLE);
    let out = corpus.index();
    assert!(
        out.stdout
            .starts_with("13 files seen, 2 indexed (1 new, 1 updated), 11 unchanged, 1 deleted"),
        "{}",
        out.stdout
    );
    assert_eq!(corpus.stats()["documents"], SAMPLE_FILES);
    assert_eq!(
        corpus.show("010_reykjavik_glacier.txt")["title"],
        "Glacier report revised"
    );
    let missing = corpus.run(&["show", "009_new_york_reuters.txt"]);
    assert_eq!(missing.code, 2);
    assert_eq!(
        missing.stderr,
        "sift: 009_new_york_reuters.txt: no such document in the index\n"
    );
    let hits = corpus.search_json(&["revised"]);
    assert_eq!(hits.len(), 1);
}

#[test]
fn rebuild_indexes_everything_again() {
    let corpus = TestCorpus::sample();
    corpus.index();
    let out = corpus.run(&["index", "corpus", "--rebuild"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with("13 files seen, 13 indexed (13 new, 0 updated), 0 unchanged"),
        "{}",
        out.stdout
    );
    assert_eq!(corpus.stats()["documents"], SAMPLE_FILES);
}

#[test]
fn every_layout_and_encoding_of_the_sample_normalizes() {
    let corpus = TestCorpus::sample();
    corpus.index();
    let cases = [
        ("001_buenos_aires_wrapped.txt", "UTF-8", 4, "BUENOS AIRES"),
        ("002_london_crlf.txt", "UTF-8", 4, "LONDON"),
        ("003_tokyo_bom.txt", "UTF-8", 3, "TOKYO"),
        ("004_nairobi_repeated.txt", "UTF-8", 4, "NAIROBI"),
        ("006_geneva_utf16.txt", "UTF-16LE", 2, "GENEVA"),
        ("008_zurich_windows1252.txt", "windows-1252", 3, "ZURICH"),
        ("009_new_york_reuters.txt", "UTF-8", 3, "NEW YORK"),
    ];
    for (path, encoding, paragraphs, place) in cases {
        let shown = corpus.show(path);
        assert_eq!(shown["encoding"], encoding, "{path}");
        assert_eq!(
            shown["paragraphs"].as_array().map(Vec::len),
            Some(paragraphs),
            "{path}"
        );
        assert_eq!(shown["place"], place, "{path}");
    }
    let wrapped = corpus.show("001_buenos_aires_wrapped.txt");
    assert_eq!(
        wrapped["paragraphs"][1],
        "The plan foresees new transmission lines linking the southern provinces of Chubut and Santa Cruz to the national grid, the ministry said in a statement."
    );
    let crlf = corpus.show("002_london_crlf.txt");
    assert!(!crlf["paragraphs"][0].as_str().unwrap().contains('\r'));
    let bom = corpus.show("003_tokyo_bom.txt");
    assert_eq!(bom["category"], "国际英语资讯");
    let cp1252 = corpus.show("008_zurich_windows1252.txt");
    assert!(
        cp1252["paragraphs"][0]
            .as_str()
            .unwrap()
            .contains("Jürg Müller")
    );
    let gb = corpus.show("007_beijing_gb18030.txt");
    assert_eq!(gb["encoding"], "GBK");
    assert_eq!(gb["category"], "体育新闻");
    assert_eq!(gb["title"], "中国女排在世界杯上夺冠");
    assert_eq!(gb["paragraphs"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        (&gb["place"], &gb["date_text"], &gb["agency"]),
        (
            &serde_json::json!("北京"),
            &serde_json::json!("9月29日"),
            &serde_json::json!("新华社")
        )
    );
    let note = corpus.show("005_editors_note.txt");
    assert_eq!(note["title"], "Editor's note on this sample corpus");
    assert_eq!(note["place"], serde_json::Value::Null);
    assert_eq!(note["category"], serde_json::Value::Null);
}

#[test]
fn year_comes_from_the_path_or_the_flag() {
    let corpus = TestCorpus::sample();
    corpus.index();
    assert_eq!(
        corpus.show("2017/02/20170216_beijing_panda.txt")["date"],
        "2017-02-16"
    );
    assert_eq!(corpus.show(REFERENCE)["date"], serde_json::Value::Null);
    let out = corpus.run(&["index", "corpus", "--rebuild", "--year", "2017"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(corpus.show(REFERENCE)["date"], "2017-02-15");
}

#[test]
fn crlf_twin_normalizes_like_its_lf_original() {
    let corpus = TestCorpus::new();
    corpus
        .write("lf.txt", hay::QUOKKA_BODY)
        .write("crlf.txt", hay::QUOKKA_BODY_CRLF);
    corpus.index();
    assert_eq!(
        corpus.show("lf.txt")["paragraphs"],
        corpus.show("crlf.txt")["paragraphs"]
    );
}

#[test]
fn missing_corpus_is_an_error() {
    let corpus = TestCorpus::new();
    let out = corpus.run(&["index", "nowhere"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "sift: nowhere: corpus folder not found or not a folder\n"
    );
}

#[test]
fn a_corpus_of_nothing_indexable_exits_2() {
    let corpus = TestCorpus::new();
    corpus.write("image.txt", hay::PNG);
    let out = corpus.run(&["index", "corpus"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .ends_with("sift: corpus: no file could be indexed\n"),
        "{}",
        out.stderr
    );
}

#[cfg(unix)]
#[test]
fn symlinks_loops_and_links_out_of_the_root_are_reported_not_fatal() {
    use std::os::unix::fs::symlink;
    let corpus = TestCorpus::new();
    corpus.write("a.txt", hay::QUOKKA_TITLE);
    let outside = corpus.home().join("outside.txt");
    std::fs::write(&outside, hay::QUOKKA_BODY).unwrap();
    symlink(&outside, corpus.root().join("out.txt")).unwrap();
    symlink(corpus.root().join("loop"), corpus.root().join("loop")).unwrap();
    symlink(corpus.root(), corpus.root().join("self")).unwrap();
    symlink(corpus.root().join("a.txt"), corpus.root().join("b.txt")).unwrap();
    let out = corpus.index();
    let mut warnings: Vec<&str> = out
        .stderr
        .lines()
        .map(|l| l.split(" (").next().unwrap_or(l))
        .collect();
    warnings.sort();
    assert_eq!(
        warnings,
        vec![
            "sift: loop: broken symbolic link or loop",
            "sift: out.txt: symbolic link leads out of the corpus, skipped",
            "sift: self: symbolic link to a folder, not followed",
        ]
    );
    assert_eq!(corpus.stats()["documents"], 2);
}

#[test]
fn search_without_an_index_says_to_run_index() {
    let corpus = TestCorpus::new();
    let out = corpus.run(&["search", "anything"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "sift: index: no index here; run `sift index` first\n"
    );
}

#[test]
fn inspect_shows_each_paragraph_without_an_index() {
    let corpus = TestCorpus::sample();
    let out = corpus.run(&["inspect", "corpus/004_nairobi_repeated.txt", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let inspection: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let verdicts: Vec<Option<u64>> = inspection["paragraphs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["duplicate_of"].as_u64())
        .collect();
    assert_eq!(verdicts, [None, None, Some(1), None, Some(2), None]);
    assert_eq!(inspection["dispatch"]["encoding"], "UTF-8");
    assert_eq!(inspection["dispatch"]["dateline"]["place"], "NAIROBI");
    assert!(
        !corpus.home().join("index").exists(),
        "inspect touches no index"
    );
    let human = corpus.run(&["inspect", "corpus/004_nairobi_repeated.txt"]);
    assert!(
        human
            .stdout
            .contains("#3   removed: exact duplicate of #1\n"),
        "{}",
        human.stdout
    );
    let missing = corpus.run(&["inspect", "corpus/nothing.txt"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .starts_with("sift: corpus/nothing.txt: cannot read: "),
        "{}",
        missing.stderr
    );
    let binary = corpus
        .write("image.txt", hay::PNG)
        .run(&["inspect", "corpus/image.txt"]);
    assert_eq!(
        binary.stderr,
        "sift: corpus/image.txt: binary file, skipped\n"
    );
}

#[test]
fn a_second_writer_is_refused_and_readers_see_the_last_commit() {
    let corpus = TestCorpus::sample();
    corpus.index();
    // Large enough that the run is still writing when the second one starts.
    corpus.write_batch(10_000);
    let mut child = corpus.spawn(&["index", "corpus"]);
    corpus.wait_for_writer(&child);
    let second = corpus.run(&["index", "corpus"]);
    let search = corpus.run(&["search", "glacier", "--json"]);
    let still_running = child.try_wait().expect("poll the first run").is_none();
    let status = child.wait().expect("the first run ends");
    assert!(status.success());
    assert!(
        still_running,
        "the first run ended before the second started; make the corpus larger"
    );
    assert_eq!(second.code, 2);
    assert_eq!(
        second.stderr,
        format!(
            "sift: index: index is locked by another sift process (pid {})\n",
            child.id()
        )
    );
    assert_eq!(search.code, 0, "search during indexing: {}", search.stderr);
    assert_eq!(
        crate::util::paths(&corpus.search_json(&["glacier"])).len(),
        2
    );
    assert_eq!(corpus.stats()["documents"], 10_013);
}

#[test]
fn intermediate_commits_let_a_killed_run_resume() {
    let corpus = TestCorpus::sample();
    corpus.index();
    corpus.write_batch(6000);
    let mut child = corpus.spawn(&["index", "corpus", "--commit-every", "500"]);
    // Wait for the first intermediate commit to be visible, then kill.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let committed = loop {
        let documents = corpus.stats()["documents"].as_u64().unwrap_or(0);
        if documents > 13 || std::time::Instant::now() > deadline {
            break documents;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    child.kill().expect("SIGKILL the run");
    child.wait().expect("reap it");
    assert!(committed > 13, "no intermediate commit was seen");
    let after_kill = corpus.stats()["documents"].as_u64().unwrap_or(0);
    assert!((committed..=6013).contains(&after_kill), "{after_kill}");
    let out = corpus.index();
    if after_kill < 6013 {
        assert!(
            out.stdout.contains("; resumed an interrupted run"),
            "{}",
            out.stdout
        );
        let unchanged: u64 = out
            .stdout
            .split(" unchanged")
            .next()
            .and_then(|s| s.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(unchanged >= after_kill, "{}", out.stdout);
    }
    assert_eq!(corpus.stats()["documents"], 6013);
    assert_eq!(
        corpus.run(&["search", "rangers", "--count"]).stdout,
        "6000\n"
    );
}

#[test]
fn files_normalized_by_older_rules_are_read_again() {
    let corpus = TestCorpus::sample();
    corpus.index();
    // Pretend the index was written by a sift with older normalization.
    let meta_path = corpus.home().join("index/meta.json");
    let meta = std::fs::read_to_string(&meta_path).unwrap();
    let current = format!(
        "\\\"normalize_version\\\":{}",
        sift::normalize::NORMALIZE_VERSION
    );
    assert!(meta.contains(&current), "{meta}");
    std::fs::write(
        &meta_path,
        meta.replace(&current, "\\\"normalize_version\\\":0"),
    )
    .unwrap();
    let out = corpus.index();
    assert!(
        out.stdout
            .starts_with("13 files seen, 13 indexed (0 new, 13 updated), 0 unchanged"),
        "{}",
        out.stdout
    );
    assert_eq!(corpus.stats()["documents"], 13);
    let again = corpus.index();
    assert!(again.stdout.contains(" 13 unchanged"), "{}", again.stdout);
}

/// A paragraph repeated with a word changed is removed as a near-duplicate,
/// and `inspect` says how similar it was; `--near-dup 0` keeps it.
#[test]
fn near_duplicate_paragraphs_are_removed_and_explained() {
    let first = "Officials said the new ferry terminal on the island would open \
                 to passengers in March after two years of construction work.";
    let edited = first.replace("March", "April");
    let text = format!(
        "Ferry terminal to open\n\nPERTH, Feb. 3 (Xinhua) -- Work ends.\n\n{first}\n\n\
         Rangers welcomed the news.\n\n{edited}\n"
    );
    let corpus = TestCorpus::new();
    corpus.write("ferry.txt", &text);
    let human = corpus.run(&["inspect", "corpus/ferry.txt"]).stdout;
    assert!(
        human.contains("#4   removed: near-duplicate of #2 at similarity 0.95\n"),
        "{human}"
    );
    corpus.index();
    assert_eq!(
        corpus.show("ferry.txt")["paragraphs"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let out = corpus.run(&["index", "corpus", "--rebuild", "--near-dup", "0"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        corpus.show("ferry.txt")["paragraphs"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let bad = corpus.run(&["index", "corpus", "--near-dup", "2"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("\"2\" is not a number from 0 to 1"),
        "{}",
        bad.stderr
    );
}

/// One corpus of what real archives mix: a story filed twice, GB18030,
/// Windows-1252 with accents, UTF-16, near-duplicate paragraphs; checked
/// through what `show --json` and `search --json` return.
#[test]
fn a_mixed_archive_shows_and_searches_as_normalized() {
    let repeated = "Officials said the new ferry terminal on the island would open \
                    to passengers in March after two years of construction work.";
    let near = format!(
        "Terminal opens in spring\nPERTH, Feb. 5 (Xinhua) -- {repeated}\n\
         Rangers welcomed the news.\n{}\n",
        repeated.replace("two years", "three years")
    );
    let corpus = TestCorpus::new();
    corpus
        .write("story.txt", hay::QUOKKA_BODY)
        .write("again/story-copy.txt", hay::QUOKKA_BODY)
        .write("gb.txt", hay::PANDA_GB18030)
        .write("cafe.txt", hay::CAFE_WINDOWS_1252)
        .write(
            "ferry16.txt",
            hay::utf16le("Ferry timetable changes\nPERTH, Feb. 4 (Xinhua) -- The boat will leave at dawn from next week.\n"),
        )
        .write("near.txt", near);
    let out = corpus.index();
    assert!(out.stderr.is_empty(), "{}", out.stderr);

    let gb = corpus.show("gb.txt");
    assert_eq!(gb["encoding"], "GBK");
    assert_eq!(gb["category"], "国际英语资讯");
    assert_eq!(gb["title"], "大熊猫幼崽在成都与公众见面");
    assert_eq!(
        (gb["place"].as_str(), gb["agency"].as_str()),
        (Some("成都"), Some("新华社"))
    );
    assert_eq!(gb["date_text"], "2月16日");
    assert_eq!(gb["paragraphs"].as_array().unwrap().len(), 2);
    assert_eq!(
        crate::util::paths(&corpus.search_json(&["幼崽"])),
        ["gb.txt"]
    );

    let cafe = corpus.show("cafe.txt");
    assert_eq!(cafe["encoding"], "windows-1252");
    assert_eq!(cafe["title"], "Café owners in Zürich reopen");
    assert!(
        cafe["paragraphs"][0]
            .as_str()
            .unwrap()
            .contains("Jürgen Müller")
    );
    assert_eq!(cafe["replacements"], 0);
    let muller = corpus.search_json(&["muller creme brulee"]);
    assert_eq!(crate::util::paths(&muller), ["cafe.txt"]);
    let snippet = &muller[0]["snippet"];
    assert!(
        snippet["text"].as_str().unwrap().contains("Jürgen Müller"),
        "{snippet}"
    );
    assert_eq!(
        snippet["highlights"].as_array().map(Vec::len),
        Some(3),
        "{snippet}"
    );

    let ferry = corpus.show("ferry16.txt");
    assert_eq!(ferry["encoding"], "UTF-16LE");
    assert_eq!(
        (ferry["place"].as_str(), ferry["date_text"].as_str()),
        (Some("PERTH"), Some("Feb. 4"))
    );
    assert_eq!(
        crate::util::paths(&corpus.search_json(&["dawn"])),
        ["ferry16.txt"]
    );

    let near = corpus.show("near.txt");
    assert_eq!(near["paragraphs"].as_array().unwrap().len(), 2);
    assert_eq!(near["paragraphs_removed"], 1);

    let quokka = corpus.search_json(&["quokka"]);
    assert_eq!(crate::util::paths(&quokka), ["again/story-copy.txt"]);
    assert_eq!(quokka[0]["copies"], serde_json::json!(["story.txt"]));
    assert_eq!(corpus.stats()["duplicate_files"], 1);
}

/// The segments of the index's last commit: their document counts.
fn segment_sizes(corpus: &TestCorpus) -> Vec<u64> {
    let meta = std::fs::read_to_string(corpus.home().join("index/meta.json")).expect("meta.json");
    let meta: serde_json::Value = serde_json::from_str(&meta).expect("meta.json is JSON");
    let segments = meta["segments"].as_array().expect("segments");
    segments
        .iter()
        .map(|s| s["max_doc"].as_u64().expect("max_doc"))
        .collect()
}

#[test]
fn runs_leave_one_small_segment() {
    let corpus = TestCorpus::sample();
    corpus.write_batch(400);
    corpus.index();
    let before = segment_sizes(&corpus);
    corpus.write("new/012.txt", hay::QUOKKA_TITLE);
    corpus.write(
        "new/013.txt",
        "Another title\nPERTH, Feb. 2 (Xinhua) -- Another body.",
    );
    corpus.index();
    let after = segment_sizes(&corpus);
    // The run's new segments (one per indexing thread) are merged into
    // one, with any other segment under an eighth of the largest.
    let largest = after.iter().copied().max().unwrap_or(0);
    let small = after.iter().filter(|&&docs| docs < largest / 8).count();
    assert!(small <= 1, "before {before:?}, after {after:?}");
    assert_eq!(corpus.stats()["documents"], SAMPLE_FILES + 402);
    assert_eq!(corpus.search_json(&["quokka"]).len(), 1);
}

/// A word of letters only, different for every `n`.
fn letters(mut n: usize) -> String {
    let mut word = String::from("qz");
    loop {
        word.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
        if n == 0 {
            return word;
        }
    }
}

/// Writes `n` dispatches of varied text from `first` on, each with one
/// word of its own (`letters(i)`), 100 to a folder.
fn write_varied(corpus: &TestCorpus, first: usize, n: usize) {
    let mut state = 0x2545_F491_4F6C_DD1Du64 ^ first as u64;
    let mut next = move |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound as u64) as usize
    };
    let vocabulary: Vec<String> = (0..400).map(|w| letters(100_000 + w * 7919)).collect();
    for i in first..first + n {
        let mut text = format!(
            "Dispatch {} from the wire\nPERTH, Feb. 2 (Xinhua) --",
            letters(i)
        );
        for _ in 0..6 {
            text.push_str("\n\n");
            for _ in 0..40 {
                text.push_str(&vocabulary[next(vocabulary.len())]);
                text.push(' ');
            }
            text.push_str("officials said on Tuesday.");
        }
        corpus.write(&format!("wire/{:03}/{i:05}.txt", i / 100), text);
    }
}

#[test]
fn frequent_commits_lose_no_document() {
    let corpus = TestCorpus::new();
    write_varied(&corpus, 0, 400);
    // A commit every 3 files, while two workers and two indexing threads
    // keep going: each commit waits for the documents in flight.
    let out = corpus.run(&["index", "corpus", "--threads", "2", "--commit-every", "3"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with("400 files seen, 400 indexed (400 new, 0 updated)"),
        "{}",
        out.stdout
    );
    assert_eq!(corpus.stats()["documents"], 400);
    assert_eq!(
        corpus.run(&["search", "officials", "--count"]).stdout,
        "400\n"
    );
    for i in [0, 199, 399] {
        assert_eq!(corpus.search_json(&[&letters(i)]).len(), 1, "{i}");
    }
}

#[test]
fn runs_too_short_to_train_a_dictionary_add_up_to_one() {
    let corpus = TestCorpus::new();
    let dictionary_path = corpus.home().join("index/store.dict");
    write_varied(&corpus, 0, 600);
    corpus.index();
    write_varied(&corpus, 600, 600);
    corpus.index();
    assert!(
        !dictionary_path.exists(),
        "each run was too short to train on"
    );
    // The next run finds 1,200 dispatches stored, and trains on them.
    corpus.index();
    assert!(
        dictionary_path.exists(),
        "no dictionary from 1,200 stored dispatches"
    );
    write_varied(&corpus, 1200, 100);
    corpus.index();
    for i in [0, 599, 600, 1199, 1200, 1299] {
        let hits = corpus.search_json(&[&letters(i)]);
        assert_eq!(hits.len(), 1, "{i}: {hits:?}");
    }
    assert_eq!(corpus.run(&["stats", "--verify"]).code, 0);
}

#[test]
fn the_store_is_compressed_with_a_dictionary_it_keeps() {
    let corpus = TestCorpus::new();
    write_varied(&corpus, 0, 1200);
    corpus.index();
    let dictionary_path = corpus.home().join("index/store.dict");
    let dictionary = std::fs::read(&dictionary_path).expect("a dictionary was trained");
    // Documents stored before it was trained are not compressed with it;
    // a later run's all are.
    write_varied(&corpus, 1200, 1100);
    corpus.index();
    assert_eq!(std::fs::read(&dictionary_path).unwrap(), dictionary);
    let title = |i: usize| format!("Dispatch {} from the wire", letters(i));
    for i in [5, 1199, 1200, 2299] {
        let hits = corpus.search_json(&[&letters(i)]);
        assert_eq!(hits.len(), 1, "{i}: {hits:?}");
        assert_eq!(hits[0]["title"], title(i));
    }
    assert_eq!(corpus.stats()["documents"], 2300);

    assert_eq!(corpus.run(&["stats", "--verify"]).code, 0);

    // The blocks need it: without it, reading them fails and says why.
    std::fs::remove_file(&dictionary_path).unwrap();
    for args in [&["search", &letters(2000)][..], &["stats", "--verify"]] {
        let out = corpus.run(args);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(out.stderr.contains("dictionary"), "{}", out.stderr);
        assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
    }
}
