//! The org's branding as the PDF and the pages use it: the name it goes by, its accent colour,
//! its logo's raster. Unset, the documents look as they always did.

/// What the org set; every field optional.
#[derive(Debug, Clone, Copy, Default)]
pub struct Branding<'a> {
    /// The name shown for the org; its account name when unset.
    pub display_name: Option<&'a str>,
    pub accent: Option<Accent>,
    /// A [`crate::logo::CheckedLogo`]'s raster.
    pub logo: Option<&'a [u8]>,
}

/// An accent colour dark enough for text on white.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accent {
    pub r: u8,
    pub g: u8,
    pub b: u8,
}

/// The contrast text needs against its background (WCAG 2.1, 1.4.3, level AA).
pub const MIN_CONTRAST: f64 = 4.5;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AccentError {
    #[error("the accent colour {0:?} is not of the form #rrggbb")]
    Form(String),
    #[error(
        "the accent colour {colour} has a contrast of {contrast:.2}:1 against white; text in it needs at least {MIN_CONTRAST}:1"
    )]
    TooLight { colour: String, contrast: f64 },
}

impl Accent {
    /// `#rrggbb` (either case), refused when text in it would be hard to read on white.
    pub fn parse(text: &str) -> Result<Self, AccentError> {
        let form = || AccentError::Form(text.to_owned());
        let hex = text
            .strip_prefix('#')
            .filter(|h| h.len() == 6)
            .ok_or_else(form)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(form());
        }
        let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| form());
        let accent = Self {
            r: channel(0)?,
            g: channel(2)?,
            b: channel(4)?,
        };
        let contrast = accent.contrast_with_white();
        if contrast < MIN_CONTRAST {
            return Err(AccentError::TooLight {
                colour: accent.to_string(),
                contrast,
            });
        }
        Ok(accent)
    }

    /// WCAG 2.1's contrast ratio of this colour against white.
    pub fn contrast_with_white(self) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.040_45 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let luminance = 0.2126 * linear(self.r) + 0.7152 * linear(self.g) + 0.0722 * linear(self.b);
        1.05 / (luminance + 0.05)
    }
}

impl std::fmt::Display for Accent {
    /// `#rrggbb`, lower case: how the accent is stored and shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_dark_enough_for_text_are_taken() {
        let accent = Accent::parse("#1D4ED8").unwrap();
        assert_eq!(accent.to_string(), "#1d4ed8");
        assert!((accent.contrast_with_white() - 6.70).abs() < 0.01);
        assert!((Accent::parse("#000000").unwrap().contrast_with_white() - 21.0).abs() < 1e-9);
        // #767676 is the lightest grey that passes AA on white.
        assert!(Accent::parse("#767676").is_ok());
        assert!(matches!(
            Accent::parse("#777777"),
            Err(AccentError::TooLight { .. })
        ));
    }

    #[test]
    fn other_forms_are_refused() {
        for text in [
            "1d4ed8",
            "#1d4ed",
            "#1d4ed8ff",
            "#gggggg",
            "blue",
            "",
            "#ÿÿÿ",
        ] {
            assert_eq!(
                Accent::parse(text),
                Err(AccentError::Form(text.to_owned())),
                "{text}"
            );
        }
    }
}
