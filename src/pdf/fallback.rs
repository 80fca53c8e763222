//! The second route: our own content-stream interpreter over lopdf objects, used when
//! pdf-extract refuses a file (predefined CJK CMaps, form XObject cycles) or fails or
//! panics on it (damaged files). It hands the same `PageGeom` (glyphs + rule
//! segments) to the same cells/order/table pipeline, so accuracy holds.
//!
//! It is built to keep going: a forgiving lexer (`lexer.rs`), fonts that decode what
//! they can (`cmap.rs`), partial inflate of damaged streams, and a rebuilt cross-
//! reference table when lopdf cannot open the file (the way poppler reconstructs one).

use super::cmap::{stream_bytes, FontDec};
use super::collect::{Glyph, PageGeom, Seg};
use super::lexer::{Lexer, Tok};
use super::prescan::{deref, dict_get};
use pdf_extract::{Dictionary, Document, Object, ObjectId};
use std::collections::HashMap;

/// Form XObjects nested deeper than this are not entered (they cannot be honest, and a
/// cycle must end).
const MAX_FORM_DEPTH: usize = 12;
/// Operators run per page, forms included: a content-stream bomb ends here rather
/// than at the timeout.
const MAX_OPS_PER_PAGE: usize = 20_000_000;
/// Glyphs kept per page: far more than any form page holds.
const MAX_GLYPHS_PER_PAGE: usize = 500_000;
const MAX_SEGS_PER_PAGE: usize = 500_000;

/// Open a document, rebuilding its cross-reference table from the `N G obj` markers
/// when lopdf cannot open it as it is (damaged or missing xref, truncated file) or
/// finds no page in it. Returns the document and whether it was repaired.
pub fn load_lenient(bytes: &[u8]) -> Result<(Document, bool), String> {
    let first = Document::load_mem(bytes);
    if let Ok(d) = &first {
        if !d.get_pages().is_empty() && lost_objects(d) == 0 {
            return first.map(|d| (d, false)).map_err(|e| e.to_string());
        }
    }
    let repaired = rebuild_xref(bytes).and_then(|b| Document::load_mem(&b).ok()).filter(|d| !d.get_pages().is_empty());
    match (first, repaired) {
        // Objects the xref points at but lopdf could not read (offsets shifted by a
        // damaged or edited file): the rebuilt table finds them where they are.
        (Ok(d), Some(r)) if !d.get_pages().is_empty() => {
            if r.objects.len() > d.objects.len() {
                Ok((r, true))
            } else {
                Ok((d, false))
            }
        }
        (Ok(d), None) if !d.get_pages().is_empty() => Ok((d, false)),
        (_, Some(r)) => Ok((r, true)),
        (Err(e), None) => Err(format!("PDF structure unreadable: {e}")),
        (Ok(_), None) => Err("the page tree has no pages".to_string()),
    }
}

/// Objects listed in the cross-reference table that lopdf could not load (it skips
/// them silently): a sign the offsets are wrong and the file worth rebuilding.
pub fn lost_objects(doc: &Document) -> usize {
    use pdf_extract::xref::XrefEntry;
    let have: std::collections::HashSet<u32> = doc.objects.keys().map(|id| id.0).collect();
    doc.reference_table
        .entries
        .iter()
        .filter(|(id, e)| matches!(e, XrefEntry::Normal { .. } | XrefEntry::Compressed { .. }) && !have.contains(id))
        .count()
}

/// A copy of the file (from its `%PDF-` header on) with a fresh classic xref table and
/// trailer appended, listing every `N G obj` found by scanning (the last one of an
/// object number wins, as in an incremental update). `None` when no catalog is found.
/// Where each `N G obj` starts in `body` (the last one of a number wins), with the
/// object's generation.
fn object_offsets(body: &[u8]) -> HashMap<u32, (usize, u16)> {
    let mut offsets = HashMap::new();
    let Ok(re) = regex::bytes::Regex::new(r"(?m)(?:^|[\r\n\s])(\d{1,9})\s+(\d{1,5})\s+obj\b") else { return offsets };
    for c in re.captures_iter(body) {
        let (Some(m), Some(n), Some(g)) = (c.get(0), c.get(1), c.get(2)) else { continue };
        let Ok(n) = std::str::from_utf8(n.as_bytes()).unwrap_or("x").parse::<u32>() else { continue };
        let Ok(g) = std::str::from_utf8(g.as_bytes()).unwrap_or("x").parse::<u16>() else { continue };
        if n == 0 || n > 8_000_000 {
            continue;
        }
        let off = m.start() + m.as_bytes().iter().take_while(|b| !b.is_ascii_digit()).count();
        offsets.insert(n, (off, g));
    }
    offsets
}

/// The data of stream object `id` read straight from the file, for a stream whose
/// dictionary is too damaged for lopdf (a flipped `<<`): the bytes between `stream`
/// and `endstream`, inflated when they look deflated.
pub struct Salvage<'a> {
    body: &'a [u8],
    offsets: HashMap<u32, (usize, u16)>,
}

impl<'a> Salvage<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        let start = bytes.windows(5).position(|w| w == b"%PDF-").unwrap_or(0);
        let body = &bytes[start..];
        Salvage { body, offsets: object_offsets(body) }
    }

    pub fn stream(&self, id: ObjectId) -> Option<Vec<u8>> {
        let &(off, _) = self.offsets.get(&id.0)?;
        let rest = &self.body[off..];
        let end_obj = rest.windows(6).position(|w| w == b"endobj").unwrap_or(rest.len());
        let obj = &rest[..end_obj];
        let s = obj.windows(6).position(|w| w == b"stream")? + 6;
        let mut data = &obj[s..];
        if data.starts_with(b"\r\n") {
            data = &data[2..];
        } else if data.starts_with(b"\n") || data.starts_with(b"\r") {
            data = &data[1..];
        }
        let e = data.windows(9).rposition(|w| w == b"endstream").unwrap_or(data.len());
        let data = &data[..e];
        // zlib streams start 0x78; anything else is taken as written.
        if data.first() == Some(&0x78) {
            let out = super::cmap::partial_inflate(data);
            if !out.is_empty() {
                return Some(out);
            }
        }
        Some(data.to_vec())
    }
}

fn rebuild_xref(bytes: &[u8]) -> Option<Vec<u8>> {
    let start = bytes.windows(5).position(|w| w == b"%PDF-")?;
    let body = &bytes[start..];
    let offsets = object_offsets(body);
    let mut catalog: Option<(u32, u16)> = None;
    let re = regex::bytes::Regex::new(r"(?m)(?:^|[\r\n\s])(\d{1,9})\s+(\d{1,5})\s+obj\b").ok()?;
    for c in re.captures_iter(body) {
        let (Some(m), Some(n), Some(g)) = (c.get(0), c.get(1), c.get(2)) else { continue };
        let Ok(n) = std::str::from_utf8(n.as_bytes()).unwrap_or("x").parse::<u32>() else { continue };
        let Ok(g) = std::str::from_utf8(g.as_bytes()).unwrap_or("x").parse::<u16>() else { continue };
        if n == 0 || n > 8_000_000 {
            continue;
        }
        if offsets.get(&n).map(|o| o.1) != Some(g) {
            continue;
        }
        let head = &body[m.end()..body.len().min(m.end() + 400)];
        let head_end = head.windows(6).position(|w| w == b"endobj").unwrap_or(head.len());
        let head = &head[..head_end];
        if contains(head, b"/Catalog") && contains(head, b"/Pages") {
            catalog = Some((n, g));
        }
    }
    // A /Root named in any trailer or xref stream (the last one) beats a guess.
    let root_re = regex::bytes::Regex::new(r"/Root\s+(\d{1,9})\s+(\d{1,5})\s+R").ok()?;
    let named = root_re.captures_iter(body).filter_map(|c| {
        let n = std::str::from_utf8(c.get(1)?.as_bytes()).ok()?.parse::<u32>().ok()?;
        let g = std::str::from_utf8(c.get(2)?.as_bytes()).ok()?.parse::<u16>().ok()?;
        offsets.contains_key(&n).then_some((n, g))
    });
    let root = named.last().or(catalog)?;
    let size = offsets.keys().max().copied().unwrap_or(0) + 1;
    let mut out = body.to_vec();
    out.extend_from_slice(b"\n");
    let xref_at = out.len();
    out.extend_from_slice(format!("xref\n0 {size}\n").as_bytes());
    for id in 0..size {
        match offsets.get(&id) {
            Some(&(off, g)) => out.extend_from_slice(format!("{off:010} {g:05} n \n").as_bytes()),
            None => out.extend_from_slice(b"0000000000 65535 f \n"),
        }
    }
    out.extend_from_slice(format!("trailer\n<< /Size {size} /Root {} {} R >>\nstartxref\n{xref_at}\n%%EOF\n", root.0, root.1).as_bytes());
    Some(out)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Row-vector affine matrix [a b c d e f], as PDF writes them.
#[derive(Debug, Clone, Copy, PartialEq)]
struct M([f64; 6]);

impl M {
    const ID: M = M([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
    /// `self` applied first, then `o`.
    fn then(&self, o: &M) -> M {
        let [a, b, c, d, e, f] = self.0;
        let [a2, b2, c2, d2, e2, f2] = o.0;
        M([a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2, e * a2 + f * c2 + e2, e * b2 + f * d2 + f2])
    }
    fn apply(&self, x: f64, y: f64) -> (f64, f64) {
        let [a, b, c, d, e, f] = self.0;
        (x * a + y * c + e, x * b + y * d + f)
    }
    fn translate(tx: f64, ty: f64) -> M {
        M([1.0, 0.0, 0.0, 1.0, tx, ty])
    }
    fn from(ops: &[Tok]) -> Option<M> {
        if ops.len() < 6 {
            return None;
        }
        let mut v = [0.0; 6];
        for (i, t) in ops[ops.len() - 6..].iter().enumerate() {
            let Tok::Num(n) = t else { return None };
            v[i] = *n;
        }
        Some(M(v))
    }
}

#[derive(Clone)]
struct GState {
    ctm: M,
    font: Option<Vec<u8>>,
    size: f64,
    tc: f64,
    tw: f64,
    tz: f64,
    tl: f64,
    rise: f64,
}

impl Default for GState {
    fn default() -> Self {
        GState { ctm: M::ID, font: None, size: 0.0, tc: 0.0, tw: 0.0, tz: 1.0, tl: 0.0, rise: 0.0 }
    }
}

struct Interp<'a> {
    doc: &'a Document,
    salvage: &'a Salvage<'a>,
    page: PageGeom,
    fonts: HashMap<ObjectId, FontDec>,
    inline_fonts: HashMap<Vec<u8>, FontDec>,
    ops: usize,
    forms: Vec<ObjectId>,
    vertical: bool,
}

fn nums(ops: &[Tok], n: usize) -> Option<Vec<f64>> {
    if ops.len() < n {
        return None;
    }
    ops[ops.len() - n..].iter().map(|t| if let Tok::Num(v) = t { Some(*v) } else { None }).collect()
}

impl<'a> Interp<'a> {
    fn font(&mut self, res: Option<&'a Dictionary>, name: &[u8]) -> Option<&FontDec> {
        let fonts = res.and_then(|r| dict_get(self.doc, r, b"Font")).and_then(|o| o.as_dict().ok())?;
        let entry = fonts.get(name).ok()?;
        match entry {
            Object::Reference(id) => {
                if !self.fonts.contains_key(id) {
                    let d = self.doc.get_dictionary(*id).ok()?;
                    let f = FontDec::new(self.doc, d, &|id| self.salvage.stream(id));
                    self.fonts.insert(*id, f);
                }
                self.fonts.get(id)
            }
            Object::Dictionary(d) => {
                if !self.inline_fonts.contains_key(name) {
                    let f = FontDec::new(self.doc, d, &|id| self.salvage.stream(id));
                    self.inline_fonts.insert(name.to_vec(), f);
                }
                self.inline_fonts.get(name)
            }
            _ => None,
        }
    }

    fn run(&mut self, content: &[u8], res: Option<&'a Dictionary>, gs0: GState) {
        let mut gs = gs0;
        let mut stack: Vec<GState> = Vec::new();
        let mut tm = M::ID;
        let mut tlm = M::ID;
        let mut path: Vec<(f64, f64, f64, f64)> = Vec::new();
        let mut cur: Option<(f64, f64)> = None;
        let mut start: Option<(f64, f64)> = None;
        let mut lx = Lexer::new(content);
        let mut ops = Vec::new();
        while let Some(op) = lx.next_op(&mut ops) {
            self.ops += 1;
            if self.ops > MAX_OPS_PER_PAGE {
                return;
            }
            match op.as_slice() {
                b"q" => {
                    if stack.len() < 256 {
                        stack.push(gs.clone());
                    }
                }
                b"Q" => {
                    if let Some(g) = stack.pop() {
                        gs = g;
                    }
                }
                b"cm" => {
                    if let Some(m) = M::from(&ops) {
                        gs.ctm = m.then(&gs.ctm);
                    }
                }
                b"BT" => {
                    tm = M::ID;
                    tlm = M::ID;
                }
                b"Tf" => {
                    if let (Some(Tok::Name(n)), Some(Tok::Num(s))) = (ops.first(), ops.get(1)) {
                        gs.font = Some(n.clone());
                        gs.size = *s;
                    }
                }
                b"Tc" => gs.tc = nums(&ops, 1).map_or(gs.tc, |v| v[0]),
                b"Tw" => gs.tw = nums(&ops, 1).map_or(gs.tw, |v| v[0]),
                b"Tz" => gs.tz = nums(&ops, 1).map_or(gs.tz, |v| v[0] / 100.0),
                b"TL" => gs.tl = nums(&ops, 1).map_or(gs.tl, |v| v[0]),
                b"Ts" => gs.rise = nums(&ops, 1).map_or(gs.rise, |v| v[0]),
                b"Td" | b"TD" => {
                    if let Some(v) = nums(&ops, 2) {
                        if op == b"TD" {
                            gs.tl = -v[1];
                        }
                        tlm = M::translate(v[0], v[1]).then(&tlm);
                        tm = tlm;
                    }
                }
                b"Tm" => {
                    if let Some(m) = M::from(&ops) {
                        tm = m;
                        tlm = m;
                    }
                }
                b"T*" => {
                    tlm = M::translate(0.0, -gs.tl).then(&tlm);
                    tm = tlm;
                }
                b"Tj" | b"'" | b"\"" => {
                    if op == b"\"" {
                        if let Some(v) = nums(&ops[..ops.len().saturating_sub(1)], 2) {
                            gs.tw = v[0];
                            gs.tc = v[1];
                        }
                    }
                    if op != b"Tj" {
                        tlm = M::translate(0.0, -gs.tl).then(&tlm);
                        tm = tlm;
                    }
                    if let Some(Tok::Str(s)) = ops.last() {
                        let s = s.clone();
                        self.show(res, &gs, &mut tm, &s);
                    }
                }
                b"TJ" => {
                    if let Some(Tok::Arr(items)) = ops.last() {
                        let items = items.clone();
                        for it in &items {
                            match it {
                                Tok::Str(s) => self.show(res, &gs, &mut tm, s),
                                Tok::Num(n) => {
                                    let tx = -n / 1000.0 * gs.size * gs.tz;
                                    tm = M::translate(tx, 0.0).then(&tm);
                                }
                                _ => {}
                            }
                        }
                    }
                }
                b"m" => {
                    if let Some(v) = nums(&ops, 2) {
                        let p = gs.ctm.apply(v[0], v[1]);
                        cur = Some(p);
                        start = Some(p);
                    }
                }
                b"l" => {
                    if let Some(v) = nums(&ops, 2) {
                        let p = gs.ctm.apply(v[0], v[1]);
                        if let Some(c) = cur {
                            path.push((c.0, c.1, p.0, p.1));
                        }
                        cur = Some(p);
                    }
                }
                b"c" | b"v" | b"y" => {
                    // Curves are not rules; only the current point moves.
                    if let Some(v) = nums(&ops, 2) {
                        cur = Some(gs.ctm.apply(v[0], v[1]));
                    }
                }
                b"re" => {
                    if let Some(v) = nums(&ops, 4) {
                        let (x, y, w, h) = (v[0], v[1], v[2], v[3]);
                        let a = gs.ctm.apply(x, y);
                        let b = gs.ctm.apply(x + w, y);
                        let c = gs.ctm.apply(x + w, y + h);
                        let d = gs.ctm.apply(x, y + h);
                        path.extend([(a.0, a.1, b.0, b.1), (b.0, b.1, c.0, c.1), (c.0, c.1, d.0, d.1), (d.0, d.1, a.0, a.1)]);
                        cur = Some(a);
                        start = Some(a);
                    }
                }
                b"h" => {
                    if let (Some(s), Some(c)) = (start, cur) {
                        path.push((c.0, c.1, s.0, s.1));
                    }
                    cur = start;
                }
                b"S" | b"s" | b"f" | b"F" | b"f*" | b"B" | b"B*" | b"b" | b"b*" => {
                    if matches!(op.as_slice(), b"s" | b"b" | b"b*") {
                        if let (Some(s), Some(c)) = (start, cur) {
                            path.push((c.0, c.1, s.0, s.1));
                        }
                    }
                    for (x0, y0, x1, y1) in path.drain(..) {
                        self.seg(x0, y0, x1, y1);
                    }
                    cur = None;
                    start = None;
                }
                b"n" => {
                    path.clear();
                    cur = None;
                    start = None;
                }
                b"Do" => {
                    if let Some(Tok::Name(n)) = ops.last() {
                        let n = n.clone();
                        self.form(res, &gs, &n);
                    }
                }
                _ => {}
            }
        }
    }

    fn seg(&mut self, x0: f64, y0: f64, x1: f64, y1: f64) {
        if self.page.segs.len() >= MAX_SEGS_PER_PAGE {
            return;
        }
        let (x0, y0, x1, y1) = (x0 as f32, y0 as f32, x1 as f32, y1 as f32);
        if !(x0.is_finite() && y0.is_finite() && x1.is_finite() && y1.is_finite()) {
            return;
        }
        self.page.segs.push(Seg { x0: x0.min(x1), y0: y0.min(y1), x1: x0.max(x1), y1: y0.max(y1) });
    }

    fn form(&mut self, res: Option<&'a Dictionary>, gs: &GState, name: &[u8]) {
        let Some(xobjects) = res.and_then(|r| dict_get(self.doc, r, b"XObject")).and_then(|o| o.as_dict().ok()) else { return };
        let Ok(Object::Reference(id)) = xobjects.get(name) else { return };
        // A form that draws itself (directly or not) is entered once per chain.
        if self.forms.contains(id) || self.forms.len() >= MAX_FORM_DEPTH {
            return;
        }
        let Ok(Object::Stream(stream)) = self.doc.get_object(*id) else { return };
        if stream.dict.get(b"Subtype").and_then(|o| o.as_name()).ok() != Some(b"Form".as_slice()) {
            return;
        }
        let mut inner = gs.clone();
        if let Some(Object::Array(m)) = dict_get(self.doc, &stream.dict, b"Matrix") {
            let v: Vec<Tok> = m.iter().filter_map(|o| match o {
                Object::Integer(i) => Some(Tok::Num(*i as f64)),
                Object::Real(r) => Some(Tok::Num(*r as f64)),
                _ => None,
            }).collect();
            if let Some(m) = M::from(&v) {
                inner.ctm = m.then(&gs.ctm);
            }
        }
        let inner_res = dict_get(self.doc, &stream.dict, b"Resources").and_then(|o| o.as_dict().ok()).or(res);
        let content = stream_bytes(stream);
        self.forms.push(*id);
        self.run(&content, inner_res, inner);
        self.forms.pop();
    }

    fn show(&mut self, res: Option<&'a Dictionary>, gs: &GState, tm: &mut M, s: &[u8]) {
        let Some(name) = gs.font.clone() else { return };
        let size = gs.size;
        let Some(font) = self.font(res, &name) else { return };
        let codes = font.decode(s);
        if font.vertical {
            self.vertical = true;
        }
        for code in codes {
            self.page.glyph_count += 1;
            let trm = M([size * gs.tz, 0.0, 0.0, size, 0.0, gs.rise]).then(tm).then(&gs.ctm);
            let w0 = code.width / 1000.0;
            let text: String = code.text.chars().filter(|c| !c.is_control()).collect();
            let [a, b, c, d, e, f] = trm.0;
            let hscale = (a * a + b * b).sqrt();
            let vscale = (c * c + d * d).sqrt();
            if !text.is_empty() && self.page.glyphs.len() < MAX_GLYPHS_PER_PAGE {
                // `trm` already holds the font size: em and advance are in page units.
                let em = vscale as f32;
                let adv = (w0 * hscale) as f32;
                let (x, y) = (e as f32, f as f32);
                if x.is_finite() && y.is_finite() && em.is_finite() && adv.is_finite() && em > 0.0 {
                    if b.abs() > a.abs() {
                        self.page.rotated += 1;
                    }
                    self.page.glyphs.push(Glyph { text, x, y, adv, em });
                }
            }
            let tx = (w0 * size + gs.tc + if code.is_space { gs.tw } else { 0.0 }) * gs.tz;
            *tm = M::translate(tx, 0.0).then(tm);
        }
    }
}

/// The page's inherited attribute (`Resources`, `MediaBox`), with a bound on the parent
/// chain, which can loop in broken files.
fn inherited<'a>(doc: &'a Document, page_id: ObjectId, key: &[u8]) -> Option<&'a Object> {
    let mut id = page_id;
    for _ in 0..64 {
        let d = doc.get_dictionary(id).ok()?;
        if let Some(o) = dict_get(doc, d, key) {
            return Some(o);
        }
        id = d.get(b"Parent").ok()?.as_reference().ok()?;
    }
    None
}

/// Whether every font of the document takes its text from a ToUnicode CMap and from
/// nothing else: composite fonts in Identity-H, simple fonts (Type1, TrueType) with a
/// named base encoding or none (no `/Differences` glyph names, which only pdf-extract
/// follows). Both readers then decode the same codes through the same table, so the
/// own reader may read the document first (issue #16: it parses each font once per
/// document, pdf-extract again on every page, ~2.3× the CPU on real sheets). Fonts are
/// found wherever they are (pages, form XObjects, annotations); any other font (Type3,
/// a predefined CJK CMap, vertical writing, no ToUnicode) leaves the document to
/// pdf-extract, as before.
pub fn fonts_read_alike(doc: &Document) -> bool {
    let font_ok = |d: &Dictionary| -> bool {
        let to_unicode = matches!(d.get(b"ToUnicode").ok().map(|o| deref(doc, o)), Some(Object::Stream(_)));
        match d.get(b"Subtype").and_then(|o| o.as_name()).unwrap_or(b"") {
            b"Type0" => to_unicode && matches!(dict_get(doc, d, b"Encoding"), Some(Object::Name(n)) if n == b"Identity-H"),
            b"Type1" | b"TrueType" | b"MMType1" => to_unicode && matches!(dict_get(doc, d, b"Encoding"), None | Some(Object::Name(_))),
            // Descendants of a Type0 font: read through their parent's ToUnicode.
            b"CIDFontType0" | b"CIDFontType2" => true,
            _ => false,
        }
    };
    let is_font = |d: &Dictionary| d.get(b"Type").and_then(|o| o.as_name()).is_ok_and(|t| t == b"Font") || d.has(b"BaseFont");
    let mut fonts = 0;
    let all_alike = doc.objects.values().all(|o| {
        let d = match o {
            Object::Dictionary(d) => d,
            Object::Stream(s) => &s.dict,
            _ => return true,
        };
        // A font itself, and fonts written inline in a /Font resource dictionary.
        let inline_ok = match d.get(b"Font").ok() {
            Some(Object::Dictionary(inline)) => inline.iter().all(|(_, f)| match f {
                Object::Dictionary(f) => {
                    fonts += 1;
                    font_ok(f)
                }
                _ => true,
            }),
            _ => true,
        };
        fonts += usize::from(is_font(d));
        inline_ok && (!is_font(d) || font_ok(d))
    });
    // A document without a font has no text to read alike: it stays with pdf-extract
    // (and its failures: `no_text_layer`, or the worker's memory cap on a bomb).
    all_alike && fonts > 0
}

/// Glyphs and rules of every page. Pages with no content still appear (empty), so the
/// page count stays honest. The flag says whether vertical-writing fonts were met.
/// `bytes` is the file, for streams lopdf could not parse (see [`Salvage`]).
pub fn collect(doc: &Document, bytes: &[u8]) -> (Vec<PageGeom>, bool) {
    let mut pages = Vec::new();
    let salvage = Salvage::new(bytes);
    let mut interp = Interp { doc, salvage: &salvage, page: PageGeom::default(), fonts: HashMap::new(), inline_fonts: HashMap::new(), ops: 0, forms: Vec::new(), vertical: false };
    for (num, page_id) in doc.get_pages() {
        let media = inherited(doc, page_id, b"MediaBox")
            .and_then(|o| o.as_array().ok())
            .and_then(|a| {
                let v: Vec<f32> = a.iter().filter_map(|o| match deref(doc, o) {
                    Object::Integer(i) => Some(*i as f32),
                    Object::Real(r) => Some(*r),
                    _ => None,
                }).collect();
                (v.len() == 4 && v.iter().all(|x| x.is_finite())).then(|| [v[0], v[1], v[2], v[3]])
            })
            // A4, the size of every sheet of this kind, when the box is damaged.
            .unwrap_or([0.0, 0.0, 595.0, 842.0]);
        interp.page = PageGeom { number: num, media, ..Default::default() };
        interp.ops = 0;
        let res = inherited(doc, page_id, b"Resources").and_then(|o| o.as_dict().ok());
        let mut content = Vec::new();
        for id in doc.get_page_contents(page_id) {
            match doc.get_object(id) {
                Ok(Object::Stream(s)) => content.extend_from_slice(&stream_bytes(s)),
                Err(_) => content.extend_from_slice(&salvage.stream(id).unwrap_or_default()),
                _ => {}
            }
            content.push(b'\n');
        }
        interp.run(&content, res, GState::default());
        pages.push(std::mem::take(&mut interp.page));
    }
    (pages, interp.vertical)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrices_compose_in_pdf_order() {
        // Scale by 2 then move by (10, 0): the point (1, 1) lands on (12, 2).
        let m = M([2.0, 0.0, 0.0, 2.0, 0.0, 0.0]).then(&M::translate(10.0, 0.0));
        assert_eq!(m.apply(1.0, 1.0), (12.0, 2.0));
    }

    #[test]
    fn rebuilt_xref_opens_a_file_whose_xref_is_gone() {
        let body = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>\nendobj\n";
        assert!(Document::load_mem(body).is_err());
        let (doc, repaired) = load_lenient(body).unwrap();
        assert!(repaired);
        assert_eq!(doc.get_pages().len(), 1);
    }
}
