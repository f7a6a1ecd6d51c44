//! The integration tests: the real `sift` binary on real files.

// Helpers: `TestCorpus` and the scrubbed `sift` command.
mod util;
// Named inputs: dispatches and byte-literal encodings.
mod hay;
// `sift index`: documents, skips, formats, incremental runs.
mod index;
// `sift search`: ranking, fields, snippets, JSON, exit codes.
mod search;
// The query language, filters, facets, sorting, batch runs, eval.
mod query;
// Boilerplate and duplicate stories across the corpus, across runs.
mod corpus;
// Bad input, damaged indexes, kills.
mod faults;
// The BBC news set from ../shared/corpora, indexed and searched whole.
mod bbc;
