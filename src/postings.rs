//! Reading a u64 field's terms and postings across all segments of a
//! searcher: how [`crate::boilerplate`] finds the documents written with a
//! paragraph kept out of search (few terms, so an inverted field, unlike
//! the paragraph keys and bands, which are columns).

use rustc_hash::FxHashSet;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocSet, Searcher, TERMINATED, Term};

/// Every value of `field` in any segment's term dictionary, those of deleted
/// documents included until their segment is merged.
pub fn values(searcher: &Searcher, field: Field) -> tantivy::Result<FxHashSet<u64>> {
    let mut values = FxHashSet::default();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(field)?;
        let mut stream = inverted.terms().stream()?;
        while stream.advance() {
            if let Ok(bytes) = <[u8; 8]>::try_from(stream.key()) {
                values.insert(u64::from_be_bytes(bytes));
            }
        }
    }
    Ok(values)
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
