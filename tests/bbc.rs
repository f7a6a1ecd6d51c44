//! The BBC news set (`../shared/corpora/bbc-news`, 2,225 articles in the
//! title-line-then-paragraphs layout): it indexes without error, every file
//! is found by a phrase from its own body, the one file with an invalid
//! UTF-8 byte is indexed, not dropped, and its 98 byte-identical duplicate
//! files are exactly the copies sift groups.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::TestCorpus;

fn archive() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/bbc-news/bbc-fulltext.tar.gz")
}

/// Unpacks the set into a temporary corpus; `bbc/README.TXT` is not an
/// article and is removed.
fn bbc_corpus() -> TestCorpus {
    let corpus = TestCorpus::new();
    let archive = archive();
    assert!(
        archive.is_file(),
        "the BBC set is missing at {}",
        archive.display()
    );
    let status = Command::new("tar")
        .arg("xzf")
        .arg(&archive)
        .arg("-C")
        .arg(corpus.root())
        .arg("--strip-components=1")
        .status()
        .expect("tar runs");
    assert!(status.success());
    fs::remove_file(corpus.root().join("README.TXT")).expect("README.TXT is in the set");
    corpus
}

/// Four consecutive plain words from the middle of the file's body.
fn phrase_of(text: &str) -> Option<String> {
    let body = text.split_once('\n')?.1;
    let words: Vec<&str> = body
        .split_whitespace()
        .filter(|w| w.chars().all(|c| c.is_ascii_alphanumeric()))
        .collect();
    let all: Vec<&str> = body.split_whitespace().collect();
    let middle = all.len() / 2;
    // Four words in a row, all plain, at or after the middle of the body.
    (middle..all.len().saturating_sub(4))
        .chain(0..middle)
        .map(|i| &all[i..i + 4])
        .find(|run| {
            run.iter()
                .all(|w| words.contains(w) && !matches!(*w, "AND" | "OR" | "NOT"))
        })
        .map(|run| run.join(" "))
}

#[test]
fn bbc_news_set_indexes_and_every_file_is_found_by_its_own_phrase() {
    let corpus = bbc_corpus();
    let out = corpus.index();
    assert!(
        out.stdout.starts_with("2225 files seen, 2225 indexed"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.is_empty(), "{}", out.stderr);

    let engine = sift::search::Engine::open(&corpus.home().join("index")).expect("the index opens");
    let mut checked = 0;
    for entry in walkdir::WalkDir::new(corpus.root()).sort_by_file_name() {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(corpus.root())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let text = String::from_utf8_lossy(&fs::read(entry.path()).unwrap()).into_owned();
        let phrase = phrase_of(&text).unwrap_or_else(|| panic!("{rel}: no four plain words"));
        let request = sift::search::Request::new(format!("+\"{phrase}\" +path:\"{rel}\""));
        let hits = engine
            .search(&request)
            .unwrap_or_else(|err| panic!("{rel}: {err}"));
        assert_eq!(hits.total, 1, "{rel} is not found by \"{phrase}\"");
        checked += 1;
    }
    assert_eq!(checked, 2225);

    let damaged = corpus.show("sport/199.txt");
    assert_eq!(damaged["encoding"], "windows-1252");
    assert!(
        damaged["paragraphs"]
            .to_string()
            .contains("a £15.8m signing from Parma")
    );

    // Duplicate stories: the groups sift forms are exactly the groups of
    // byte-identical files (SOURCE.md: 98 duplicates among 2,225).
    let out = corpus.run(&["stats", "--duplicates", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let groups: Vec<Vec<String>> = serde_json::from_str(&out.stdout).expect("JSON groups");
    assert_eq!(groups, identical_files(&corpus));
    let copies: usize = groups.iter().map(|g| g.len() - 1).sum();
    assert_eq!(copies, 98);
    assert_eq!(corpus.stats()["duplicate_files"], 98);
}

/// Groups of two or more byte-identical files, as sorted paths, sorted.
fn identical_files(corpus: &TestCorpus) -> Vec<Vec<String>> {
    let mut by_bytes: std::collections::HashMap<Vec<u8>, Vec<String>> = Default::default();
    for entry in walkdir::WalkDir::new(corpus.root()) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(corpus.root()).unwrap();
            let bytes = fs::read(entry.path()).unwrap();
            by_bytes
                .entry(bytes)
                .or_default()
                .push(rel.to_string_lossy().into_owned());
        }
    }
    let mut groups: Vec<Vec<String>> = by_bytes
        .into_values()
        .filter(|paths| paths.len() > 1)
        .map(|mut paths| {
            paths.sort();
            paths
        })
        .collect();
    groups.sort();
    groups
}
