//! sift indexes a folder of news dispatches and answers keyword queries with
//! ranked hits.
//!
//! ```text
//! corpus/ ──crawl──▶ RawFile ──normalize──▶ Dispatch ──index──▶ index/ (tantivy)
//!                                                                   │
//!                               query ──search──▶ Hit (ranked) ◀────┘
//! ```
//!
//! Each arrow is one module and data flows one way: [`crawl`] finds and reads
//! files, [`normalize`] turns bytes into a [`Dispatch`] by pure functions,
//! [`index`] writes dispatches into a tantivy index whose one [`schema`]
//! uses the [`analyzer`], and [`search`] reads it back as [`Hit`]s, which
//! [`output`] renders. The library knows no command line: only `cli` and
//! the binary do.
//!
//! ```
//! use sift::normalize::{normalize, NormalizeOptions};
//! use sift::RawFile;
//!
//! let text = "国际英语资讯:Talks open\nPARIS, Feb. 15 (Xinhua) -- Talks opened.\nPARIS, Feb. 15 (Xinhua) -- Talks opened.";
//! let file = RawFile { rel_path: "2017/a.txt".into(), bytes: text.into(), mtime: 0, size: 0 };
//! let dispatch = normalize(&file, &NormalizeOptions::default());
//! assert_eq!(dispatch.category.as_deref(), Some("国际英语资讯"));
//! assert_eq!(dispatch.paragraphs.len(), 1);
//! assert_eq!(dispatch.date.map(|d| d.to_string()).as_deref(), Some("2017-02-15"));
//! ```

#![warn(missing_docs)]

pub mod allocator;
pub mod analyzer;
pub mod boilerplate;
pub mod chunk;
pub mod crawl;
pub mod error;
pub mod eval;
pub mod index;
pub mod inflight;
pub mod known;
pub mod merging;
pub mod normalize;
pub mod output;
pub mod postings;
pub mod raw_file;
pub mod schema;
pub mod search;
pub mod stats;
pub mod store_dictionary;
pub mod stories;

pub use crate::error::{Error, Result};
pub use crate::normalize::Dispatch;
pub use crate::raw_file::RawFile;
pub use crate::search::Hit;
