//! Fuzzes normalization: any bytes, under any path and options, become a
//! dispatch without panicking; no two kept paragraphs are repeats, every
//! removal points back at an earlier paragraph, every kept paragraph has a
//! key, and marking boilerplate splits the kept paragraphs without losing
//! one.
//!
//!     cargo +nightly fuzz run -O normalize -- -max_total_time=600

#![no_main]

use libfuzzer_sys::fuzz_target;
use sift::RawFile;
use sift::normalize::{NormalizeOptions, normalize};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, bytes)) = data.split_first() else {
        return;
    };
    let rel_path = if flags & 1 == 0 { "a.txt" } else { "2017/02/20170215_a.txt" };
    let options = NormalizeOptions {
        year: (flags & 2 != 0).then_some(2017),
        near_dup: if flags & 4 == 0 { 0.9 } else { 0.0 },
        ..NormalizeOptions::default()
    };
    let file = RawFile {
        rel_path: rel_path.into(),
        bytes: bytes.to_vec(),
        mtime: 0,
        size: bytes.len() as u64,
    };
    let dispatch = normalize(&file, &options);
    assert!(sift::normalize::dedup::is_unique(&dispatch.paragraphs));
    let total = dispatch.removed.len() + dispatch.paragraphs.len();
    for removal in &dispatch.removed {
        assert!(removal.original < removal.position && removal.position < total);
    }
    assert_eq!(dispatch.keys.len(), dispatch.paragraphs.len());
    assert!(dispatch.bands.is_empty() || dispatch.bands.len() == sift::normalize::story::BANDS);
    let mut marked = dispatch.clone();
    marked.mark_boilerplate(|key| key % 2 == 0);
    let shown = marked.searchable().count() + marked.boilerplate_paragraphs().count();
    assert_eq!(shown, marked.paragraphs.len());
    assert!(marked.boilerplate.first() != Some(&true));
});
