//! Named inputs for the integration tests.

/// A PNG header and a few chunk bytes: binary whatever its name says.
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa\x00\x00\x00\x00IEND\xaeB`\x82";

/// A small dispatch whose title word `Quokka` appears in no body.
pub const QUOKKA_TITLE: &str = "Quokka colony found on island\nPERTH, Feb. 2 (Xinhua) -- Rangers counted three hundred animals on the island this week.";

/// A small dispatch that mentions quokkas once in its body.
pub const QUOKKA_BODY: &str = "Island ferry service resumes\nPERTH, Feb. 3 (Xinhua) -- The ferry to the island resumed on Friday, carrying tourists who came to see a quokka and the beaches.";

/// The same dispatch with CRLF line ends and paragraphs in blank-line blocks.
pub const QUOKKA_BODY_CRLF: &str = "Island ferry service resumes\r\n\r\nPERTH, Feb. 3 (Xinhua) -- The ferry to the island resumed on Friday,\r\ncarrying tourists who came to see a quokka and the beaches.\r\n";

/// A Chinese dispatch in GB18030 (GBK range): category prefix, a Chinese
/// dateline (成都，2月16日（新华社）——) and two more paragraphs.
pub const PANDA_GB18030: &[u8] = b"\xb9\xfa\xbc\xca\xd3\xa2\xd3\xef\xd7\xca\xd1\xb6:\xb4\xf3\xd0\xdc\xc3\xa8\xd3\xd7\xe1\xcc\xd4\xda\xb3\xc9\xb6\xbc\xd3\xeb\xb9\xab\xd6\xda\xbc\xfb\xc3\xe6\x0a\xb3\xc9\xb6\xbc\xa3\xac2\xd4\xc216\xc8\xd5\xa3\xa8\xd0\xc2\xbb\xaa\xc9\xe7\xa3\xa9\xa1\xaa\xa1\xaa \xc1\xbd\xd6\xbb\xb4\xf3\xd0\xdc\xc3\xa8\xd3\xd7\xe1\xcc\xd0\xc7\xc6\xda\xcb\xc4\xd4\xda\xb3\xc9\xb6\xbc\xb4\xf3\xd0\xdc\xc3\xa8\xb7\xb1\xd3\xfd\xd1\xd0\xbe\xbf\xbb\xf9\xb5\xd8\xd3\xeb\xb9\xab\xd6\xda\xbc\xfb\xc3\xe6\xa3\xac\xd0\xed\xb6\xe0\xd3\xce\xbf\xcd\xc5\xc5\xb6\xd3\xb9\xdb\xbf\xb4\xa1\xa3\x0a\xcb\xc7\xd1\xf8\xd4\xb1\xcb\xb5\xa3\xac\xd3\xd7\xe1\xcc\xc9\xed\xcc\xe5\xbd\xa1\xbf\xb5\xa3\xac\xc3\xbf\xcc\xec\xb3\xd4\xd6\xf1\xd7\xd3\xa1\xa3\x0a";

/// A French-accented dispatch in Windows-1252.
pub const CAFE_WINDOWS_1252: &[u8] = b"Caf\xe9 owners in Z\xfcrich reopen\x0aZURICH, March 3 (AFP) -- The caf\xe9 on the lake reopened on Friday; its owner, J\xfcrgen M\xfcller, said the cr\xe8me br\xfbl\xe9e was back.\x0a";

/// `text` as UTF-16LE with a byte-order mark.
pub fn utf16le(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    bytes
}
