//! `TestCorpus`: a temporary folder with a corpus and an index beside it,
//! and the `sift` command run inside it with a scrubbed environment.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// The repository's sample corpus.
pub fn sample_corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// A corpus under construction in a temporary folder: `corpus/` holds the
/// files, `index/` the index.
pub struct TestCorpus {
    dir: TempDir,
}

impl TestCorpus {
    /// An empty corpus.
    pub fn new() -> TestCorpus {
        let dir = tempfile::tempdir().expect("a temporary folder");
        fs::create_dir(dir.path().join("corpus")).expect("corpus folder");
        TestCorpus { dir }
    }

    /// A copy of the repository's sample corpus.
    pub fn sample() -> TestCorpus {
        let corpus = TestCorpus::new();
        copy_tree(&sample_corpus(), &corpus.root());
        corpus
    }

    /// The corpus folder.
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("corpus")
    }

    /// The folder holding `corpus/` and `index/`.
    pub fn home(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file under the corpus folder, creating its parents.
    pub fn write(&self, rel_path: &str, bytes: impl AsRef<[u8]>) -> &TestCorpus {
        let path = self.root().join(rel_path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("parent folders");
        }
        fs::write(&path, bytes).expect("write a corpus file");
        self
    }

    /// Removes a file from the corpus folder.
    pub fn remove(&self, rel_path: &str) {
        fs::remove_file(self.root().join(rel_path)).expect("remove a corpus file");
    }

    /// `sift` with the given arguments, run in the corpus's home folder.
    pub fn sift(&self, args: &[&str]) -> Command {
        let mut cmd = sift();
        cmd.current_dir(self.home()).args(args);
        cmd
    }

    /// Writes `n` small dispatches under `batch/`, 100 to a folder.
    pub fn write_batch(&self, n: usize) {
        let body = "Rangers counted animals on the island. ".repeat(40);
        for i in 0..n {
            let text = format!("Batch dispatch {i}\nPERTH, Feb. 2 (Xinhua) -- {body}");
            self.write(&format!("batch/{:03}/{i:05}.txt", i / 100), text);
        }
    }

    /// Starts `sift` in the background, output discarded.
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        let cmd = self.sift(args);
        std::process::Command::new(cmd.get_program())
            .args(cmd.get_args())
            .current_dir(self.home())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("sift starts")
    }

    /// Waits (30 s at most) until `child` holds the index's writer lock: it
    /// records its pid once it does.
    pub fn wait_for_writer(&self, child: &std::process::Child) {
        let pid_file = self.home().join("index/.sift-writer.pid");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !fs::read_to_string(&pid_file).is_ok_and(|t| t.trim() == child.id().to_string())
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// Runs `sift index` on the corpus and checks that it succeeded.
    pub fn index(&self) -> Output {
        let out = self.run(&["index", "corpus"]);
        assert_eq!(out.code, 0, "sift index failed: {}", out.stderr);
        out
    }

    /// Runs sift and captures what it did.
    pub fn run(&self, args: &[&str]) -> Output {
        Output::of(&mut self.sift(args))
    }

    /// Runs sift as a user without privileges: as is when the tests do not
    /// run as root, else as `nobody` (setpriv), the folder given to it.
    /// Permission tests need this: root reads and writes everything.
    pub fn run_unprivileged(&self, args: &[&str]) -> Output {
        use std::os::unix::fs::MetadataExt;
        let probe = self.home().join(".uid-probe");
        fs::write(&probe, "").expect("write a probe file");
        let uid = fs::metadata(&probe).expect("probe metadata").uid();
        fs::remove_file(&probe).expect("remove the probe");
        if uid != 0 {
            return self.run(args);
        }
        const NOBODY: u32 = 65534;
        for entry in walkdir::WalkDir::new(self.home()) {
            let entry = entry.expect("walk the test folder");
            std::os::unix::fs::lchown(entry.path(), Some(NOBODY), Some(NOBODY))
                .expect("give the test folder to nobody");
        }
        let sift = self.sift(args);
        let mut cmd = Command::new("setpriv");
        cmd.current_dir(self.home())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(sift.get_program())
            .args(args);
        Output::of(&mut cmd)
    }

    /// The dispatch `show --json` prints for a path.
    pub fn show(&self, rel_path: &str) -> Value {
        let out = self.run(&["show", rel_path, "--json"]);
        assert_eq!(out.code, 0, "show {rel_path}: {}", out.stderr);
        serde_json::from_str(&out.stdout).expect("show --json prints JSON")
    }

    /// The hits `search --json` prints for a query.
    pub fn search_json(&self, args: &[&str]) -> Vec<Value> {
        let mut all = vec!["search", "--json"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        assert!(out.code <= 1, "search {args:?}: {}", out.stderr);
        out.stdout
            .lines()
            .map(|line| serde_json::from_str(line).expect("each line is JSON"))
            .collect()
    }

    /// The `stats --json` object.
    pub fn stats(&self) -> Value {
        let out = self.run(&["stats", "--json"]);
        assert_eq!(out.code, 0, "stats: {}", out.stderr);
        serde_json::from_str(&out.stdout).expect("stats --json prints JSON")
    }
}

/// The `sift` binary with an environment holding nothing that could change
/// its behaviour.
pub fn sift() -> Command {
    let mut cmd = Command::cargo_bin("sift").expect("the sift binary is built");
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd
}

/// What a finished command did.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn of(cmd: &mut Command) -> Output {
        let out = cmd.output().expect("sift runs");
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// The paths of hits, in rank order.
pub fn paths(hits: &[Value]) -> Vec<&str> {
    hits.iter().filter_map(|hit| hit["path"].as_str()).collect()
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).sort_by_file_name() {
        let entry = entry.expect("walk the sample corpus");
        let rel = entry.path().strip_prefix(from).expect("under the root");
        let target = to.join(rel);
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).expect("copy a folder");
        } else {
            fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}
