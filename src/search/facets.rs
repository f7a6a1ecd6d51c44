//! Facet counts: how many hits fall in each category, place and agency.
//!
//! A collector that reads the term ordinals of the three keyword fields'
//! fast columns for every matching document, counts them per segment, and
//! resolves ordinals to names once per segment at the end.

use std::collections::BTreeMap;

use serde::Serialize;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// The fields counted, in output order.
pub const FACET_FIELDS: [&str; 3] = ["category", "place", "agency"];

/// Hit counts per value, for each facet field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
    /// Hits per category.
    pub category: Vec<(String, u64)>,
    /// Hits per place.
    pub place: Vec<(String, u64)>,
    /// Hits per agency.
    pub agency: Vec<(String, u64)>,
}

/// Counts hits per value of the facet fields.
pub struct FacetCollector;

/// The per-segment half of [`FacetCollector`].
pub struct FacetSegmentCollector {
    columns: Vec<Option<StrColumn>>,
    counts: Vec<Vec<u64>>,
}

impl Collector for FacetCollector {
    type Fruit = Facets;
    type Child = FacetSegmentCollector;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<FacetSegmentCollector> {
        let mut columns = Vec::with_capacity(FACET_FIELDS.len());
        let mut counts = Vec::with_capacity(FACET_FIELDS.len());
        for name in FACET_FIELDS {
            let column = segment.fast_fields().str(name)?;
            counts.push(vec![0; column.as_ref().map_or(0, |c| c.num_terms())]);
            columns.push(column);
        }
        Ok(FacetSegmentCollector { columns, counts })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<Vec<BTreeMap<String, u64>>>) -> tantivy::Result<Facets> {
        let mut merged: Vec<BTreeMap<String, u64>> = vec![BTreeMap::new(); FACET_FIELDS.len()];
        for segment in segments {
            for (total, counts) in merged.iter_mut().zip(segment) {
                for (name, count) in counts {
                    *total.entry(name).or_default() += count;
                }
            }
        }
        let mut sorted = merged.into_iter().map(|counts| {
            let mut counts: Vec<(String, u64)> = counts.into_iter().collect();
            counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            counts
        });
        Ok(Facets {
            category: sorted.next().unwrap_or_default(),
            place: sorted.next().unwrap_or_default(),
            agency: sorted.next().unwrap_or_default(),
        })
    }
}

impl SegmentCollector for FacetSegmentCollector {
    type Fruit = Vec<BTreeMap<String, u64>>;

    fn collect(&mut self, doc: DocId, _: Score) {
        for (column, counts) in self.columns.iter().zip(&mut self.counts) {
            let Some(column) = column else { continue };
            for ord in column.term_ords(doc) {
                if let Some(count) = usize::try_from(ord).ok().and_then(|i| counts.get_mut(i)) {
                    *count += 1;
                }
            }
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.columns
            .iter()
            .zip(self.counts)
            .map(|(column, counts)| {
                let mut named = BTreeMap::new();
                let Some(column) = column else { return named };
                let mut name = String::new();
                for (ord, count) in counts.into_iter().enumerate().filter(|(_, c)| *c > 0) {
                    if column.ord_to_str(ord as u64, &mut name).unwrap_or(false) {
                        named.insert(name.clone(), count);
                    }
                }
                named
            })
            .collect()
    }
}
