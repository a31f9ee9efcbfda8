//! Text that never loses a word. genpdf wraps at spaces only and silently drops a word wider
//! than its line, so before it wraps, every run too wide for the width the layout gives is cut
//! where the embedded font's measured widths say the line is full. No hyphen is added: the
//! characters printed are the text's own.

use genpdf::elements::Paragraph;
use genpdf::fonts::FontCache;
use genpdf::render::Area;
use genpdf::style::Style;
use genpdf::{Alignment, Context, Element, Mm, RenderResult};

use crate::measure::Widths;

/// A paragraph whose runs are broken to fit the width it is rendered in.
pub(crate) struct Wrapped {
    text: String,
    alignment: Alignment,
    paragraph: Option<Paragraph>,
}

impl Wrapped {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            alignment: Alignment::Left,
            paragraph: None,
        }
    }

    pub fn aligned(mut self, alignment: Alignment) -> Self {
        self.alignment = alignment;
        self
    }
}

impl Element for Wrapped {
    fn render(
        &mut self,
        context: &Context,
        area: Area<'_>,
        style: Style,
    ) -> Result<RenderResult, genpdf::error::Error> {
        // Broken at the first render: only then are the width and the inherited style known.
        let paragraph = self.paragraph.get_or_insert_with(|| {
            let text = breakable(&context.font_cache, style, &self.text, area.size().width);
            Paragraph::new(text).aligned(self.alignment)
        });
        paragraph.render(context, area, style)
    }
}

/// Below the width, for the rounding of summing widths in another order than genpdf does.
const SLACK_MM: f64 = 0.001;

/// `text` with a space inserted wherever a run between spaces would be wider than `width` in
/// `style`: genpdf's wrapper then starts a new line there instead of dropping the run.
pub(crate) fn breakable(font_cache: &FontCache, style: Style, text: &str, width: Mm) -> String {
    let room = f64::from(width) - SLACK_MM;
    let mut out = String::with_capacity(text.len());
    // genpdf's words: each ends after its space and is measured with it.
    for word in text.split_inclusive(' ') {
        if f64::from(style.str_width(font_cache, word)) <= room {
            out.push_str(word);
        } else {
            let run = word.strip_suffix(' ').unwrap_or(word);
            out.push_str(&pieces(font_cache, style, run, room).join(" "));
            if run.len() < word.len() {
                out.push(' ');
            }
        }
    }
    out
}

/// `run` cut into pieces that each fit in `room` followed by a space, preferring a cut after
/// punctuation or a no-break space.
fn pieces(font_cache: &FontCache, style: Style, run: &str, room: f64) -> Vec<String> {
    let chars: Vec<char> = run.chars().collect();
    let widths = Widths::new(font_cache, style, &chars);
    let space = f64::from(style.char_width(font_cache, ' '));
    let fits = |piece: &str| f64::from(style.str_width(font_cache, &format!("{piece} "))) <= room;
    let mut pieces = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        // At least one character a piece, so the run always ends; none of our columns is
        // narrower than a glyph.
        let full = widths.fit(start, room - space).max(start + 1);
        let mut end = soft_cut(&chars, start, full);
        let mut piece: String = chars[start..end].iter().collect();
        // The kerning before the inserted space is the one width the sums left out.
        while end > start + 1 && !fits(&piece) {
            end -= 1;
            piece.pop();
        }
        pieces.push(piece);
        start = end;
    }
    pieces
}

/// Where to end the piece `start..full`: after its last soft break, else at `full`.
fn soft_cut(chars: &[char], start: usize, full: usize) -> usize {
    if full == chars.len() {
        return full;
    }
    (start + 1..full)
        .rev()
        .find(|&end| soft_break_after(chars[end - 1]))
        .unwrap_or(full)
}

/// Characters after which a reader expects a line may end inside a name.
fn soft_break_after(c: char) -> bool {
    matches!(
        c,
        '_' | '-'
            | '/'
            | '.'
            | ','
            | ':'
            | ';'
            | '@'
            | '|'
            | ')'
            | ']'
            | '\u{a0}'
            | '\u{202f}'
            | '\u{2007}'
    ) || c.is_whitespace()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a failed expectation is a failed test

    use super::*;

    fn cache() -> FontCache {
        FontCache::new(crate::fonts::family().unwrap())
    }

    /// Every word genpdf will see in `text` fits in `width`, as genpdf measures it.
    fn every_word_fits(cache: &FontCache, style: Style, text: &str, width: Mm) -> bool {
        text.split_inclusive(' ')
            .all(|word| style.str_width(cache, word) <= width)
    }

    #[test]
    fn every_piece_fits_and_no_character_is_lost() {
        let cache = cache();
        let hostile = [
            "m".repeat(300),
            "W".repeat(300),
            "‱⟷ǄⅧ😴".repeat(40),
            "[U+65E5][U+672C]".repeat(30),
            "Drift\u{a0}resolved\u{202f}within\u{2007}24\u{a0}hours".repeat(8),
            "COMPLIANCE_PERIOD_OUTSTANDING and AVAVAVAVAVAVAVAVAVAV".to_owned(),
        ];
        for style in [
            Style::new().with_font_size(8),
            Style::new().bold().with_font_size(24),
        ] {
            for width in [Mm::from(20.0f32), Mm::from(27.5f32), Mm::from(180.0f32)] {
                for text in &hostile {
                    let broken = breakable(&cache, style, text, width);
                    assert!(every_word_fits(&cache, style, &broken, width), "{broken}");
                    let kept: String = broken.chars().filter(|c| *c != ' ').collect();
                    let original: String = text.chars().filter(|c| *c != ' ').collect();
                    assert_eq!(kept, original);
                }
            }
        }
    }

    #[test]
    fn text_that_fits_is_left_alone() {
        let cache = cache();
        let text = "Drift resolved within 24 hours";
        let style = Style::new().with_font_size(8);
        assert_eq!(breakable(&cache, style, text, Mm::from(40.0f32)), text);
    }

    #[test]
    fn a_name_is_cut_after_its_punctuation() {
        let cache = cache();
        let style = Style::new().with_font_size(8);
        let broken = breakable(
            &cache,
            style,
            "COMPLIANCE_PERIOD_OUTSTANDING",
            Mm::from(40.0f32),
        );
        assert_eq!(broken, "COMPLIANCE_PERIOD_ OUTSTANDING");
    }
}
