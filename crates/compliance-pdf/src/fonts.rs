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

/// Which characters the embedded font can draw.
pub(crate) struct Coverage {
    font: rusttype::Font<'static>,
}

impl Coverage {
    pub fn new() -> Option<Self> {
        rusttype::Font::from_bytes(REGULAR)
            .ok()
            .map(|font| Self { font })
    }

    /// `text` with every character the font cannot draw written as `[U+XXXX]`, so that no part
    /// of a name silently disappears.
    pub fn printable(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            if c == ' ' || (!c.is_control() && self.font.glyph(c).id().0 != 0) {
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
