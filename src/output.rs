//! Rendering: hits, dispatches, statistics and run summaries, for people
//! (a readable list, bold highlights on a terminal) and for scripts (JSON,
//! one object per line).
//!
//! Everything here writes to a `Write` it is given and returns its I/O
//! error, so that the caller can tell a closed pipe from a real failure.

use std::io::{self, Write};

use serde::Serialize;

use crate::eval::Evaluation;
use crate::index::Summary;
use crate::normalize::Inspection;
use crate::search::{Facets, Hit, Hits, Snippet, StoredDispatch};
use crate::stats::Stats;

const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// How to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// JSON lines instead of text.
    pub json: bool,
    /// Bold highlights (a terminal that wants colour).
    pub color: bool,
}

/// Writes a page of hits, then the facet counts if there are any.
pub fn hits(out: &mut dyn Write, hits: &Hits, style: Style) -> io::Result<()> {
    if style.json {
        for hit in &hits.hits {
            json_line(out, hit)?;
        }
    } else {
        for hit in &hits.hits {
            human_hit(out, hit, style.color)?;
        }
        if let (Some(first), Some(last)) = (hits.hits.first(), hits.hits.last()) {
            let folded = if hits.hits.iter().any(|hit| !hit.copies.is_empty()) {
                " (files of one story shown once; --all-copies lists each)"
            } else {
                ""
            };
            writeln!(
                out,
                "{}-{} of {} hits{folded}",
                first.rank, last.rank, hits.total
            )?;
        }
    }
    match &hits.facets {
        Some(facets) => self::facets(out, facets, hits.total, style),
        None => Ok(()),
    }
}

/// Writes facet counts: a JSON line, or one line per facet field.
pub fn facets(out: &mut dyn Write, facets: &Facets, total: usize, style: Style) -> io::Result<()> {
    if style.json {
        return json_line(
            out,
            &serde_json::json!({ "total": total, "facets": facets }),
        );
    }
    writeln!(out, "facets over {total} hits:")?;
    for (name, counts) in [
        ("category", &facets.category),
        ("place", &facets.place),
        ("agency", &facets.agency),
    ] {
        let shown: Vec<String> = counts
            .iter()
            .take(10)
            .map(|(value, n)| format!("{value} ({n})"))
            .collect();
        let more = counts.len().saturating_sub(10);
        let tail = if more > 0 {
            format!(", and {more} more")
        } else {
            String::new()
        };
        let list = if shown.is_empty() {
            "-".to_string()
        } else {
            shown.join(", ")
        };
        writeln!(out, "  {name:<9} {list}{tail}")?;
    }
    Ok(())
}

/// Writes the hits of one query of a batch: JSON lines tagged with the
/// query id, or TREC run lines (`qid Q0 docid rank score sift`).
pub fn batch_hits(out: &mut dyn Write, query_id: &str, hits: &Hits, trec: bool) -> io::Result<()> {
    #[derive(Serialize)]
    struct Tagged<'a> {
        query_id: &'a str,
        #[serde(flatten)]
        hit: &'a Hit,
    }
    for hit in &hits.hits {
        if trec {
            writeln!(
                out,
                "{query_id} Q0 {} {} {} sift",
                hit.heading.path, hit.rank, hit.score
            )?;
        } else {
            json_line(out, &Tagged { query_id, hit })?;
        }
    }
    Ok(())
}

/// Writes the number of matching documents.
pub fn count(out: &mut dyn Write, total: usize, style: Style) -> io::Result<()> {
    if style.json {
        json_line(out, &serde_json::json!({ "total": total }))
    } else {
        writeln!(out, "{total}")
    }
}

/// Writes a score explanation as an indented tree.
fn human_explanation(
    out: &mut dyn Write,
    node: &serde_json::Value,
    depth: usize,
) -> io::Result<()> {
    let value = node["value"].as_f64().unwrap_or(0.0);
    let description = node["description"].as_str().unwrap_or_default();
    writeln!(
        out,
        "   {:indent$}{value:.4} {description}",
        "",
        indent = depth * 2
    )?;
    for child in node["details"].as_array().into_iter().flatten() {
        human_explanation(out, child, depth + 1)?;
    }
    Ok(())
}

/// Writes evaluation figures.
pub fn evaluation(
    out: &mut dyn Write,
    eval: &Evaluation,
    per_query: bool,
    style: Style,
) -> io::Result<()> {
    if style.json {
        if per_query {
            return json_line(out, eval);
        }
        return json_line(
            out,
            &serde_json::json!({ "queries": eval.queries, "mean": eval.mean }),
        );
    }
    if per_query {
        writeln!(
            out,
            "{:<10} {:>8} {:>8} {:>8} {:>10}",
            "query", "nDCG@10", "AP", "P@10", "Recall@100"
        )?;
        for (query, m) in &eval.per_query {
            writeln!(
                out,
                "{query:<10} {:>8.4} {:>8.4} {:>8.4} {:>10.4}",
                m.ndcg_10, m.map, m.p_10, m.recall_100
            )?;
        }
    }
    let m = &eval.mean;
    writeln!(out, "queries     {}", eval.queries)?;
    writeln!(out, "nDCG@10     {:.4}", m.ndcg_10)?;
    writeln!(out, "MAP         {:.4}", m.map)?;
    writeln!(out, "P@10        {:.4}", m.p_10)?;
    writeln!(out, "Recall@100  {:.4}", m.recall_100)
}

fn human_hit(out: &mut dyn Write, hit: &Hit, color: bool) -> io::Result<()> {
    let (bold, reset) = if color { (BOLD, RESET) } else { ("", "") };
    writeln!(
        out,
        "{}. {bold}{}{reset}  ({:.3})",
        hit.rank, hit.heading.title, hit.score
    )?;
    let date = hit.heading.date_or_text();
    let facts: Vec<&str> = [
        Some(hit.heading.path.as_str()),
        hit.heading.category.as_deref(),
        hit.heading.place.as_deref(),
        date,
        hit.heading.agency.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let copies = match hit.copies.len() {
        0 => String::new(),
        1 => " · +1 copy".to_string(),
        n => format!(" · +{n} copies"),
    };
    writeln!(out, "   {}{copies}", facts.join(" · "))?;
    if !hit.snippet.text.is_empty() {
        writeln!(out, "   {}", highlighted(&hit.snippet, color))?;
    }
    if let Some(explanation) = &hit.explanation {
        human_explanation(out, explanation, 0)?;
    }
    writeln!(out)
}

/// The snippet's text, with matches in bold when `color` is set.
pub fn highlighted(snippet: &Snippet, color: bool) -> String {
    if !color {
        return snippet.text.clone();
    }
    let mut text = String::with_capacity(snippet.text.len() + 8 * snippet.highlights.len());
    let mut at = 0;
    for &(start, end) in &snippet.highlights {
        let (Some(before), Some(matched)) =
            (snippet.text.get(at..start), snippet.text.get(start..end))
        else {
            continue;
        };
        text.push_str(before);
        text.push_str(BOLD);
        text.push_str(matched);
        text.push_str(RESET);
        at = end;
    }
    text.push_str(snippet.text.get(at..).unwrap_or_default());
    text
}

/// Writes one stored dispatch, whole.
pub fn dispatch(out: &mut dyn Write, dispatch: &StoredDispatch, style: Style) -> io::Result<()> {
    if style.json {
        return json_line(out, dispatch);
    }
    let (bold, reset) = if style.color { (BOLD, RESET) } else { ("", "") };
    writeln!(out, "{bold}{}{reset}", dispatch.heading.title)?;
    let field = |name: &str, value: Option<&str>| value.map(|v| format!("{name:<10} {v}\n"));
    let date = dispatch.heading.date_or_text();
    let fields: String = [
        field("path", Some(&dispatch.heading.path)),
        field("category", dispatch.heading.category.as_deref()),
        field("place", dispatch.heading.place.as_deref()),
        field("date", date),
        field("agency", dispatch.heading.agency.as_deref()),
        field("encoding", Some(&dispatch.encoding)),
    ]
    .into_iter()
    .flatten()
    .collect();
    write!(out, "{fields}")?;
    paragraph_counts(
        out,
        dispatch.paragraphs.len(),
        dispatch.paragraphs_removed as usize,
        dispatch.boilerplate.len(),
    )?;
    if let Some(damage) = damage(dispatch.replacements as usize) {
        writeln!(out, "{:<10} {damage}", "damage")?;
    }
    for (i, paragraph) in dispatch.paragraphs.iter().enumerate() {
        let mark = if dispatch.boilerplate.contains(&i) {
            "[boilerplate] "
        } else {
            ""
        };
        writeln!(out, "\n{mark}{paragraph}")?;
    }
    Ok(())
}

/// Writes how one file normalizes.
pub fn inspection(out: &mut dyn Write, inspection: &Inspection, style: Style) -> io::Result<()> {
    if style.json {
        return json_line(out, inspection);
    }
    let d = &inspection.dispatch;
    let line = |name: &str, value: Option<&str>| value.map(|v| format!("{name:<10} {v}\n"));
    let date = d.date.map(|date| date.to_string());
    let dateline = d.dateline.as_ref();
    let damage = damage(d.replacements);
    let lines: String = [
        line("path", Some(&d.path)),
        line("encoding", Some(d.encoding)),
        line("damage", damage.as_deref()),
        line("category", d.category.as_deref()),
        line("title", Some(&d.title)),
        line("place", dateline.map(|l| l.place.as_str())),
        line(
            "date",
            date.as_deref()
                .or(dateline.and_then(|l| l.date_text.as_deref())),
        ),
        line("agency", dateline.and_then(|l| l.agency.as_deref())),
    ]
    .into_iter()
    .flatten()
    .collect();
    write!(out, "{lines}")?;
    let boilerplate = d.boilerplate.iter().filter(|&&b| b).count();
    paragraph_counts(out, d.paragraphs.len(), d.removed.len(), boilerplate)?;
    writeln!(out)?;
    for (i, verdict) in inspection.paragraphs.iter().enumerate() {
        let status = match (
            verdict.duplicate_of,
            verdict.similarity,
            verdict.boilerplate_in,
        ) {
            (Some(first), None, _) => format!("removed: exact duplicate of #{first}"),
            (Some(first), Some(similarity), _) => {
                format!("removed: near-duplicate of #{first} at similarity {similarity:.2}")
            }
            (None, _, Some(stories)) => {
                format!("kept out of search: boilerplate seen in {stories} stories")
            }
            (None, _, None) => "kept".to_string(),
        };
        let preview = clip(&verdict.text, 70);
        writeln!(out, "#{:<3} {status}\n     {preview}", i + 1)?;
    }
    Ok(())
}

/// The line of paragraph counts that `show` and `inspect` both print.
fn paragraph_counts(
    out: &mut dyn Write,
    kept: usize,
    removed: usize,
    boilerplate: usize,
) -> io::Result<()> {
    let boilerplate = if boilerplate > 0 {
        format!(" ({boilerplate} of them boilerplate: shown, not searched)")
    } else {
        String::new()
    };
    writeln!(
        out,
        "{:<10} {kept} kept{boilerplate}, {removed} removed as duplicates",
        "paragraphs"
    )
}

/// What `show` and `inspect` say of characters that could not be decoded.
fn damage(replacements: usize) -> Option<String> {
    (replacements > 0).then(|| format!("{replacements} characters could not be decoded"))
}

/// Writes index statistics.
pub fn stats(out: &mut dyn Write, stats: &Stats, style: Style) -> io::Result<()> {
    if style.json {
        return json_line(out, stats);
    }
    writeln!(out, "documents           {}", stats.documents)?;
    writeln!(out, "paragraphs kept     {}", stats.paragraphs_kept)?;
    writeln!(out, "paragraphs removed  {}", stats.paragraphs_removed)?;
    writeln!(
        out,
        "duplicate files     {} (of {} stories filed more than once)",
        stats.duplicate_files, stats.duplicate_groups
    )?;
    if stats.near_identical_files > 0 {
        writeln!(
            out,
            "  near-identical    {} (not the same text after normalization)",
            stats.near_identical_files
        )?;
    }
    writeln!(
        out,
        "boilerplate         {} paragraphs",
        stats.boilerplate_paragraphs
    )?;
    for line in &stats.top_boilerplate {
        writeln!(
            out,
            "  {:>6} stories   {}",
            line.stories,
            clip(&line.text, 70)
        )?;
    }
    writeln!(out, "segments            {}", stats.segments)?;
    writeln!(
        out,
        "index size          {}",
        human_bytes(stats.index_bytes)
    )?;
    writeln!(out, "schema version      {}", stats.schema_version)?;
    if let Some(corpus) = &stats.corpus {
        writeln!(out, "corpus              {corpus}")?;
    }
    if let Some(run) = &stats.last_run {
        writeln!(out, "last run            {}", summary_line(run))?;
        for (reason, count) in &run.skipped {
            writeln!(out, "  skipped {reason:<11} {count}")?;
        }
    }
    Ok(())
}

/// The one-line summary of an indexing run.
pub fn summary_line(summary: &Summary) -> String {
    let secs = summary.elapsed_secs.max(1e-6);
    let resumed = if summary.resumed {
        "; resumed an interrupted run (its committed files count as unchanged)"
    } else {
        ""
    };
    let reasons = if summary.skipped.is_empty() {
        String::new()
    } else {
        let counts: Vec<String> = summary
            .skipped
            .iter()
            .map(|(reason, count)| format!("{count} {reason}"))
            .collect();
        format!(" ({})", counts.join(", "))
    };
    let corpus = corpus_findings(summary);
    format!(
        "{} files seen, {} indexed ({} new, {} updated), {} unchanged, {} deleted, {} skipped{reasons}, \
         {} duplicate paragraphs removed in {:.2}s ({:.0} docs/s, {:.1} MB/s){corpus}{resumed}",
        summary.seen,
        summary.indexed(),
        summary.added,
        summary.updated,
        summary.unchanged,
        summary.deleted,
        summary.skipped_total(),
        summary.paragraphs_removed,
        summary.elapsed_secs,
        summary.indexed() as f64 / secs,
        summary.bytes as f64 / 1e6 / secs,
    )
}

/// What the run found across the corpus, when there is anything.
fn corpus_findings(summary: &Summary) -> String {
    let mut found = Vec::new();
    if summary.boilerplate > 0 {
        found.push(format!("{} boilerplate paragraphs", summary.boilerplate));
    }
    if summary.near_identical > 0 {
        found.push(format!(
            "{} stories filed near-identically",
            summary.near_identical
        ));
    }
    if summary.rewritten > 0 {
        found.push(format!("{} files rewritten to match", summary.rewritten));
    }
    if found.is_empty() {
        String::new()
    } else {
        format!("; corpus: {}", found.join(", "))
    }
}

/// Stories filed more than once: a line of tab-separated paths each, or
/// one JSON array of arrays.
pub fn duplicate_groups(out: &mut dyn Write, groups: &[Vec<String>], json: bool) -> io::Result<()> {
    if json {
        return json_line(out, &groups);
    }
    for paths in groups {
        writeln!(out, "{}", paths.join("\t"))?;
    }
    Ok(())
}

/// At most `chars` characters of a line, with `…` when cut.
fn clip(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// A byte count for people: `1.5 MB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn json_line(out: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_in_bold() {
        let snippet = Snippet {
            text: "take retaliatory measures now".to_string(),
            highlights: vec![(5, 16), (17, 25)],
        };
        assert_eq!(
            highlighted(&snippet, false),
            "take retaliatory measures now"
        );
        assert_eq!(
            highlighted(&snippet, true),
            "take \x1b[1mretaliatory\x1b[0m \x1b[1mmeasures\x1b[0m now"
        );
    }

    #[test]
    fn lines_are_clipped_by_characters() {
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("abcd", 3), "abc…");
        assert_eq!(clip("国际英语资讯", 2), "国际…");
    }

    #[test]
    fn bytes_for_people() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_500_000), "1.5 MB");
    }
}
