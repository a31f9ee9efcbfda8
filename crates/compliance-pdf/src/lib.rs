//! The auditor's PDF of a compliance package, rendered with genpdf: a title page, the five
//! sections as tables, the data flow diagram as boxes and arrows, the compliance policies and the
//! drift summary, page numbers on every page. Every text wraps at the embedded font's measured
//! widths, so nothing the package's JSON says is lost. Fonts are compiled in; streams are
//! compressed after rendering.

mod activity;
pub mod brand;
pub mod chart;
mod diagram;
mod drawing;
mod fonts;
pub mod logo;
mod measure;
mod sections;
mod table;
pub mod wording;
mod wrap;

pub use brand::{Accent, Branding};
pub use wording::registration;

use compliance_core::package::PackageContent;
use genpdf::style::{Color, Style};
use genpdf::{Element as _, SimplePageDecorator};
use time::OffsetDateTime;
use uuid::Uuid;

/// What the PDF shows besides the content: who, which version, and its seal.
#[derive(Debug, Clone)]
pub struct PackageDocument<'a> {
    pub org_name: &'a str,
    pub package_id: Uuid,
    pub version: i32,
    pub generated_at: OffsetDateTime,
    pub generated_by: Uuid,
    pub content_sha256: &'a str,
    pub previous_sha256: &'a str,
    pub content: &'a PackageContent,
    /// The org's branding when the PDF is rendered (once, right after generation).
    pub branding: Branding<'a>,
}

impl PackageDocument<'_> {
    /// The name the PDF gives the org: its display name, else its account name.
    fn org_shown(&self) -> &str {
        self.branding.display_name.unwrap_or(self.org_name)
    }
}

/// Text in the org's accent colour, or in `grey` when it has none.
fn accented(branding: &Branding<'_>, grey: u8) -> Color {
    branding
        .accent
        .map_or(Color::Greyscale(grey), |a| Color::Rgb(a.r, a.g, a.b))
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("rendering the PDF failed: {0}")]
    Render(String),
}

impl From<genpdf::error::Error> for PdfError {
    fn from(error: genpdf::error::Error) -> Self {
        Self::Render(error.to_string())
    }
}

/// Renders the package as a PDF.
pub fn render(package: &PackageDocument<'_>) -> Result<Vec<u8>, PdfError> {
    let coverage = coverage()?;
    let mut doc = document(package, &coverage)?;
    sections::title_page(&mut doc, package, &coverage)?;
    sections::execution_graph(&mut doc, package.content, &coverage)?;
    sections::data_flow(&mut doc, package.content, &coverage)?;
    sections::questionnaire(&mut doc, package.content, &coverage)?;
    sections::sub_processors(&mut doc, package.content, &coverage)?;
    sections::controls(&mut doc, package.content, &coverage)?;
    sections::policies(&mut doc, package.content, &coverage)?;
    sections::drift(&mut doc, package.content, &coverage)?;
    sections::log(&mut doc, package.content, &coverage)?;
    let mut raw = Vec::new();
    doc.render(&mut raw)?;
    finish(&raw, package)
}

/// `text` as the PDF prints it: characters the embedded fonts cannot draw as `[U+XXXX]`, line
/// breaks and tabs as spaces; for tools that look for a package's text in its PDF.
pub fn printed(text: &str) -> String {
    // Without the compiled-in font no PDF renders at all, so the text is returned as it is.
    coverage().map_or_else(|_| text.to_owned(), |c| c.printable(text))
}

fn coverage() -> Result<fonts::Coverage, PdfError> {
    fonts::Coverage::new()
        .ok_or_else(|| PdfError::Render("the embedded font does not load".to_owned()))
}

/// A time as a PDF date (ISO 32000-1 §7.9.4), in UTC.
fn pdf_date(at: OffsetDateTime) -> Result<String, PdfError> {
    let utc = at.to_offset(time::UtcOffset::UTC);
    utc.format(time::macros::format_description!(
        "D:[year][month][day][hour][minute][second]+00'00'"
    ))
    .map_err(|e| PdfError::Render(format!("the generation time: {e}")))
}

/// The empty document: fonts, title, page size and margins, the running header.
fn document(
    package: &PackageDocument<'_>,
    coverage: &fonts::Coverage,
) -> Result<genpdf::Document, PdfError> {
    let agent = &package.content.agent.name;
    let mut doc = genpdf::Document::new(fonts::family()?);
    doc.set_title(coverage.printable(&format!("Compliance package: {agent} v{}", package.version)));
    // No PDF/X ICC profile: it would add half a megabyte to every package.
    doc.set_minimal_conformance();
    doc.set_font_size(9);
    doc.set_line_spacing(1.25);
    let mut decorator = SimplePageDecorator::new();
    decorator.set_margins(14);
    let running = coverage.printable(&format!(
        "{} · {agent} · compliance package v{}",
        package.org_shown(),
        package.version
    ));
    let colour = accented(&package.branding, 110);
    decorator.set_header(move |page| {
        wrap::Wrapped::new(format!("{running}    page {page}"))
            .aligned(genpdf::Alignment::Right)
            .styled(Style::new().with_font_size(7).with_color(colour))
            .padded((0, 0, 4, 0))
    });
    doc.set_page_decorator(decorator);
    Ok(doc)
}

/// genpdf writes streams (the embedded fonts among them) uncompressed: deflate them all.
/// The rendered PDF compressed, and made the same bytes on every render of the package (its
/// attestation signs them): the document id is the package's seal, the dates its generation
/// time, where printpdf puts a counter's value and the clock.
fn finish(pdf: &[u8], package: &PackageDocument<'_>) -> Result<Vec<u8>, PdfError> {
    let mut document = lopdf::Document::load_mem(pdf)
        .map_err(|e| PdfError::Render(format!("re-reading the PDF: {e}")))?;
    // The seal's first 16 bytes (the usual size of a PDF id), from its hex digits.
    let seal: Vec<u8> = (0..package.content_sha256.len().min(32))
        .step_by(2)
        .filter_map(|i| {
            let pair = package.content_sha256.get(i..i + 2)?;
            u8::from_str_radix(pair, 16).ok()
        })
        .collect();
    let id = lopdf::Object::String(seal, lopdf::StringFormat::Hexadecimal);
    document
        .trailer
        .set("ID", lopdf::Object::Array(vec![id.clone(), id]));
    let date = pdf_date(package.generated_at)?;
    let info = document
        .trailer
        .get(b"Info")
        .and_then(lopdf::Object::as_reference)
        .map_err(|e| PdfError::Render(format!("the PDF has no Info: {e}")))?;
    let info = document
        .get_object_mut(info)
        .and_then(lopdf::Object::as_dict_mut)
        .map_err(|e| PdfError::Render(format!("the PDF's Info: {e}")))?;
    for key in ["CreationDate", "ModDate"] {
        info.set(key, lopdf::Object::string_literal(date.clone()));
    }
    // What printpdf does in release builds only, done always: a debug and a release server
    // write the same bytes.
    document.prune_objects();
    document.delete_zero_length_streams();
    document.renumber_objects();
    document.compress();
    let mut out = Vec::with_capacity(pdf.len() / 2);
    document
        .save_to(&mut out)
        .map_err(|e| PdfError::Render(format!("writing the PDF: {e}")))?;
    Ok(out)
}
