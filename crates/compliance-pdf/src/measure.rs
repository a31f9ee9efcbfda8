//! Widths of text as genpdf sets it in the embedded fonts: each character's advance and the
//! kerning before it, summed once, so that the width of any part of a run is one subtraction.

use std::ops::Range;

use genpdf::fonts::FontCache;
use genpdf::style::Style;

/// Cumulative widths of a run of characters, in millimetres.
pub(crate) struct Widths {
    /// `prefix[i]`: the width of the first `i` characters, kerning between them included.
    prefix: Vec<f64>,
    /// `kerning[i]`: the kerning before character `i` (0 for the first).
    kerning: Vec<f64>,
}

impl Widths {
    pub fn new(font_cache: &FontCache, style: Style, chars: &[char]) -> Self {
        let font = style.font(font_cache);
        let size = f32::from(style.font_size());
        // Scaled as `Font::str_width` scales it, so a part measures what genpdf measures.
        let kerning: Vec<f64> = font
            .kerning(font_cache, chars.iter().copied())
            .into_iter()
            .map(|k| f64::from(genpdf::Mm::from(printpdf::Pt(f64::from(k * size)))))
            .collect();
        let mut prefix = Vec::with_capacity(chars.len() + 1);
        let mut sum = 0.0;
        prefix.push(sum);
        for (c, k) in chars.iter().zip(&kerning) {
            sum += f64::from(style.char_width(font_cache, *c)) + k;
            prefix.push(sum);
        }
        Self { prefix, kerning }
    }

    /// The width of the characters in `range`, as `Style::str_width` measures them alone.
    pub fn of(&self, range: Range<usize>) -> f64 {
        if range.is_empty() {
            return 0.0;
        }
        // The kerning before the first character pairs it with one outside the range.
        self.prefix[range.end] - self.prefix[range.start] - self.kerning[range.start]
    }

    /// The end of the longest run starting at `start` that is at most `width` wide (`start`
    /// itself when not even one character fits).
    pub fn fit(&self, start: usize, width: f64) -> usize {
        let mut end = start;
        while end < self.kerning.len() && self.of(start..end + 1) <= width {
            end += 1;
        }
        end
    }
}
