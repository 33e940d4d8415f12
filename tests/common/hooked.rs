//! A `TestBackend` with hooks, for tests and benches that watch the real event loop draw
//! (every cell it draws, and the end of every frame). Shared by `tests/` and `benches/flood.rs`.

use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};

/// What to do as the console draws.
pub trait Hooks {
    /// A cell about to be drawn.
    fn cell(&mut self, _x: u16, _y: u16, _cell: &Cell) {}
    /// A frame was drawn in full; `screen` holds it.
    fn flushed(&mut self, _screen: &TestBackend) {}
}

pub struct Hooked<H> {
    pub inner: TestBackend,
    pub hooks: H,
}

impl<H: Hooks> Backend for Hooked<H> {
    type Error = <TestBackend as Backend>::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let hooks = &mut self.hooks;
        self.inner
            .draw(content.inspect(|(x, y, cell)| hooks.cell(*x, *y, cell)))
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, p: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(p)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, t: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(t)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()?;
        self.hooks.flushed(&self.inner);
        Ok(())
    }
}
