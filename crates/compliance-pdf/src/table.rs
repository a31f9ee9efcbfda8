//! Framed tables whose cells wrap at the embedded font's measured widths, and the other blocks
//! of text the sections are made of. Every text goes through `Coverage::printable` here, so no
//! caller can forget it.

use genpdf::Element as _;
use genpdf::elements::{FrameCellDecorator, LinearLayout, TableLayout};
use genpdf::style::Style;

use crate::PdfError;
use crate::fonts::Coverage;
use crate::wrap::Wrapped;

/// A paragraph of package text in the width it is given.
pub(crate) fn text(coverage: &Coverage, text: &str) -> Wrapped {
    Wrapped::new(coverage.printable(text))
}

pub(crate) fn heading(coverage: &Coverage, title: &str) -> impl genpdf::Element + use<> {
    text(coverage, title)
        .styled(Style::new().bold().with_font_size(14))
        .padded((0, 0, 3, 0))
}

/// A framed table.
pub(crate) struct Table<'a> {
    pub layout: TableLayout,
    coverage: &'a Coverage,
}

impl<'a> Table<'a> {
    pub fn new(coverage: &'a Coverage, weights: &[usize]) -> Self {
        let mut layout = TableLayout::new(weights.to_vec());
        layout.set_cell_decorator(FrameCellDecorator::new(true, true, false));
        Self { layout, coverage }
    }

    /// A row of bold cells.
    pub fn header(&mut self, cells: &[&str]) -> Result<(), PdfError> {
        self.row(cells, &vec![true; cells.len()])
    }

    /// A row whose first cell is bold.
    pub fn entry(&mut self, cells: &[&str]) -> Result<(), PdfError> {
        let mut bold = vec![false; cells.len()];
        bold[0] = true;
        self.row(cells, &bold)
    }

    /// A row of plain cells.
    pub fn plain(&mut self, cells: &[&str]) -> Result<(), PdfError> {
        self.row(cells, &vec![false; cells.len()])
    }

    /// A row; `bold[i]` sets cell `i` in bold.
    pub fn row(&mut self, cells: &[&str], bold: &[bool]) -> Result<(), PdfError> {
        let mut row = self.layout.row();
        for (text, bold) in cells.iter().zip(bold) {
            row.push_element(cell(self.coverage, text, *bold));
        }
        Ok(row.push()?)
    }
}

/// A table cell; line breaks in `text` start new lines.
fn cell(coverage: &Coverage, text: &str, bold: bool) -> impl genpdf::Element + use<> {
    let mut layout = LinearLayout::vertical();
    let style = if bold {
        Style::new().bold()
    } else {
        Style::new()
    };
    for line in text.split('\n') {
        layout.push(self::text(coverage, line).styled(style.with_font_size(8)));
    }
    layout.padded(1)
}
