//! The org's logo, checked once when an admin sets it: a PNG or an SVG within the size caps,
//! read whole, and drawn to the raster the PDF's title page embeds. An SVG is kept as usvg
//! writes it back (paths and fills only), and refused if it holds anything that would be lost
//! or would reach out: text (the server draws no fonts), images, links outside the file,
//! scripts, event handlers, foreign objects, a DTD. Nothing is ever fetched.

use resvg::tiny_skia::{self, Pixmap, PixmapPaint, Transform};

/// The most bytes a logo may have, as uploaded.
pub const MAX_BYTES: usize = 256 * 1024;
/// A PNG's widest and tallest (a small file may hold a huge picture).
pub const MAX_PNG_SIDE: u32 = 2048;
/// The box the PDF's raster is drawn into, in pixels: wide logos are common, tall ones not.
const RASTER_WIDTH: f32 = 1024.0;
const RASTER_HEIGHT: f32 = 256.0;

pub const PNG: &str = "image/png";
pub const SVG: &str = "image/svg+xml";

/// A logo that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedLogo {
    /// [`PNG`] or [`SVG`].
    pub media_type: &'static str,
    /// What the pages show: the PNG as uploaded, or the SVG as usvg wrote it back.
    pub image: Vec<u8>,
    /// What the PDF embeds: a PNG on white (the PDF's images have no transparency), fitted in
    /// 1024 × 256 pixels.
    pub raster: Vec<u8>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LogoError {
    #[error("the logo is empty")]
    Empty,
    #[error("the logo has {0} bytes; at most {MAX_BYTES} are allowed")]
    TooLarge(usize),
    #[error("the logo's media type {0:?} is neither {PNG} nor {SVG}")]
    MediaType(String),
    #[error("the logo is not a PNG that can be read: {0}")]
    Png(String),
    #[error("the logo is {0} × {1} pixels; at most {MAX_PNG_SIDE} × {MAX_PNG_SIDE} are allowed")]
    TooManyPixels(u32, u32),
    #[error("the logo is not an SVG that can be read: {0}")]
    Svg(String),
    #[error("the logo's SVG {0}")]
    Refused(String),
    #[error("the logo could not be drawn: {0}")]
    Draw(String),
}

/// Checks a logo of `media_type` and draws its raster.
pub fn check(media_type: &str, bytes: &[u8]) -> Result<CheckedLogo, LogoError> {
    if bytes.is_empty() {
        return Err(LogoError::Empty);
    }
    if bytes.len() > MAX_BYTES {
        return Err(LogoError::TooLarge(bytes.len()));
    }
    match media_type {
        PNG => {
            let pixmap = read_png(bytes)?;
            #[allow(clippy::cast_precision_loss)] // at most 2048 pixels a side
            let (width, height) = (pixmap.width() as f32, pixmap.height() as f32);
            // A PNG is only ever scaled down.
            let scale = (RASTER_WIDTH / width).min(RASTER_HEIGHT / height).min(1.0);
            let raster = on_white(width, height, scale, |canvas, t| {
                canvas.draw_pixmap(0, 0, pixmap.as_ref(), &PixmapPaint::default(), t, None);
            })?;
            Ok(CheckedLogo {
                media_type: PNG,
                image: bytes.to_vec(),
                raster,
            })
        }
        SVG => {
            refuse_what_would_be_lost(bytes)?;
            let tree = usvg::Tree::from_data(bytes, &usvg::Options::default())
                .map_err(|e| LogoError::Svg(e.to_string()))?;
            let size = tree.size();
            // An SVG is scaled to fill the box, whatever size it declares.
            let scale = (RASTER_WIDTH / size.width()).min(RASTER_HEIGHT / size.height());
            let raster = on_white(size.width(), size.height(), scale, |canvas, t| {
                resvg::render(&tree, t, &mut canvas.as_mut());
            })?;
            // usvg writes every `<use>` out in full: what it writes must fit the cap too.
            let image = tree.to_string(&usvg::WriteOptions::default()).into_bytes();
            if image.len() > MAX_BYTES {
                return Err(LogoError::TooLarge(image.len()));
            }
            Ok(CheckedLogo {
                media_type: SVG,
                image,
                raster,
            })
        }
        other => Err(LogoError::MediaType(other.to_owned())),
    }
}

/// The PNG decoded whole, its size checked before a pixel is.
fn read_png(bytes: &[u8]) -> Result<Pixmap, LogoError> {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let reader = decoder
        .read_info()
        .map_err(|e| LogoError::Png(e.to_string()))?;
    let (width, height) = (reader.info().width, reader.info().height);
    if width > MAX_PNG_SIDE || height > MAX_PNG_SIDE {
        return Err(LogoError::TooManyPixels(width, height));
    }
    Pixmap::decode_png(bytes).map_err(|e| LogoError::Png(e.to_string()))
}

/// A white canvas of the picture's `width` × `height` times `scale`, never more than the
/// raster's box nor less than a pixel a side, drawn on by `draw` (given the scaling), as a PNG.
fn on_white(
    width: f32,
    height: f32,
    scale: f32,
    draw: impl FnOnce(&mut Pixmap, Transform),
) -> Result<Vec<u8>, LogoError> {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // clamped to the box
    let side = |n: f32, most: f32| (n * scale).round().clamp(1.0, most) as u32;
    let mut canvas = Pixmap::new(side(width, RASTER_WIDTH), side(height, RASTER_HEIGHT))
        .ok_or_else(|| LogoError::Draw(format!("{width} × {height} at {scale}")))?;
    canvas.fill(tiny_skia::Color::WHITE);
    draw(&mut canvas, Transform::from_scale(scale, scale));
    canvas
        .encode_png()
        .map_err(|e| LogoError::Draw(e.to_string()))
}

/// Refuses an SVG holding what usvg would drop unseen or what could reach outside the file.
fn refuse_what_would_be_lost(bytes: &[u8]) -> Result<(), LogoError> {
    let text = std::str::from_utf8(bytes).map_err(|e| LogoError::Svg(e.to_string()))?;
    // roxmltree refuses a DTD by default: no entities to expand.
    let document = roxmltree::Document::parse(text).map_err(|e| LogoError::Svg(e.to_string()))?;
    for node in document.descendants().filter(roxmltree::Node::is_element) {
        let name = node.tag_name().name();
        let why = match name {
            "text" | "tspan" | "textPath" => {
                Some("has text: convert it to paths (the server draws no fonts)".to_owned())
            }
            "image" | "feImage" => Some("embeds or links an image".to_owned()),
            "script" => Some("has a script".to_owned()),
            "foreignObject" => Some("has a foreign object".to_owned()),
            _ => None,
        };
        if let Some(why) = why {
            return Err(LogoError::Refused(why));
        }
        for attribute in node.attributes() {
            let key = attribute.name();
            if key.starts_with("on") {
                return Err(LogoError::Refused(format!(
                    "has an event handler ({key} on <{name}>)"
                )));
            }
            if key == "href" && !attribute.value().starts_with('#') {
                return Err(LogoError::Refused(format!(
                    "links outside itself (<{name} href=\"{}\">)",
                    attribute.value()
                )));
            }
        }
    }
    Ok(())
}

/// The raster's pixels as RGB, for the PDF (which keeps no alpha): `(width, height, rgb)`.
pub(crate) fn rgb(raster: &[u8]) -> Result<(u32, u32, Vec<u8>), LogoError> {
    let pixmap = Pixmap::decode_png(raster).map_err(|e| LogoError::Png(e.to_string()))?;
    // Drawn on white, so every pixel is opaque and premultiplying changed nothing.
    let rgb = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    Ok((pixmap.width(), pixmap.height(), rgb))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARK: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><rect width="120" height="40" fill="#1d4ed8"/><circle cx="20" cy="20" r="12" fill="#fff"/></svg>"##;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut pixmap = Pixmap::new(width, height).unwrap();
        pixmap.fill(tiny_skia::Color::from_rgba8(200, 0, 0, 128));
        pixmap.encode_png().unwrap()
    }

    #[test]
    fn an_svg_is_kept_as_usvg_writes_it_and_drawn_to_fit_the_box() {
        let logo = check(SVG, MARK.as_bytes()).unwrap();
        let written = String::from_utf8(logo.image).unwrap();
        assert!(written.contains("#1d4ed8"), "{written}");
        let (width, height, rgb) = rgb(&logo.raster).unwrap();
        assert_eq!((width, height), (768, 256), "scaled up to the box's height");
        assert_eq!(&rgb[..3], &[29, 78, 216], "the rectangle's blue, top left");
    }

    #[test]
    fn an_svg_of_any_declared_size_is_drawn_within_the_box() {
        for (width, height, expected) in [
            ("0.001", "0.001", (256, 256)),
            ("1e9", "1", (1024, 1)),
            ("1", "1e9", (1, 256)),
        ] {
            let svg = format!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"><rect width="{width}" height="{height}"/></svg>"#
            );
            let logo = check(SVG, svg.as_bytes()).unwrap();
            let (w, h, _) = rgb(&logo.raster).unwrap();
            assert_eq!((w, h), expected, "{width} × {height}");
        }
    }

    #[test]
    fn an_svg_written_back_over_the_cap_is_refused() {
        // 200 uses of a 1 KiB path: small as sent, over 256 KiB as usvg writes it out.
        let path: String = (0..200).map(|i| format!("L{i} {} ", i * 7 % 10)).collect();
        let path = format!("M0 0 {path}");
        let uses = r##"<use href="#p"/>"##.repeat(200);
        let svg = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><defs><path id="p" d="{path}"/></defs>{uses}</svg>"#
        );
        assert!(svg.len() < MAX_BYTES);
        assert!(matches!(check(SVG, svg.as_bytes()), Err(LogoError::TooLarge(n)) if n > MAX_BYTES));
    }

    #[test]
    fn a_png_is_kept_as_uploaded_and_flattened_on_white() {
        let bytes = png(3000 / 2, 100);
        let logo = check(PNG, &bytes).unwrap();
        assert_eq!(logo.image, bytes);
        let (width, height, rgb) = rgb(&logo.raster).unwrap();
        assert_eq!((width, height), (1024, 68), "scaled down into the box");
        let expected = [228, 127, 127]; // half-transparent red over white, to within rounding
        assert!(
            rgb[..3]
                .iter()
                .zip(expected)
                .all(|(&got, want)| got.abs_diff(want) <= 1),
            "{:?}",
            &rgb[..3]
        );
    }

    #[test]
    fn what_is_not_a_logo_is_refused_with_its_reason() {
        let refused = |media_type: &str, bytes: &[u8]| check(media_type, bytes).unwrap_err();
        assert_eq!(refused(PNG, b""), LogoError::Empty);
        assert_eq!(
            refused(PNG, &vec![0; MAX_BYTES + 1]),
            LogoError::TooLarge(MAX_BYTES + 1)
        );
        assert!(matches!(refused(PNG, b"GIF89a"), LogoError::Png(_)));
        assert!(matches!(refused(SVG, &png(4, 4)), LogoError::Svg(_)));
        assert_eq!(
            refused(PNG, &png(2049, 1)),
            LogoError::TooManyPixels(2049, 1)
        );
        assert!(matches!(
            refused("image/gif", b"GIF89a"),
            LogoError::MediaType(_)
        ));
        for (svg, why) in [
            ("<text>ACME</text>", "has text"),
            (
                "<image href=\"https://example.com/a.png\"/>",
                "embeds or links an image",
            ),
            ("<script>alert(1)</script>", "has a script"),
            (
                "<rect onclick=\"alert(1)\" width=\"1\" height=\"1\"/>",
                "event handler",
            ),
            (
                "<use href=\"https://example.com/a.svg#x\"/>",
                "links outside itself",
            ),
            ("<foreignObject/>", "foreign object"),
        ] {
            let document = format!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">{svg}</svg>"#
            );
            let error = refused(SVG, document.as_bytes());
            assert!(
                matches!(&error, LogoError::Refused(reason) if reason.contains(why)),
                "{svg}: {error}"
            );
        }
        let entity = r#"<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>"#;
        assert!(matches!(refused(SVG, entity.as_bytes()), LogoError::Svg(_)));
    }
}
