//! Fuzzes the query language: any text, with any of the query options, is
//! parsed and run against the sample corpus's index (hits, snippets,
//! facets, explanations). A query may be refused with an error; it must
//! never panic or hang.
//!
//!     cargo +nightly fuzz run query -- -max_total_time=600

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sift::crawl::CrawlOptions;
use sift::index::{self, IndexOptions};
use sift::normalize::NormalizeOptions;
use sift::search::{Engine, Request, SortBy};

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("sift-fuzz-{}", std::process::id()));
        let options = IndexOptions {
            corpus: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpus"),
            index_dir: dir.clone(),
            threads: 1,
            memory_mb: 64,
            rebuild: true,
            commit_every: 0,
            boilerplate: sift::boilerplate::DEFAULT_THRESHOLD,
            near_story: sift::stories::DEFAULT_NEAR_STORY,
            crawl: CrawlOptions::default(),
            normalize: NormalizeOptions::default(),
        };
        index::index(&options, &mut |_| {}).expect("the sample corpus indexes");
        Engine::open(&dir).expect("the index opens")
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, text)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let mut request = Request::new(text);
    request.query_options.any = flags & 1 != 0;
    request.query_options.fuzzy = flags & 2 != 0;
    request.query_options.plain = flags & 4 != 0;
    request.facets = flags & 8 != 0;
    request.explain = flags & 16 != 0;
    if flags & 32 != 0 {
        request.sort = SortBy::Date;
    }
    let _ = engine().search(&request);
});
