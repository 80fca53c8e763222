//! Geometry collection: a pdf-extract `OutputDev` that records positioned glyphs and the
//! straight segments of stroked/filled paths (the cell borders of the form).
//!
//! Coordinates are PDF user space (origin bottom-left, y up), as pdf-extract hands them.

use pdf_extract::{ColorSpace, MediaBox, OutputDev, OutputError, Path, PathOp, Transform};

/// One drawn glyph. `text` may be empty when the font has no Unicode mapping for it.
#[derive(Debug, Clone)]
pub struct Glyph {
    pub text: String,
    /// Baseline origin.
    pub x: f32,
    pub y: f32,
    /// Horizontal advance on the page.
    pub adv: f32,
    /// Effective font size on the page (em height).
    pub em: f32,
}

impl Glyph {
    /// Right end of the glyph box. The advance can be wrong (pdf-extract misreads the
    /// range form of CID `/W` arrays and falls back to 1000), so never trust it beyond 1 em.
    pub fn x1(&self) -> f32 {
        self.x + self.adv.clamp(0.0, self.em)
    }
    /// Point used to decide which cell a glyph sits in: the middle of its (clamped) box
    /// and a little above the baseline, away from the rules.
    pub fn anchor(&self) -> (f32, f32) {
        ((self.x + self.x1()) / 2.0, self.y + self.em * 0.3)
    }
}

/// A straight segment of a ruling line, normalised so that (x0,y0) <= (x1,y1).
#[derive(Debug, Clone, Copy)]
pub struct Seg {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

#[derive(Debug, Default)]
pub struct PageGeom {
    pub number: u32,
    /// Media box [x0, y0, x1, y1].
    pub media: [f32; 4],
    pub glyphs: Vec<Glyph>,
    pub segs: Vec<Seg>,
    /// Glyphs drawn, including those that decoded to nothing.
    pub glyph_count: usize,
    /// Glyphs drawn rotated (text running up or down the page): their lines are not
    /// rebuilt correctly, which is worth a warning.
    pub rotated: usize,
}

#[derive(Default)]
pub struct Collector {
    pub pages: Vec<PageGeom>,
    cur: Option<PageGeom>,
}

fn apply(m: &Transform, x: f64, y: f64) -> (f32, f32) {
    ((x * m.m11 + y * m.m21 + m.m31) as f32, (x * m.m12 + y * m.m22 + m.m32) as f32)
}

impl Collector {
    /// Turn a path into segments. Curves are dropped (rounded corners are not rules);
    /// a filled shape contributes its edges, which is how many producers draw borders
    /// (thin filled rectangles).
    fn add_path(&mut self, ctm: &Transform, path: &Path) {
        let Some(page) = self.cur.as_mut() else { return };
        let mut start: Option<(f32, f32)> = None;
        let mut last: Option<(f32, f32)> = None;
        let mut push = |a: (f32, f32), b: (f32, f32)| {
            let (x0, x1) = if a.0 <= b.0 { (a.0, b.0) } else { (b.0, a.0) };
            let (y0, y1) = if a.1 <= b.1 { (a.1, b.1) } else { (b.1, a.1) };
            if x0.is_finite() && x1.is_finite() && y0.is_finite() && y1.is_finite() {
                page.segs.push(Seg { x0, y0, x1, y1 });
            }
        };
        for op in &path.ops {
            match *op {
                PathOp::MoveTo(x, y) => {
                    let p = apply(ctm, x, y);
                    start = Some(p);
                    last = Some(p);
                }
                PathOp::LineTo(x, y) => {
                    let p = apply(ctm, x, y);
                    if let Some(l) = last {
                        push(l, p);
                    }
                    last = Some(p);
                }
                PathOp::CurveTo(_, _, _, _, x, y) => {
                    last = Some(apply(ctm, x, y));
                }
                PathOp::Rect(x, y, w, h) => {
                    let a = apply(ctm, x, y);
                    let b = apply(ctm, x + w, y);
                    let c = apply(ctm, x + w, y + h);
                    let d = apply(ctm, x, y + h);
                    push(a, b);
                    push(b, c);
                    push(c, d);
                    push(d, a);
                    start = Some(a);
                    last = Some(a);
                }
                PathOp::Close => {
                    if let (Some(s), Some(l)) = (start, last) {
                        push(l, s);
                    }
                    last = start;
                }
            }
        }
    }
}

impl OutputDev for Collector {
    fn begin_page(&mut self, page_num: u32, media_box: &MediaBox, _art: Option<(f64, f64, f64, f64)>) -> Result<(), OutputError> {
        self.cur = Some(PageGeom {
            number: page_num,
            media: [media_box.llx as f32, media_box.lly as f32, media_box.urx as f32, media_box.ury as f32],
            ..Default::default()
        });
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        if let Some(p) = self.cur.take() {
            self.pages.push(p);
        }
        Ok(())
    }

    fn output_character(&mut self, trm: &Transform, width: f64, _spacing: f64, font_size: f64, char: &str) -> Result<(), OutputError> {
        let Some(page) = self.cur.as_mut() else { return Ok(()) };
        page.glyph_count += 1;
        // Control characters carry no text (some fonts map unused codes to them).
        let text: String = char.chars().filter(|c| !c.is_control()).collect();
        if text.is_empty() {
            return Ok(());
        }
        // The text matrix may scale (Tf 1 + Tm 9 0 0 9 …): sizes on the page come from trm.
        let hscale = (trm.m11 * trm.m11 + trm.m12 * trm.m12).sqrt();
        let vscale = (trm.m21 * trm.m21 + trm.m22 * trm.m22).sqrt();
        let em = (font_size * vscale).abs() as f32;
        let adv = (width * font_size * hscale).abs() as f32;
        if trm.m12.abs() > trm.m11.abs() {
            page.rotated += 1;
        }
        let (x, y) = (trm.m31 as f32, trm.m32 as f32);
        if !(x.is_finite() && y.is_finite() && em.is_finite() && adv.is_finite()) || em <= 0.0 {
            return Ok(());
        }
        page.glyphs.push(Glyph { text, x, y, adv, em });
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn stroke(&mut self, ctm: &Transform, _cs: &ColorSpace, _color: &[f64], path: &Path) -> Result<(), OutputError> {
        self.add_path(ctm, path);
        Ok(())
    }

    fn fill(&mut self, ctm: &Transform, _cs: &ColorSpace, _color: &[f64], path: &Path) -> Result<(), OutputError> {
        self.add_path(ctm, path);
        Ok(())
    }
}
