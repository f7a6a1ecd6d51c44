//! Ranking quality: query files, TREC relevance judgements, and the
//! measures `trec_eval` computes (nDCG@10, MAP, P@10, Recall@100).
//!
//! The definitions follow `trec_eval` 9.x so that figures can be checked
//! against it (or `pytrec_eval`, `ir_measures`) to the fourth decimal:
//! - a run's documents are ranked by score, ties broken by document id,
//!   descending (as `trec_eval` sorts them);
//! - a document is relevant when its judgement is 1 or more;
//! - every query with at least one relevant document counts, a query with no
//!   retrieved documents scoring 0 (`trec_eval -c`);
//! - nDCG's gain is the judgement value, discounted by `log2(rank + 1)`.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};

/// Queries, in file order: `(id, text)`.
pub type Queries = Vec<(String, String)>;

/// Judgements: query id → document id → relevance.
pub type Qrels = HashMap<String, HashMap<String, i32>>;

/// One query's ranked documents: `(document id, score)`.
pub type Ranking = Vec<(String, f64)>;

/// The measures for one query, or their means over queries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Measures {
    /// Normalized discounted cumulative gain over the first 10 documents.
    pub ndcg_10: f64,
    /// Average precision (mean: MAP).
    pub map: f64,
    /// Precision over the first 10 documents.
    pub p_10: f64,
    /// Recall over the first 100 documents.
    pub recall_100: f64,
}

/// The result of an evaluation.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Evaluation {
    /// Queries evaluated: those with at least one relevant document.
    pub queries: usize,
    /// Means over those queries.
    pub mean: Measures,
    /// Each evaluated query's measures, by query id.
    pub per_query: BTreeMap<String, Measures>,
}

/// Reads a query file: one `id<TAB>query` per line; blank lines and lines
/// starting with `#` are ignored.
pub fn read_queries(path: &Path) -> Result<Queries> {
    read_with(path, parse_queries)
}

/// Reads a file and parses it, a parse error becoming an error that names
/// the file and the line.
fn read_with<T>(
    path: &Path,
    parse: fn(&str) -> std::result::Result<T, (usize, String)>,
) -> Result<T> {
    let text = fs::read_to_string(path).map_err(|err| Error::io(path, err))?;
    parse(&text).map_err(|(line, reason)| Error::Format {
        path: path.to_path_buf(),
        line,
        reason,
    })
}

/// Parses the text of a query file; errors carry the line number.
pub fn parse_queries(text: &str) -> std::result::Result<Queries, (usize, String)> {
    let mut queries = Vec::new();
    for (number, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l)) {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (id, query) = line
            .split_once('\t')
            .ok_or_else(|| (number, "expected `id<TAB>query`".to_string()))?;
        if id.trim().is_empty() {
            return Err((number, "the query id is empty".to_string()));
        }
        queries.push((id.trim().to_string(), query.trim().to_string()));
    }
    Ok(queries)
}

/// Reads TREC qrels: `query-id iteration document-id relevance` per line.
pub fn read_qrels(path: &Path) -> Result<Qrels> {
    read_with(path, parse_qrels)
}

/// Parses qrels text; errors carry the line number.
pub fn parse_qrels(text: &str) -> std::result::Result<Qrels, (usize, String)> {
    let mut qrels = Qrels::new();
    for (number, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l)) {
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            [] => continue,
            [query, _, doc, relevance] => {
                let relevance = relevance
                    .parse()
                    .map_err(|_| (number, format!("relevance {relevance:?} is not a number")))?;
                qrels
                    .entry(query.to_string())
                    .or_default()
                    .insert(doc.to_string(), relevance);
            }
            _ => {
                return Err((
                    number,
                    "expected `query-id iteration document-id relevance`".to_string(),
                ));
            }
        }
    }
    Ok(qrels)
}

/// Evaluates rankings (query id → ranking) against judgements.
pub fn evaluate(run: &HashMap<String, Ranking>, qrels: &Qrels) -> Evaluation {
    let mut per_query = BTreeMap::new();
    for (query, judged) in qrels {
        if !judged.values().any(|&r| r >= 1) {
            continue;
        }
        let ranking = run.get(query).cloned().unwrap_or_default();
        per_query.insert(query.clone(), measure(ranking, judged));
    }
    let queries = per_query.len();
    let mut mean = Measures::default();
    for m in per_query.values() {
        mean.ndcg_10 += m.ndcg_10;
        mean.map += m.map;
        mean.p_10 += m.p_10;
        mean.recall_100 += m.recall_100;
    }
    if queries > 0 {
        let n = queries as f64;
        mean = Measures {
            ndcg_10: mean.ndcg_10 / n,
            map: mean.map / n,
            p_10: mean.p_10 / n,
            recall_100: mean.recall_100 / n,
        };
    }
    Evaluation {
        queries,
        mean,
        per_query,
    }
}

/// The measures of one ranking.
fn measure(mut ranking: Ranking, judged: &HashMap<String, i32>) -> Measures {
    ranking.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| b.0.cmp(&a.0)));
    let relevance = |doc: &str| judged.get(doc).copied().unwrap_or(0);
    let relevant_total = judged.values().filter(|&&r| r >= 1).count() as f64;

    let (mut found, mut precision_sum) = (0.0, 0.0);
    let (mut found_10, mut found_100) = (0.0, 0.0);
    let mut dcg = 0.0;
    for (i, (doc, _)) in ranking.iter().enumerate() {
        let rank = i + 1;
        let rel = relevance(doc);
        if rank <= 10 && rel > 0 {
            dcg += f64::from(rel) / (rank as f64 + 1.0).log2();
        }
        if rel >= 1 {
            found += 1.0;
            precision_sum += found / rank as f64;
            if rank <= 10 {
                found_10 += 1.0;
            }
            if rank <= 100 {
                found_100 += 1.0;
            }
        }
    }
    let mut ideal: Vec<i32> = judged.values().copied().filter(|&r| r > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, &rel)| f64::from(rel) / (i as f64 + 2.0).log2())
        .sum();
    Measures {
        ndcg_10: if idcg > 0.0 { dcg / idcg } else { 0.0 },
        map: precision_sum / relevant_total,
        p_10: found_10 / 10.0,
        recall_100: found_100 / relevant_total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranking(docs: &[&str]) -> Ranking {
        docs.iter()
            .enumerate()
            .map(|(i, d)| (d.to_string(), 100.0 - i as f64))
            .collect()
    }

    fn judged(pairs: &[(&str, i32)]) -> HashMap<String, i32> {
        pairs.iter().map(|(d, r)| (d.to_string(), *r)).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn average_precision_by_hand() {
        // Relevant at ranks 1 and 3, a third relevant never retrieved:
        // AP = (1/1 + 2/3) / 3.
        let m = measure(
            ranking(&["a", "x", "b", "y"]),
            &judged(&[("a", 1), ("b", 1), ("c", 1), ("x", 0)]),
        );
        assert!(close(m.map, (1.0 + 2.0 / 3.0) / 3.0), "{}", m.map);
        assert!(close(m.p_10, 0.2));
        assert!(close(m.recall_100, 2.0 / 3.0));
    }

    #[test]
    fn ndcg_by_hand() {
        // Gains 2 at rank 2 and 1 at rank 3; ideal is 2 then 1.
        let m = measure(ranking(&["x", "a", "b"]), &judged(&[("a", 2), ("b", 1)]));
        let dcg = 2.0 / 3f64.log2() + 1.0 / 4f64.log2();
        let idcg = 2.0 / 2f64.log2() + 1.0 / 3f64.log2();
        assert!(close(m.ndcg_10, dcg / idcg), "{}", m.ndcg_10);
    }

    #[test]
    fn ties_break_by_document_id_descending() {
        let tied: Ranking = vec![("a".into(), 1.0), ("b".into(), 1.0)];
        // trec_eval ranks b before a: the relevant a is second.
        let m = measure(tied, &judged(&[("a", 1)]));
        assert!(close(m.map, 0.5));
    }

    #[test]
    fn unretrieved_and_unjudged_queries() {
        let qrels = parse_qrels("1 0 a 1\n2 0 b 1\n3 0 c 0\n").expect("valid qrels");
        let run = HashMap::from([
            ("1".to_string(), ranking(&["a"])),
            ("9".to_string(), ranking(&["a"])),
        ]);
        let eval = evaluate(&run, &qrels);
        assert_eq!(
            eval.queries, 2,
            "query 3 has no relevant document, query 9 no judgement"
        );
        assert!(close(eval.mean.map, 0.5));
    }

    #[test]
    fn file_formats() {
        assert_eq!(
            parse_queries("# comment\n1\tretaliatory measures\n\n2\t\"a phrase\"\n"),
            Ok(vec![
                ("1".into(), "retaliatory measures".into()),
                ("2".into(), "\"a phrase\"".into())
            ])
        );
        assert_eq!(
            parse_queries("no tab here"),
            Err((1, "expected `id<TAB>query`".to_string()))
        );
        assert!(parse_qrels("1 0 a x").is_err());
        assert!(parse_qrels("1 0 a").is_err());
    }
}
