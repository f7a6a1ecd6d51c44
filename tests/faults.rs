//! Faults: bad files in the corpus, damaged indexes, kills mid-run.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{PermissionsExt, symlink};

use crate::hay;
use crate::util::TestCorpus;

/// A corpus holding every kind of bad input the test can make, beside two
/// good dispatches: each bad one is indexed as well as it can be or skipped
/// with one warning naming it, and the run still succeeds.
#[test]
fn bad_input_is_indexed_or_skipped_with_one_warning_each() {
    let corpus = TestCorpus::new();
    corpus
        .write("good/a.txt", hay::QUOKKA_TITLE)
        .write("good/b.txt", hay::QUOKKA_BODY)
        .write("bad/binary.txt", hay::PNG)
        .write("bad/empty.txt", "")
        .write("bad/nul.txt", nul_bytes())
        .write("bad/damaged.txt", invalid_utf8_inside());
    let huge = fs::File::create(corpus.root().join("bad/huge.txt")).unwrap();
    huge.set_len(200 << 20).unwrap(); // 200 MB, sparse: the size decides.
    corpus.write("bad/long_line.txt", long_line());
    let not_utf8 = corpus
        .root()
        .join("bad")
        .join(std::ffi::OsStr::from_bytes(b"caf\xe9.txt"));
    fs::write(&not_utf8, hay::QUOKKA_BODY.replace("quokka", "wombat")).unwrap();
    symlink(
        corpus.root().join("bad/loop"),
        corpus.root().join("bad/loop"),
    )
    .unwrap();
    symlink(corpus.home(), corpus.root().join("bad/out")).unwrap();
    let outside = corpus.home().join("outside.txt");
    fs::write(&outside, hay::QUOKKA_BODY).unwrap();
    symlink(&outside, corpus.root().join("bad/out.txt")).unwrap();

    let out = corpus.index();
    let mut warnings: Vec<&str> = out.stderr.lines().collect();
    warnings.sort();
    assert_eq!(
        warnings,
        vec![
            "sift: bad/binary.txt: binary file, skipped",
            "sift: bad/damaged.txt: 2 bytes could not be decoded as UTF-8, replaced and indexed",
            "sift: bad/empty.txt: empty file, skipped",
            "sift: bad/huge.txt: 209715200 bytes is over the 16777216-byte limit, skipped",
            "sift: bad/loop: broken symbolic link or loop (Too many levels of symbolic links (os error 40)), skipped",
            "sift: bad/out.txt: symbolic link leads out of the corpus, skipped",
            "sift: bad/out: symbolic link leads out of the corpus, skipped",
        ]
    );
    assert!(
        out.stdout.starts_with(
            "12 files seen, 6 indexed (6 new, 0 updated), 0 unchanged, 0 deleted, 6 skipped \
             (1 binary, 1 broken link, 1 empty, 2 link outside corpus, 1 too large)"
        ),
        "{}",
        out.stdout
    );
    let stats = corpus.stats();
    assert_eq!(stats["documents"], 6);
    assert_eq!(stats["last_run"]["skipped"]["too large"], 1);

    // What was indexed is whole and searchable.
    assert_eq!(hit_paths(&corpus, "quokka"), ["good/a.txt", "good/b.txt"]);
    assert_eq!(hit_paths(&corpus, "wombat"), ["bad/caf\\xE9.txt"]);
    assert_eq!(
        corpus.show("bad/caf\\xE9.txt")["title"],
        "Island ferry service resumes"
    );
    assert_eq!(hit_paths(&corpus, "beta"), ["bad/nul.txt"]);
    let nul = corpus.show("bad/nul.txt");
    assert!(!nul["paragraphs"].to_string().contains("\\u0000"), "{nul}");
    assert_eq!(hit_paths(&corpus, "kangaroo"), ["bad/damaged.txt"]);
    assert_eq!(corpus.show("bad/damaged.txt")["replacements"], 2);
    // The 10 MB line is one paragraph, searchable to its last word.
    assert_eq!(hit_paths(&corpus, "lastword"), ["bad/long_line.txt"]);
}

fn hit_paths(corpus: &TestCorpus, query: &str) -> Vec<String> {
    let mut paths: Vec<String> = crate::util::paths(&corpus.search_json(&[query]))
        .into_iter()
        .map(String::from)
        .collect();
    paths.sort();
    paths
}

/// A dispatch with NUL bytes between words.
fn nul_bytes() -> Vec<u8> {
    let mut text = b"Nul bytes inside\nPERTH, Feb. 2 (Xinhua) -- alpha\0beta gamma ".to_vec();
    text.extend_from_slice(&b"plain words here ".repeat(50));
    text.extend_from_slice(b"\0\0 end.");
    text
}

/// A UTF-8 dispatch (with non-ASCII letters) with two stray bytes inside.
fn invalid_utf8_inside() -> Vec<u8> {
    let mut text = "Caf\u{e9} owners meet \u{2014} a kangaroo visits\n"
        .as_bytes()
        .to_vec();
    text.extend_from_slice("SYDNEY, Feb. 2 (Xinhua) -- The caf\u{e9} ".as_bytes());
    text.extend_from_slice(b"\xff\xfe");
    text.extend_from_slice(" r\u{e9}opened on Friday.".as_bytes());
    text
}

/// A 10 MB dispatch with no newline at all.
fn long_line() -> String {
    let mut text = "Long line PERTH, Feb. 2 (Xinhua) -- ".to_string();
    while text.len() < 10 << 20 {
        text.push_str("the rangers walked along the shore and counted birds ");
    }
    text.push_str("lastword");
    text
}

/// Only bad files: nothing could be indexed, and the run says so.
#[test]
fn a_corpus_of_only_bad_files_exits_2() {
    let corpus = TestCorpus::new();
    corpus.write("binary.txt", hay::PNG).write("empty.txt", "");
    let out = corpus.run(&["index", "corpus"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stdout.contains("2 skipped (1 binary, 1 empty)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .ends_with("sift: corpus: no file could be indexed\n")
    );
}

/// A folder that cannot be listed is reported and the rest indexed. root
/// reads everything, so as root the run drops to `nobody` for the test.
#[test]
fn a_folder_without_read_permission_is_reported() {
    let corpus = TestCorpus::new();
    corpus
        .write("open/a.txt", hay::QUOKKA_TITLE)
        .write("closed/b.txt", hay::QUOKKA_BODY);
    let closed = corpus.root().join("closed");
    fs::set_permissions(&closed, fs::Permissions::from_mode(0o000)).unwrap();
    let out = corpus.run_unprivileged(&["index", "corpus"]);
    fs::set_permissions(&closed, fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "sift: closed: cannot read: Permission denied (os error 13)\n"
    );
    assert!(
        out.stdout.contains("1 skipped (1 unreadable)"),
        "{}",
        out.stdout
    );
}

/// A truncated segment file: every command says the index is damaged and
/// how to recover, and `--rebuild` recovers.
#[test]
fn a_truncated_segment_file_is_reported_and_rebuild_recovers() {
    let corpus = TestCorpus::sample();
    corpus.index();
    let store = segment_file(&corpus, "store");
    let file = fs::OpenOptions::new().write(true).open(&store).unwrap();
    file.set_len(20).unwrap();
    let name = store.file_name().unwrap().to_string_lossy().into_owned();
    for args in [&["search", "panda"][..], &["stats"], &["index", "corpus"]] {
        let out = corpus.run(args);
        assert_eq!(out.code, 2, "{args:?}");
        assert_eq!(
            out.stderr,
            format!(
                "sift: index: index is damaged ({name}: Footer magic byte mismatch); \
                 run `sift index --rebuild`\n"
            ),
            "{args:?}"
        );
    }
    assert_recovers(&corpus);
}

/// Bytes flipped inside a segment: searching may not notice, `stats
/// --verify` does, and `--rebuild` recovers.
#[test]
fn flipped_bytes_are_found_by_verify_and_rebuild_recovers() {
    let corpus = TestCorpus::sample();
    corpus.index();
    assert_eq!(corpus.run(&["stats", "--verify"]).code, 0);
    let postings = segment_file(&corpus, "idx");
    let mut bytes = fs::read(&postings).unwrap();
    for byte in &mut bytes[10..18] {
        *byte = !*byte;
    }
    fs::write(&postings, bytes).unwrap();
    let name = postings.file_name().unwrap().to_string_lossy().into_owned();
    let out = corpus.run(&["stats", "--verify"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        format!(
            "sift: index: index is damaged (checksum mismatch in {name}); \
             run `sift index --rebuild`\n"
        )
    );
    // Whatever searching makes of it, it is one line and no panic trace.
    let out = corpus.run(&["search", "panda"]);
    assert!(out.stderr.lines().count() <= 1, "{}", out.stderr);
    assert_recovers(&corpus);
}

/// The largest segment file with this extension.
fn segment_file(corpus: &TestCorpus, extension: &str) -> std::path::PathBuf {
    let mut files: Vec<_> = fs::read_dir(corpus.home().join("index"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == extension))
        .collect();
    files.sort_by_key(|path| fs::metadata(path).map(|m| m.len()).unwrap_or(0));
    files.pop().expect("a segment file")
}

fn assert_recovers(corpus: &TestCorpus) {
    let out = corpus.run(&["index", "corpus", "--rebuild"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(corpus.run(&["stats", "--verify"]).code, 0);
    assert_eq!(corpus.stats()["documents"], 13);
    assert_eq!(corpus.search_json(&["retaliatory measures"]).len(), 1);
}

/// A disk that fills up mid-run: the run fails with one line, the last
/// commit stays searchable, and once there is room the next run completes.
/// The disk is a small tmpfs, which needs root (or CAP_SYS_ADMIN).
#[test]
fn a_full_disk_fails_the_run_and_keeps_the_last_commit() {
    let corpus = TestCorpus::sample();
    let Some(disk) = SmallDisk::mount(&corpus.home().join("disk"), "300k") else {
        eprintln!("skipped: this machine does not let the test mount a tmpfs");
        return;
    };
    let index = ["--index", "disk/index"];
    let run = |args: &[&str]| corpus.run(&[args, &index[..]].concat());
    assert_eq!(run(&["index", "corpus"]).code, 0);
    corpus.write_batch(3000);
    let out = run(&["index", "corpus"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "sift: disk/index: no space left on the device; this run was not committed, \
         the index holds the last commit\n"
    );
    let stats: serde_json::Value =
        serde_json::from_str(&run(&["stats", "--json"]).stdout).expect("stats --json");
    assert_eq!(stats["documents"], 13);
    assert_eq!(run(&["search", "retaliatory measures"]).code, 0);

    disk.resize("20m");
    let out = run(&["index", "corpus"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(run(&["search", "rangers", "--count"]).stdout, "3000\n");
}

/// A tmpfs mounted for one test, unmounted when dropped.
struct SmallDisk {
    dir: std::path::PathBuf,
}

impl SmallDisk {
    fn mount(dir: &std::path::Path, size: &str) -> Option<SmallDisk> {
        fs::create_dir_all(dir).ok()?;
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        status.success().then(|| SmallDisk {
            dir: dir.to_path_buf(),
        })
    }

    fn resize(&self, size: &str) {
        let status = std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.dir)
            .status()
            .expect("mount runs");
        assert!(status.success(), "remount the tmpfs");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.dir)
            .status();
    }
}

/// SIGKILL at spread moments of indexing runs (walking, indexing,
/// intermediate and final commits, merges; mostly `--rebuild` runs),
/// `SIFT_KILLS` times (default 6; bench/crash.sh runs 25 in release mode).
/// After each kill the index opens, stats and search agree, and no
/// committed document of a plain run is lost; at the end a plain run yields
/// the documents and the ranked results of a clean run.
#[test]
fn killed_runs_never_lose_committed_documents() {
    let kills: u32 = std::env::var("SIFT_KILLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(6);
    let corpus = TestCorpus::sample();
    corpus.index();
    corpus.write_batch(6000);
    let clean = ["--index", "clean"];
    let started = std::time::Instant::now();
    let out = corpus.run(&[
        "index",
        "corpus",
        "--commit-every",
        "500",
        clean[0],
        clean[1],
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let run_time = started.elapsed();
    let expected = ranked(&corpus, &clean);

    let (mut committed, mut finished) = (0, true);
    for kill in 0..kills {
        // Mostly rebuilds, so that kills land mid-run; every third run
        // resumes the last one (unless it finished: nothing would be left).
        let rebuild = kill % 3 != 1 || finished;
        let mut args = vec!["index", "corpus", "--commit-every", "500"];
        if rebuild {
            args.push("--rebuild");
        }
        // Spread over 0–90 % of a clean run; 37 is prime to the 100 steps,
        // so successive kills land far apart.
        let fraction = f64::from((kill * 37 + 11) % 100) / 110.0;
        let delay = run_time.mul_f64(fraction);
        let mut child = corpus.spawn(&args);
        std::thread::sleep(delay);
        child.kill().expect("SIGKILL the run");
        let status = child.wait().expect("reap it");
        let documents = consistent_documents(&corpus);
        finished = status.success() || documents == 6013;
        eprintln!(
            "kill {kill}: {}after {delay:?}: {documents} documents{}",
            if rebuild { "--rebuild " } else { "" },
            if status.success() {
                " (the run had finished)"
            } else {
                ""
            },
        );
        if !rebuild {
            assert!(
                documents >= committed,
                "kill {kill}: {documents} < {committed}"
            );
        }
        committed = documents;
    }
    let out = corpus.index();
    assert!(out.stdout.starts_with("6013 files seen"), "{}", out.stdout);
    assert_eq!(consistent_documents(&corpus), 6013);
    assert_eq!(
        corpus.run(&["search", "rangers", "--count"]).stdout,
        "6000\n"
    );
    assert_eq!(ranked(&corpus, &[]), expected);
}

/// The documents of the index, checked to be the same for stats and search.
fn consistent_documents(corpus: &TestCorpus) -> u64 {
    let documents = corpus.stats()["documents"].as_u64().expect("a count");
    let count = |query: &str| -> u64 {
        let out = corpus.run(&["search", query, "--count"]);
        assert!(out.code <= 1, "{}", out.stderr);
        out.stdout.trim().parse().unwrap_or(0)
    };
    assert_eq!(count("rangers") + count("-rangers"), documents);
    documents
}

/// Top hits with rounded scores for a few queries.
fn ranked(corpus: &TestCorpus, index: &[&str]) -> Vec<(String, String)> {
    let mut all = Vec::new();
    // Queries without ties: tied hits come in index order, which differs.
    for query in [
        "retaliatory measures",
        "\"batch dispatch 4242\"",
        "panda",
        "wind farms",
    ] {
        let hits = corpus.search_json(&[&[query, "--limit", "5"], index].concat());
        for hit in hits {
            all.push((
                hit["path"].as_str().unwrap_or_default().to_string(),
                format!("{:.4}", hit["score"].as_f64().unwrap_or(0.0)),
            ));
        }
    }
    all
}
