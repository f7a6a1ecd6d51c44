//! The BBC news set (`../shared/corpora/bbc-news`, 2,225 articles in the
//! title-line-then-paragraphs layout): it indexes without error, every file
//! is found by a phrase from its own body, the one file with an invalid
//! UTF-8 byte is indexed, not dropped, its 98 byte-identical duplicate
//! files are all grouped, every other group is a near-identical story by an
//! independent measure, and the two sign-offs the set repeats are its only
//! boilerplate.

use std::collections::{HashMap, HashSet};
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

    // Duplicate stories: every group of byte-identical files (SOURCE.md: 98
    // duplicates among 2,225) lies within one of sift's groups; the other
    // files sift groups are near-identical stories: each at least 0.78
    // similar to another file of its group by this test's own measure, and
    // no two files 0.85 similar or more are left apart.
    let out = corpus.run(&["stats", "--duplicates", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let groups: Vec<Vec<String>> = serde_json::from_str(&out.stdout).expect("JSON groups");
    let group_of: HashMap<&str, usize> = groups
        .iter()
        .enumerate()
        .flat_map(|(i, paths)| paths.iter().map(move |p| (p.as_str(), i)))
        .collect();
    let identical = identical_files(&corpus);
    let identical_copies: usize = identical.iter().map(|g| g.len() - 1).sum();
    assert_eq!(identical_copies, 98);
    for paths in &identical {
        let first = group_of.get(paths[0].as_str());
        assert!(first.is_some(), "{paths:?} not grouped");
        assert!(
            paths.iter().all(|p| group_of.get(p.as_str()) == first),
            "{paths:?} split"
        );
    }
    let shingles = shingles_of_files(&corpus);
    for paths in &groups {
        for path in paths {
            let best = paths
                .iter()
                .filter(|other| *other != path)
                .map(|other| jaccard(&shingles[path], &shingles[other]))
                .fold(0.0, f64::max);
            assert!(
                best >= 0.78,
                "{path} is only {best:.2} similar to {paths:?}"
            );
        }
    }
    for (a, b, similarity) in similar_pairs(&shingles, 0.85) {
        let (ga, gb) = (group_of.get(a.as_str()), group_of.get(b.as_str()));
        assert!(
            ga.is_some() && ga == gb,
            "{a} and {b} ({similarity:.2}) not grouped"
        );
    }
    let copies: usize = groups.iter().map(|g| g.len() - 1).sum();
    let stats = corpus.stats();
    assert_eq!(stats["duplicate_files"], copies);
    assert_eq!(stats["near_identical_files"], copies - identical_copies);
    assert!(copies > identical_copies, "no near-identical story found");

    // Boilerplate: the two sign-offs, seven stories each; kept out of
    // search, still shown, marked.
    let top = stats["top_boilerplate"].as_array().expect("a list");
    let listed: Vec<(u64, &str)> = top
        .iter()
        .map(|b| (b["stories"].as_u64().unwrap(), b["text"].as_str().unwrap()))
        .collect();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.iter().all(|&(n, _)| n == 7), "{listed:?}");
    assert!(
        listed
            .iter()
            .any(|(_, t)| t.starts_with("Clark Boyd is technology correspondent"))
    );
    assert!(
        listed
            .iter()
            .any(|(_, t)| t.starts_with("Bill Thompson is a regular commentator"))
    );
    let signed = corpus.show("tech/090.txt");
    let paragraphs = signed["paragraphs"].as_array().unwrap();
    let marked = signed["boilerplate"].as_array().unwrap();
    assert_eq!(marked.len(), 1);
    let at = marked[0].as_u64().unwrap() as usize;
    assert!(paragraphs[at].as_str().unwrap().starts_with("Clark Boyd"));
    let out = corpus.run(&[
        "search",
        "\"clark boyd is technology correspondent\"",
        "--count",
    ]);
    assert_eq!(out.stdout.trim(), "0");
}

/// The set of word 5-shingles of every file, words lower-cased runs of
/// letters and digits: an independent measure of what sift compares.
fn shingles_of_files(corpus: &TestCorpus) -> HashMap<String, HashSet<Vec<String>>> {
    let mut all = HashMap::new();
    for entry in walkdir::WalkDir::new(corpus.root()) {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry.path().strip_prefix(corpus.root()).unwrap();
        let text = String::from_utf8_lossy(&fs::read(entry.path()).unwrap()).to_lowercase();
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        let shingles = words.windows(5).map(<[String]>::to_vec).collect();
        all.insert(rel.to_string_lossy().into_owned(), shingles);
    }
    all
}

fn jaccard(a: &HashSet<Vec<String>>, b: &HashSet<Vec<String>>) -> f64 {
    let shared = a.intersection(b).count();
    shared as f64 / (a.len() + b.len() - shared).max(1) as f64
}

/// Every pair of files at least `min` similar, through an inverted index of
/// shingles (shingles held by more than 50 files are stock phrases).
fn similar_pairs(
    shingles: &HashMap<String, HashSet<Vec<String>>>,
    min: f64,
) -> Vec<(String, String, f64)> {
    let mut holders: HashMap<&Vec<String>, Vec<&String>> = HashMap::new();
    for (path, set) in shingles {
        for shingle in set {
            holders.entry(shingle).or_default().push(path);
        }
    }
    let mut candidates: HashSet<(&String, &String)> = HashSet::new();
    for paths in holders.values().filter(|p| p.len() > 1 && p.len() <= 50) {
        for (i, a) in paths.iter().enumerate() {
            for b in &paths[i + 1..] {
                candidates.insert(if a < b { (a, b) } else { (b, a) });
            }
        }
    }
    candidates
        .into_iter()
        .map(|(a, b)| (a.clone(), b.clone(), jaccard(&shingles[a], &shingles[b])))
        .filter(|&(_, _, similarity)| similarity >= min)
        .collect()
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
