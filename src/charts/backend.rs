//! plotters' canvas backend, with text measured by the canvas itself.
//!
//! plotters measures every tick label by adding a `<span>` to the page and reading its
//! offsetHeight, which forces a layout of the whole page: hundreds of forced layouts per redraw
//! (the largest cost of a redraw, profiled at 100+ ms on the full page). `measureText` on the
//! canvas context gives the same box without touching the page's layout.

use plotters::prelude::*;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};
use plotters_canvas::CanvasBackend;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// Text sizes measured so far, by (font, text) ([`Canvas::estimate_text_size`]).
type TextSizes = std::collections::HashMap<(String, String), (u32, u32)>;

/// Most text sizes kept; the cache starts afresh beyond (a page draws a few hundred labels).
const MAX_TEXT_SIZES: usize = 4096;

thread_local! {
    static TEXT_SIZES: std::cell::RefCell<TextSizes> = std::cell::RefCell::new(TextSizes::new());
}

thread_local! {
    /// The context of the canvas drawn last, read back by [`ink_pixels`].
    static CURRENT: std::cell::RefCell<Option<CanvasRenderingContext2d>> =
        const { std::cell::RefCell::new(None) };
}

/// How many pixels of the rectangle (canvas pixels) of the canvas drawn last differ clearly
/// from the paper: drawn lines, points, fills, text (the faint grid does not count). This is
/// how legends and status labels find the emptiest place of a plot, whatever drew there.
pub fn ink_pixels(x: i32, y: i32, w: i32, h: i32, paper: RGBColor) -> u32 {
    if w <= 0 || h <= 0 {
        return 0;
    }
    let Some(context) = CURRENT.with(|c| c.borrow().clone()) else {
        return 0;
    };
    let Ok(data) = context.get_image_data(x as f64, y as f64, w as f64, h as f64) else {
        return 0;
    };
    let d = data.data();
    d.chunks_exact(4)
        .filter(|p| {
            let diff = (p[0] as i32 - paper.0 as i32)
                .abs()
                .max((p[1] as i32 - paper.1 as i32).abs())
                .max((p[2] as i32 - paper.2 as i32).abs());
            p[3] > 0 && diff > 48
        })
        .count() as u32
}

type Error = DrawingErrorKind<<CanvasBackend as DrawingBackend>::ErrorType>;

pub struct Canvas {
    inner: CanvasBackend,
    context: CanvasRenderingContext2d,
}

impl Canvas {
    pub fn new(canvas: &HtmlCanvasElement) -> Result<Canvas, String> {
        let context = canvas
            .get_context("2d")
            .ok()
            .flatten()
            .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
            .ok_or("canvas has no 2d context")?;
        let inner =
            CanvasBackend::with_canvas_object(canvas.clone()).ok_or("canvas has no 2d context")?;
        CURRENT.with(|c| *c.borrow_mut() = Some(context.clone()));
        Ok(Canvas { inner, context })
    }
}

impl DrawingBackend for Canvas {
    type ErrorType = <CanvasBackend as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), Error> {
        self.inner.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), Error> {
        self.inner.present()
    }
    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), Error> {
        self.inner.draw_pixel(point, color)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), Error> {
        self.inner.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Error> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), Error> {
        self.inner.draw_path(path, style)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), Error> {
        self.inner.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), Error> {
        self.inner.fill_polygon(vert, style)
    }
    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), Error> {
        self.inner.draw_text(text, style, pos)
    }

    /// The text's advance width and font height (ascent + descent) in pixels, unrotated, as
    /// plotters' own estimate gives them; a rough box if the canvas cannot measure. Measured
    /// once per font and text ([`TEXT_SIZES`]): choosing ticks measures many candidate labels,
    /// and the same labels come back at every redraw.
    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), Error> {
        // The same font string the backend draws with.
        let font = format!(
            "{} {}px {}",
            style.style().as_str(),
            style.size(),
            style.family().as_str(),
        );
        let key = (font, text.to_string());
        if let Some(size) = TEXT_SIZES.with(|c| c.borrow().get(&key).copied()) {
            return Ok(size);
        }
        self.context.set_font(&key.0);
        let size = style.size();
        let measured = self.context.measure_text(text).ok().map(|m| {
            let height = m.font_bounding_box_ascent() + m.font_bounding_box_descent();
            (m.width(), if height > 0.0 { height } else { size * 1.15 })
        });
        let (w, h) = measured.unwrap_or((0.6 * size * text.chars().count() as f64, 1.15 * size));
        let size = (w.ceil().max(0.0) as u32, h.ceil().max(0.0) as u32);
        TEXT_SIZES.with(|c| {
            let mut c = c.borrow_mut();
            if c.len() >= MAX_TEXT_SIZES {
                c.clear();
            }
            c.insert(key, size);
        });
        Ok(size)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), Error> {
        self.inner.blit_bitmap(pos, size, src)
    }
}
