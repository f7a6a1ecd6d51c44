//! Named inputs for the integration tests.

/// A PNG header and a few chunk bytes: binary whatever its name says.
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa\x00\x00\x00\x00IEND\xaeB`\x82";

/// A small dispatch whose title word `Quokka` appears in no body.
pub const QUOKKA_TITLE: &str = "Quokka colony found on island\nPERTH, Feb. 2 (Xinhua) -- Rangers counted three hundred animals on the island this week.";

/// A small dispatch that mentions quokkas once in its body.
pub const QUOKKA_BODY: &str = "Island ferry service resumes\nPERTH, Feb. 3 (Xinhua) -- The ferry to the island resumed on Friday, carrying tourists who came to see a quokka and the beaches.";

/// The same dispatch with CRLF line ends and paragraphs in blank-line blocks.
pub const QUOKKA_BODY_CRLF: &str = "Island ferry service resumes\r\n\r\nPERTH, Feb. 3 (Xinhua) -- The ferry to the island resumed on Friday,\r\ncarrying tourists who came to see a quokka and the beaches.\r\n";
