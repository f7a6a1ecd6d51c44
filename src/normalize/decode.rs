//! Bytes to clean text: encoding detection, line ends, Unicode NFC.
//!
//! Owns the choice of encoding for one file and nothing else. The order of
//! evidence is: a byte-order mark; valid UTF-8; a BOM-less UTF-16 pattern of
//! NUL bytes; UTF-8 with a few bad bytes (kept as UTF-8, the bad bytes
//! replaced and counted); else a legacy encoding guessed by `chardetng`
//! (GB18030, Big5, Windows-1252, …), as web browsers do.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// Text decoded from a file's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// The text, with `\n` line ends, in NFC, without a BOM; borrowed from
    /// the bytes when they were already clean UTF-8.
    pub text: Cow<'a, str>,
    /// The name of the encoding used (`UTF-8`, `UTF-16LE`, `GB18030`, …).
    pub encoding: &'static str,
    /// How many U+FFFD replacement characters decoding introduced.
    pub replacements: usize,
}

/// Decodes a file's bytes into normalized text.
pub fn decode(bytes: &[u8]) -> Decoded<'_> {
    let (encoding, body) = detect(bytes);
    if encoding == UTF_8
        && let Ok(text) = std::str::from_utf8(body)
    {
        return Decoded {
            text: clean(text),
            encoding: UTF_8.name(),
            replacements: 0,
        };
    }
    let (text, _) = encoding.decode_without_bom_handling(body);
    let replacements = if encoding == UTF_8 && std::str::from_utf8(body).is_ok() {
        0
    } else {
        text.matches('\u{FFFD}')
            .count()
            .saturating_sub(bytes_count_fffd(body, encoding))
    };
    Decoded {
        text: Cow::Owned(clean(&text).into_owned()),
        encoding: encoding.name(),
        replacements,
    }
}

/// Picks the encoding and returns the bytes after any BOM.
fn detect(bytes: &[u8]) -> (&'static Encoding, &[u8]) {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return (encoding, &bytes[bom_len..]);
    }
    // Before the UTF-8 check: NUL is valid UTF-8, so ASCII-range UTF-16 is too.
    if let Some(encoding) = utf16_without_bom(bytes) {
        return (encoding, bytes);
    }
    if std::str::from_utf8(bytes).is_ok() {
        return (UTF_8, bytes);
    }
    if mostly_utf8(bytes) {
        return (UTF_8, bytes);
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let guess = detector.guess(None, chardetng::Utf8Detection::Deny);
    if guess.is_single_byte() && thin_evidence(bytes) {
        return (WINDOWS_1252, bytes);
    }
    (guess, bytes)
}

/// True when so few bytes are non-ASCII that a detector cannot tell the
/// Latin code pages apart: English copy with one `£` (BBC `sport/199.txt`)
/// reads as Windows-1250's `Ł`. Windows-1252 is then the likeliest by far.
fn thin_evidence(bytes: &[u8]) -> bool {
    let high = bytes.iter().filter(|b| !b.is_ascii()).count();
    high * 200 < bytes.len()
}

/// Recognizes BOM-less UTF-16 by where its NUL bytes fall: ASCII text in
/// UTF-16LE has a NUL at every odd offset, in UTF-16BE at every even one.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let sample = &bytes[..bytes.len().min(4096) & !1];
    let pairs = sample.len() / 2;
    if pairs < 2 {
        return None;
    }
    let (mut even, mut odd) = (0, 0);
    for pair in sample.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    // Mostly-Latin UTF-16 has NULs in well over half the pairs, all on one side.
    if odd * 2 > pairs && even * 10 < odd {
        Some(UTF_16LE)
    } else if even * 2 > pairs && odd * 10 < even {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// True when the bytes are UTF-8 text damaged in a few places: at least one
/// valid multi-byte sequence, and no more invalid sequences than valid ones.
/// Such a file is kept as UTF-8 rather than re-read as a legacy encoding,
/// which would garble every valid multi-byte character in it. Legacy text
/// rarely forms a valid sequence by chance (it takes a lead byte followed
/// by a continuation byte), so its invalid sequences far outnumber them.
fn mostly_utf8(bytes: &[u8]) -> bool {
    let (mut valid_multibyte, mut invalid) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        valid_multibyte += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        invalid += usize::from(!chunk.invalid().is_empty());
    }
    valid_multibyte > 0 && invalid <= valid_multibyte
}

/// Counts U+FFFD characters that the source itself encodes, so that they are
/// not reported as decoding damage.
fn bytes_count_fffd(body: &[u8], encoding: &'static Encoding) -> usize {
    if encoding == UTF_8 {
        body.windows(3).filter(|w| w == b"\xEF\xBF\xBD").count()
    } else {
        0
    }
}

/// Unifies line ends, turns control characters (NUL, form feed, C1…) into
/// spaces and applies NFC, borrowing when nothing changes.
pub fn clean(text: &str) -> Cow<'_, str> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let text: Cow<'_, str> = if text.contains('\r') {
        Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(text)
    };
    // C1 controls are U+0080..U+009F: 0xC2 then 0x80..=0x9F in UTF-8.
    let has_controls = may_hold_controls(text.as_bytes()) && text.chars().any(is_control);
    let text: Cow<'_, str> = if has_controls {
        Cow::Owned(
            text.chars()
                .map(|c| if is_control(c) { ' ' } else { c })
                .collect(),
        )
    } else {
        text
    };
    if is_nfc(&text) {
        text
    } else {
        Cow::Owned(text.nfc().collect())
    }
}

/// Whether the text may hold a control character: an ASCII one, or the
/// lead byte of a C1 control (U+0080..U+009F is 0xC2 0x80..=0x9F). Checked
/// in blocks without branches, so that the loop is vectorized.
fn may_hold_controls(bytes: &[u8]) -> bool {
    bytes.chunks(64).any(|block| {
        block
            .iter()
            .fold(false, |found, &b| found | is_ascii_control(b) | (b == 0xC2))
    })
}

/// Whether the text is in NFC for sure. ASCII characters are starters that
/// are always allowed, so only the runs between them need the quick check.
fn is_nfc(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(skip) = bytes[at..].iter().position(|b| !b.is_ascii()) {
        let start = at + skip;
        let end = bytes[start..]
            .iter()
            .position(u8::is_ascii)
            .map_or(bytes.len(), |n| start + n);
        if is_nfc_quick(text[start..end].chars()) != IsNormalized::Yes {
            return false;
        }
        at = end;
    }
    true
}

/// A control character other than tab and line feed.
fn is_control(c: char) -> bool {
    c.is_control() && c != '\t' && c != '\n'
}

fn is_ascii_control(byte: u8) -> bool {
    byte.is_ascii_control() && byte != b'\t' && byte != b'\n'
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! decode_tests {
        ($($name:ident: $bytes:expr => $text:expr, $encoding:expr, $replacements:expr;)*) => {$(
            #[test]
            fn $name() {
                let decoded = decode($bytes);
                assert_eq!(decoded.text, $text);
                assert_eq!(decoded.encoding, $encoding);
                assert_eq!(decoded.replacements, $replacements);
            }
        )*};
    }

    decode_tests! {
        ascii: b"PARIS, Feb. 15" => "PARIS, Feb. 15", "UTF-8", 0;
        utf8_bom: b"\xEF\xBB\xBFTitle\nBody" => "Title\nBody", "UTF-8", 0;
        crlf: b"Title\r\nBody\r\n" => "Title\nBody\n", "UTF-8", 0;
        lone_cr: b"Title\rBody" => "Title\nBody", "UTF-8", 0;
        utf16le_bom: b"\xFF\xFEH\x00i\x00\n\x00" => "Hi\n", "UTF-16LE", 0;
        utf16be_bom: b"\xFE\xFF\x00H\x00i" => "Hi", "UTF-16BE", 0;
        utf16le_no_bom: b"H\x00e\x00l\x00l\x00o\x00" => "Hello", "UTF-16LE", 0;
        nfc: "Mu\u{308}ller".as_bytes() => "M\u{fc}ller", "UTF-8", 0;
        damaged_utf8: b"\xE5\x9B\xBD\xE9\x99\x85 \xFF news \xE8\x8B\xB1\xE8\xAF\xAD" => "国际 \u{FFFD} news 英语", "UTF-8", 1;
        damaged_latin_utf8: b"Caf\xC3\xA9 \xE2\x80\x94 \xFF\xFE r\xC3\xA9opened" => "Caf\u{e9} \u{2014} \u{FFFD}\u{FFFD} r\u{e9}opened", "UTF-8", 2;
        windows_1252_with_a_chance_pair: b"Caf\xE9 na\xEFve \xC9t\xE9 d\xE9j\xE0 \xC2\xA3" => "Caf\u{e9} na\u{ef}ve \u{c9}t\u{e9} d\u{e9}j\u{e0} \u{c2}\u{a3}", "windows-1252", 0;
        controls: b"a\x00b\x0cc\x7fd\xC2\x85e\tf\ng" => "a b c d e\tf\ng", "UTF-8", 0;
        genuine_fffd: "a\u{FFFD}b".as_bytes() => "a\u{FFFD}b", "UTF-8", 0;
    }

    #[test]
    fn latin1_pound_sign_is_windows_1252() {
        // sport/199.txt of the BBC set: English, one Latin-1 pound sign.
        let text = b"Chelsea sack Mutu\n\nChelsea have sacked Adrian Mutu after he failed a drugs test.\n\n\
            The 25-year-old tested positive for a banned substance in October. Chelsea have decided \
            to write off a possible transfer fee for Mutu, a \xA315.8m signing from Parma last season.";
        let decoded = decode(text);
        assert!(
            decoded.text.contains("a \u{a3}15.8m signing"),
            "{}",
            decoded.text
        );
        assert_eq!(decoded.encoding, "windows-1252");
        assert_eq!(decoded.replacements, 0);
    }

    #[test]
    fn gb18030_is_detected() {
        let (bytes, _, _) = encoding_rs::GB18030
            .encode("国际英语资讯：中国和法国的外交部长在北京举行会谈，双方讨论了经济合作。");
        let decoded = decode(&bytes);
        assert_eq!(
            decoded.text,
            "国际英语资讯：中国和法国的外交部长在北京举行会谈，双方讨论了经济合作。"
        );
        assert_eq!(decoded.encoding, "GBK");
    }
}
