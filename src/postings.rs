//! Reading a u64 field's terms and postings across all segments of a
//! searcher: how [`crate::boilerplate`] finds the documents written with a
//! paragraph kept out of search (few terms, so an inverted field, unlike
//! the paragraph keys and bands, which are columns).
//!
//! Terms come from tantivy's merged term streams in key order, so a pass
//! over a field holds one term per segment in memory, however large the
//! corpus.

use tantivy::schema::{Field, IndexRecordOption};
use tantivy::termdict::TermMerger;
use tantivy::{DocAddress, DocSet, Searcher, TERMINATED, Term};

/// Calls `visit` with every value of `field` present in any segment and the
/// number of documents holding it, deleted ones included (tantivy counts
/// those until their segment is merged): an upper bound.
pub fn for_each_term(
    searcher: &Searcher,
    field: Field,
    mut visit: impl FnMut(u64, u32) -> tantivy::Result<()>,
) -> tantivy::Result<()> {
    let inverted = searcher
        .segment_readers()
        .iter()
        .map(|segment| segment.inverted_index(field))
        .collect::<tantivy::Result<Vec<_>>>()?;
    let streams = inverted
        .iter()
        .map(|index| index.terms().stream())
        .collect::<std::io::Result<Vec<_>>>()?;
    let mut merger = TermMerger::new(streams);
    while merger.advance() {
        let Ok(bytes) = <[u8; 8]>::try_from(merger.key()) else {
            continue;
        };
        let doc_freq = merger
            .current_segment_ords_and_term_infos()
            .map(|(_, info)| info.doc_freq)
            .sum();
        visit(u64::from_be_bytes(bytes), doc_freq)?;
    }
    Ok(())
}

/// The live documents whose `field` holds `value`, in index order.
pub fn docs_with(
    searcher: &Searcher,
    field: Field,
    value: u64,
) -> tantivy::Result<Vec<DocAddress>> {
    let term = Term::from_field_u64(field, value);
    let mut docs = Vec::new();
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let inverted = segment.inverted_index(field)?;
        let Some(mut postings) = inverted.read_postings(&term, IndexRecordOption::Basic)? else {
            continue;
        };
        let alive = segment.alive_bitset();
        let mut doc = postings.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|bits| bits.is_alive(doc)) {
                docs.push(DocAddress::new(ord as u32, doc));
            }
            doc = postings.advance();
        }
    }
    Ok(docs)
}
