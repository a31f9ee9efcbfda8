//! The fonts, compiled in: DejaVu Sans regular and bold are embedded in every PDF; italics are
//! never used, so they map to built-in PDF fonts that cost nothing.

use genpdf::fonts::{FontData, FontFamily};

const REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

pub(crate) fn family() -> Result<FontFamily<FontData>, genpdf::error::Error> {
    Ok(FontFamily {
        regular: FontData::new(REGULAR.to_vec(), None)?,
        bold: FontData::new(BOLD.to_vec(), None)?,
        italic: FontData::new(
            REGULAR.to_vec(),
            Some(printpdf::BuiltinFont::HelveticaOblique),
        )?,
        bold_italic: FontData::new(
            BOLD.to_vec(),
            Some(printpdf::BuiltinFont::HelveticaBoldOblique),
        )?,
    })
}

/// Which characters the embedded fonts can draw.
pub(crate) struct Coverage {
    regular: rusttype::Font<'static>,
    bold: rusttype::Font<'static>,
}

impl Coverage {
    pub fn new() -> Option<Self> {
        Some(Self {
            regular: rusttype::Font::from_bytes(REGULAR).ok()?,
            bold: rusttype::Font::from_bytes(BOLD).ok()?,
        })
    }

    /// Whether both fonts have a glyph for `c`: any text may be set in bold, and the bold font
    /// lacks a few glyphs the regular one has (U+F000 to U+F003, mathematical sans-serif).
    fn draws(&self, c: char) -> bool {
        self.regular.glyph(c).id().0 != 0 && self.bold.glyph(c).id().0 != 0
    }

    /// Whether a reader of the PDF gets `c` back: printpdf writes the text layer's ToUnicode
    /// entries as four hex digits, so a character beyond U+FFFF (an emoji) would read back as
    /// another one.
    fn reads_back(c: char) -> bool {
        u32::from(c) <= 0xFFFF
    }

    /// `text` with every character the fonts cannot draw written as `[U+XXXX]`, so that no part
    /// of a name silently disappears; the wrapper measures this text, replacements included.
    pub fn printable(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            if c == ' ' || (!c.is_control() && self.draws(c) && Self::reads_back(c)) {
                out.push(c);
            } else if c == '\n' || c == '\t' {
                out.push(' ');
            } else {
                out.push_str(&format!("[U+{:04X}]", u32::from(c)));
            }
        }
        out
    }
}
