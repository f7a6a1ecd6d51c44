//! The best fragment of a text for a query's terms: what tantivy's
//! `SnippetGenerator` chooses, without its cost per word.
//!
//! The text is cut, from its start, into fragments of at most `max_chars`
//! bytes (a fragment starts at the first word that does not fit in the one
//! before); a fragment scores the sum of its matching words' term scores,
//! and the best scoring one wins, the earliest among equals. tantivy
//! lower-cases every word into a new `String` to look it up; sift's
//! analyzer emits lower-cased words already, so they are looked up as
//! they are. Snippets were a quarter of a query's time.

use tantivy::tokenizer::{TextAnalyzer, TokenStream};

/// A chosen fragment: its byte range in the text and those of its matching
/// words, relative to the fragment's start.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fragment {
    pub start: usize,
    pub end: usize,
    pub highlights: Vec<(usize, usize)>,
}

/// A fragment being built.
struct Candidate {
    start: usize,
    end: usize,
    score: f32,
    highlights: Vec<(usize, usize)>,
}

impl Candidate {
    fn new(start: usize) -> Candidate {
        Candidate {
            start,
            end: start,
            score: 0.0,
            highlights: Vec::new(),
        }
    }
}

/// The best fragment of `text`, or `None` when no word matches a term.
/// `terms` are analyzed terms with their scores.
pub fn best(
    analyzer: &mut TextAnalyzer,
    text: &str,
    terms: &[(String, f32)],
    max_chars: usize,
) -> Option<Fragment> {
    let mut best: Option<Candidate> = None;
    let mut keep = |candidate: Candidate| {
        // Strictly better only: the earliest of equal scores stays.
        if candidate.score > 0.0 && best.as_ref().is_none_or(|b| candidate.score > b.score) {
            best = Some(candidate);
        }
    };
    let mut stream = analyzer.token_stream(text);
    let mut current = Candidate::new(0);
    while let Some(token) = stream.next() {
        if token.offset_to - current.start > max_chars {
            let next = Candidate::new(token.offset_from);
            keep(std::mem::replace(&mut current, next));
        }
        current.end = token.offset_to;
        if let Some((_, score)) = terms.iter().find(|(term, _)| *term == token.text) {
            current.score += score;
            current
                .highlights
                .push((token.offset_from, token.offset_to));
        }
    }
    keep(current);
    best.map(|chosen| Fragment {
        start: chosen.start,
        end: chosen.end,
        highlights: chosen
            .highlights
            .iter()
            .map(|&(from, to)| (from - chosen.start, to - chosen.start))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use tantivy::snippet::SnippetGenerator;

    use super::*;
    use crate::analyzer;

    fn terms(words: &[(&str, f32)]) -> Vec<(String, f32)> {
        words.iter().map(|&(w, s)| (w.to_string(), s)).collect()
    }

    /// tantivy's choice, for comparison.
    fn tantivy_choice(text: &str, terms: &[(String, f32)], max_chars: usize) -> Option<Fragment> {
        let scored: BTreeMap<String, f32> = terms.iter().cloned().collect();
        let generator = SnippetGenerator::new(
            scored,
            analyzer::analyzer(),
            tantivy::schema::Field::from_field_id(0),
            max_chars,
        );
        let snippet = generator.snippet(text);
        if snippet.fragment().is_empty() {
            return None;
        }
        let start = text.find(snippet.fragment()).unwrap_or(0);
        Some(Fragment {
            start,
            end: start + snippet.fragment().len(),
            highlights: snippet
                .highlighted()
                .iter()
                .map(|r| (r.start, r.end))
                .collect(),
        })
    }

    #[test]
    fn the_best_fragment_wins_and_the_first_of_equals() {
        // Fragments of 30 bytes: "The fox ran. Nothing here at",
        // "all, nothing. The fox and the", "hound met the fox."
        let text = "The fox ran. Nothing here at all, nothing. The fox and the hound met the fox.";
        let mut analyzer = analyzer::analyzer();
        let chosen = best(
            &mut analyzer,
            text,
            &terms(&[("fox", 1.0), ("hound", 1.0)]),
            30,
        )
        .expect("a match");
        assert_eq!(&text[chosen.start..chosen.end], "hound met the fox");
        assert_eq!(chosen.highlights, vec![(0, 5), (14, 17)]);
        let chosen = best(&mut analyzer, text, &terms(&[("fox", 1.0)]), 30).expect("a match");
        assert_eq!(
            &text[chosen.start..chosen.end],
            "The fox ran. Nothing here at"
        );
        assert_eq!(chosen.highlights, vec![(4, 7)]);
        assert_eq!(best(&mut analyzer, text, &terms(&[("cat", 1.0)]), 30), None);
    }

    proptest! {
        /// The same choice as tantivy's generator, for texts of a few words.
        #[test]
        fn chooses_as_tantivy_does(
            words in proptest::collection::vec(prop::sample::select(vec!["fox", "foxes", "Ran", "the", "hound", "a", "Fox."]), 0..40),
            max_chars in 5usize..60,
        ) {
            let text = words.join(" ");
            let terms = terms(&[("fox", 0.5), ("ran", 0.25)]);
            let mut analyzer = analyzer::analyzer();
            let ours = best(&mut analyzer, &text, &terms, max_chars);
            let theirs = tantivy_choice(&text, &terms, max_chars);
            prop_assert_eq!(ours.map(|f| (f.end - f.start, f.highlights)), theirs.map(|f| (f.end - f.start, f.highlights)));
        }
    }
}
