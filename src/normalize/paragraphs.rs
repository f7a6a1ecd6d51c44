//! Text to title line and paragraphs.
//!
//! Dispatches come in two layouts, and both must work:
//! one paragraph per line (the reference dispatch,
//! `corpus/000_e9f58710e6d47200.txt`), or blocks separated by blank lines
//! whose lines are wrapped at a fixed width (the BBC files). A block is read
//! as wrapped when its lines, all but the last, are short enough to be a
//! wrap; a block of long lines is read as one paragraph per line, which is
//! what a file that mixes blank lines with one-per-line paragraphs needs.
//! White space inside a paragraph is collapsed to single spaces.

/// Lines longer than this (in characters) are not line-wrapped text: wire
/// and e-mail copy wraps at 60 to 80 columns.
const WRAP_WIDTH: usize = 100;

/// Splits text into its first non-empty line (the title line) and the
/// paragraphs that follow, in order.
pub fn split(text: &str) -> (String, Vec<String>) {
    let mut lines = text.lines();
    let title = lines
        .by_ref()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .map(collapse_space)
        .unwrap_or_default();
    (title, paragraphs(lines))
}

/// Groups lines into paragraphs, block by block.
fn paragraphs<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out = Vec::new();
    let mut block: Vec<&str> = Vec::new();
    for line in lines {
        let line = line.trim();
        if line.is_empty() {
            flush(&mut block, &mut out);
        } else {
            block.push(line);
        }
    }
    flush(&mut block, &mut out);
    out
}

/// Turns one blank-line-delimited block into paragraphs.
fn flush(block: &mut Vec<&str>, out: &mut Vec<String>) {
    if block.is_empty() {
        return;
    }
    let inner = &block[..block.len() - 1];
    let wrapped = inner.iter().all(|line| line.chars().count() <= WRAP_WIDTH)
        && !inner.iter().all(|line| ends_sentence(line));
    if wrapped {
        out.push(collapse_space(&block.join(" ")));
    } else {
        out.extend(block.iter().map(|line| collapse_space(line)));
    }
    block.clear();
}

/// True when a line ends as a sentence does. A block whose every line ends
/// so is one paragraph per line, however short its lines (Chinese copy,
/// `corpus/007_beijing_gb18030.txt`).
fn ends_sentence(line: &str) -> bool {
    line.trim_end_matches(['"', '\'', '”', '’', '」', '』', ')', '）'])
        .ends_with(['.', '!', '?', '。', '！', '？', '…'])
}

/// Collapses every run of white space into one space and trims the ends.
pub fn collapse_space(text: &str) -> String {
    let bytes = text.as_bytes();
    let clean = bytes.is_ascii()
        && !bytes.first().is_some_and(u8::is_ascii_whitespace)
        && !bytes.last().is_some_and(u8::is_ascii_whitespace)
        && !bytes
            .windows(2)
            .any(|w| w[0].is_ascii_whitespace() && (w[1].is_ascii_whitespace() || w[0] != b' '));
    if clean {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long(n: usize) -> String {
        format!(
            "{}words in a long one-per-line paragraph {}",
            "many ".repeat(25),
            n
        )
    }

    macro_rules! split_tests {
        ($($name:ident: $text:expr => $title:expr, [$($para:expr),* $(,)?];)*) => {$(
            #[test]
            fn $name() {
                let (title, paragraphs) = split(&$text);
                assert_eq!(title, $title);
                let expected: Vec<String> = vec![$($para.to_string()),*];
                assert_eq!(paragraphs, expected);
            }
        )*};
    }

    split_tests! {
        empty: "" => "", [];
        title_only: "Just a title" => "Just a title", [];
        leading_blank_lines: "\n\n  Title  \nBody" => "Title", ["Body"];
        one_per_line: format!("T\n{}\n{}", long(1), long(2)) => "T", [long(1), long(2)];
        short_one_per_line_block: "T\nfirst line\nsecond line" => "T", ["first line second line"];
        wrapped_blocks: "T\n\nThe first paragraph\nwraps here.\n\nThe second\nwraps too.\n"
            => "T", ["The first paragraph wraps here.", "The second wraps too."];
        mixed: format!("T\n\n{}\n{}\n\nwrapped\nblock", long(1), long(2))
            => "T", [long(1), long(2), "wrapped block"];
        collapses_space: "T\n\n a\t b  \n  c " => "T", ["a b c"];
        short_sentences_one_per_line: "T\n主教练说。\n这是第五次。\nShort one." => "T", ["主教练说。", "这是第五次。", "Short one."];
        quoted_sentence_ends: "T\n\"He left.\"\nShe stayed." => "T", ["\"He left.\"", "She stayed."];
        long_last_line_of_wrapped_block: format!("T\n\nshort\n{}", long(3))
            => "T", [format!("short {}", long(3))];
    }
}
