//! Drawings placed whole on a page (the data flow diagram, the activity chart): each has a fixed
//! size, and goes to the next page when the rest of this one is too short for it.

use genpdf::render::Area;
use genpdf::style::Style;
use genpdf::{Context, Element, Mm, Position, RenderResult, Size};

/// A position in millimetres from the drawing's top left corner.
pub(crate) fn at(x: f32, y: f32) -> Position {
    Position::new(Mm::from(x), Mm::from(y))
}

/// What a drawing says of itself.
pub(crate) trait Drawing {
    /// Its width and height, in millimetres.
    fn size(&self) -> (f32, f32);
    fn draw(
        &self,
        context: &Context,
        area: &Area<'_>,
        style: Style,
    ) -> Result<(), genpdf::error::Error>;
}

/// A [`Drawing`] as an element of the document.
pub(crate) struct Whole<D> {
    drawing: D,
    done: bool,
}

impl<D> Whole<D> {
    pub fn new(drawing: D) -> Self {
        Self {
            drawing,
            done: false,
        }
    }
}

impl<D: Drawing> Element for Whole<D> {
    fn render(
        &mut self,
        context: &Context,
        area: Area<'_>,
        style: Style,
    ) -> Result<RenderResult, genpdf::error::Error> {
        let (width, height) = self.drawing.size();
        if self.done || area.size().height < Mm::from(height) {
            // Not enough room left on this page: ask for the next one.
            return Ok(RenderResult {
                size: Size::new(0, 0),
                has_more: !self.done,
            });
        }
        self.done = true;
        self.drawing.draw(context, &area, style)?;
        Ok(RenderResult {
            size: Size::new(Mm::from(width), Mm::from(height)),
            has_more: false,
        })
    }
}
