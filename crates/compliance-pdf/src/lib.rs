//! The auditor's PDF of a compliance package, rendered with genpdf: a title page, the five
//! sections as tables, the data flow diagram as boxes and arrows, the compliance policies and the
//! drift summary, page numbers on every page. Every text wraps at the embedded font's measured
//! widths, so nothing the package's JSON says is lost. Fonts are compiled in; streams are
//! compressed after rendering.

mod diagram;
mod fonts;
mod measure;
mod sections;
mod table;
mod wrap;

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
    let mut raw = Vec::new();
    doc.render(&mut raw)?;
    compress(&raw)
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
        package.org_name, package.version
    ));
    decorator.set_header(move |page| {
        wrap::Wrapped::new(format!("{running}    page {page}"))
            .aligned(genpdf::Alignment::Right)
            .styled(
                Style::new()
                    .with_font_size(7)
                    .with_color(Color::Greyscale(110)),
            )
            .padded((0, 0, 4, 0))
    });
    doc.set_page_decorator(decorator);
    Ok(doc)
}

/// genpdf writes streams (the embedded fonts among them) uncompressed: deflate them all.
fn compress(pdf: &[u8]) -> Result<Vec<u8>, PdfError> {
    let mut document = lopdf::Document::load_mem(pdf)
        .map_err(|e| PdfError::Render(format!("re-reading the PDF: {e}")))?;
    document.compress();
    let mut out = Vec::with_capacity(pdf.len() / 2);
    document
        .save_to(&mut out)
        .map_err(|e| PdfError::Render(format!("writing the PDF: {e}")))?;
    Ok(out)
}
