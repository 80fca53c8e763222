//! Font decoding for the fallback reader: how a shown string splits into character
//! codes, what text each code stands for, and how wide it is.
//!
//! Beyond ToUnicode CMaps this covers the predefined CJK CMaps that pdf-extract panics
//! on (older Acrobat, 一太郎, non-embedded MS fonts): their codes *are* an encoding of
//! the text (UCS-2, UTF-16, Shift_JIS, EUC-JP), so no Adobe-Japan1 table is needed to
//! read them; only the widths of such fonts are approximated (see `guess_cid`).

use super::lexer::{Lexer, Tok};
use pdf_extract::{Dictionary, Document, Object};
use std::collections::HashMap;

/// How the bytes of a shown string split into codes, and what a code means when no
/// ToUnicode entry covers it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Coding {
    /// Simple fonts: one byte per code, text from the font's base encoding.
    Simple,
    /// Identity-H/V or an embedded CMap: two-byte CIDs, text only through ToUnicode.
    Identity,
    /// UniJIS-UCS2-*, UniJIS-UCS2-HW-*: the code is the UCS-2 code point.
    Ucs2,
    /// UniJIS-UTF16-*, UniJIS2004-UTF16-*: UTF-16BE, surrogate pairs take four bytes.
    Utf16,
    /// UniJIS-UTF8-*.
    Utf8,
    /// UniJIS-UTF32-*.
    Utf32,
    /// 90ms-RKSJ-*, 90msp-RKSJ-*, 83pv-RKSJ-*, 90pv-RKSJ-*, Add-RKSJ-*, Ext-RKSJ-*: Shift_JIS.
    ShiftJis,
    /// EUC-H/V: EUC-JP.
    EucJp,
}

impl Coding {
    /// The coding of a predefined CMap by name; `None` for names we cannot read
    /// (Chinese and Korean CMaps, the raw JIS `H`/`V`…).
    pub fn of_cmap_name(name: &[u8]) -> Option<Coding> {
        let n = String::from_utf8_lossy(name);
        Some(if n == "Identity-H" || n == "Identity-V" {
            Coding::Identity
        } else if n.contains("UCS2") {
            Coding::Ucs2
        } else if n.contains("UTF16") {
            Coding::Utf16
        } else if n.contains("UTF8") {
            Coding::Utf8
        } else if n.contains("UTF32") {
            Coding::Utf32
        } else if n.contains("RKSJ") {
            Coding::ShiftJis
        } else if n.starts_with("EUC-") {
            // Japanese EUC-H/V only: GBK-EUC-H, KSC-EUC-H… are Chinese and Korean.
            Coding::EucJp
        } else {
            return None;
        })
    }
}

/// Everything needed to turn a shown string into positioned characters.
#[derive(Debug, Clone)]
pub struct FontDec {
    pub coding: Coding,
    to_unicode: HashMap<u32, String>,
    /// Simple fonts: width by code; CID fonts: width by CID. Glyph space units (1/1000 em).
    widths: HashMap<u32, f64>,
    default_width: f64,
    /// Vertical writing (-V CMaps, Identity-V): reading order is not rebuilt for it.
    pub vertical: bool,
}

/// One character code of a shown string.
pub struct Code {
    pub text: String,
    /// Advance in glyph space units (1/1000 em).
    pub width: f64,
    /// Single-byte code 32: word spacing applies to it.
    pub is_space: bool,
}

fn get<'a>(doc: &'a Document, d: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    let o = d.get(key).ok()?;
    match o {
        Object::Reference(id) => doc.get_object(*id).ok(),
        _ => Some(o),
    }
}

fn num(o: &Object) -> Option<f64> {
    match o {
        Object::Integer(i) => Some(*i as f64),
        Object::Real(r) => Some(*r as f64),
        _ => None,
    }
}

/// Stream bytes, decompressed as far as the data allows.
pub fn stream_bytes(s: &pdf_extract::Stream) -> Vec<u8> {
    match s.decompressed_content() {
        Ok(d) => d,
        Err(_) => {
            // A damaged deflate stream still holds its text up to the damage.
            let flate = matches!(s.dict.get(b"Filter"), Ok(Object::Name(n)) if n == b"FlateDecode")
                || matches!(s.dict.get(b"Filter"), Ok(Object::Array(a)) if a.len() == 1 && matches!(&a[0], Object::Name(n) if n == b"FlateDecode"));
            if flate {
                partial_inflate(&s.content)
            } else {
                s.content.clone()
            }
        }
    }
}

/// Inflate until the data stops making sense; what came out before is kept. Output is
/// bounded (the worker's memory cap is the real guard; this keeps a bomb from
/// reaching it in the normal case).
pub fn partial_inflate(data: &[u8]) -> Vec<u8> {
    use std::io::Read;
    const MAX: usize = 256 << 20;
    let mut out = Vec::new();
    let mut dec = flate2::read::ZlibDecoder::new(data);
    let mut buf = [0u8; 16384];
    loop {
        match dec.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if out.len() > MAX {
                    break;
                }
            }
        }
    }
    if out.is_empty() {
        // Raw deflate without the zlib header (some producers write that).
        let mut dec = flate2::read::DeflateDecoder::new(data);
        loop {
            match dec.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    out.extend_from_slice(&buf[..n]);
                    if out.len() > MAX {
                        break;
                    }
                }
            }
        }
    }
    out
}

fn be(bytes: &[u8]) -> u32 {
    bytes.iter().take(4).fold(0u32, |a, &b| a << 8 | b as u32)
}

fn utf16(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes.chunks(2).map(|c| if c.len() == 2 { u16::from_be_bytes([c[0], c[1]]) } else { c[0] as u16 }).collect();
    String::from_utf16_lossy(&units)
}

/// Entries read from one ToUnicode CMap are capped: a range like `<0000> <FFFFFFFF>`
/// in a damaged file must not fill memory.
const MAX_ENTRIES: usize = 200_000;

/// Parse a ToUnicode CMap (bfchar and bfrange sections). Never fails: what cannot be
/// read is left out.
pub fn parse_to_unicode(data: &[u8]) -> HashMap<u32, String> {
    let mut map = HashMap::new();
    let mut lx = Lexer::new(data);
    let mut ops = Vec::new();
    while let Some(op) = lx.next_op(&mut ops) {
        match op.as_slice() {
            b"endbfchar" => {
                for pair in ops.chunks(2) {
                    if let [Tok::Str(src), Tok::Str(dst)] = pair {
                        if map.len() < MAX_ENTRIES {
                            map.insert(be(src), utf16(dst));
                        }
                    }
                }
            }
            b"endbfrange" => {
                for t in ops.chunks(3) {
                    let [Tok::Str(lo), Tok::Str(hi), dst] = t else { continue };
                    let (lo, hi) = (be(lo), be(hi));
                    if hi < lo || (hi - lo) as usize > 65_536 {
                        continue;
                    }
                    match dst {
                        Tok::Str(d) if !d.is_empty() => {
                            let mut units: Vec<u16> =
                                d.chunks(2).map(|c| if c.len() == 2 { u16::from_be_bytes([c[0], c[1]]) } else { c[0] as u16 }).collect();
                            for code in lo..=hi {
                                if map.len() >= MAX_ENTRIES {
                                    break;
                                }
                                map.insert(code, String::from_utf16_lossy(&units));
                                if let Some(last) = units.last_mut() {
                                    *last = last.wrapping_add(1);
                                }
                            }
                        }
                        Tok::Arr(items) => {
                            for (i, it) in items.iter().enumerate() {
                                if let Tok::Str(d) = it {
                                    if map.len() < MAX_ENTRIES && (i as u32) <= hi - lo {
                                        map.insert(lo + i as u32, utf16(d));
                                    }
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    map
}

/// The CID a predefined Japanese CMap gives a character, for the few ranges where the
/// width differs from the full-width default: Adobe-Japan1 CIDs 1–95 are proportional
/// ASCII and 327–389 half-width katakana. Other characters take the font's /DW.
fn guess_cid(c: char) -> Option<u32> {
    let u = c as u32;
    match u {
        0x20..=0x7E => Some(u - 0x1F),
        0xFF61..=0xFF9F => Some(327 + (u - 0xFF61)),
        _ => None,
    }
}

fn parse_w(doc: &Document, w: &[Object], out: &mut HashMap<u32, f64>) {
    let mut i = 0;
    while i < w.len() && out.len() < MAX_ENTRIES {
        let Some(first) = num(&w[i]) else {
            i += 1;
            continue;
        };
        let next = w.get(i + 1).map(|o| match o {
            Object::Reference(id) => doc.get_object(*id).unwrap_or(o),
            _ => o,
        });
        match next {
            Some(Object::Array(ws)) => {
                for (k, o) in ws.iter().enumerate() {
                    if let Some(v) = num(o) {
                        out.insert(first as u32 + k as u32, v);
                    }
                }
                i += 2;
            }
            Some(o) if num(o).is_some() => {
                let last = num(o).unwrap_or(first);
                let Some(v) = w.get(i + 2).and_then(num) else { break };
                if last >= first && last - first <= 65_536.0 {
                    for c in first as u32..=last as u32 {
                        out.insert(c, v);
                    }
                }
                i += 3;
            }
            _ => break,
        }
    }
}

impl FontDec {
    /// Build the decoder of a font dictionary. Never fails: a damaged font decodes as
    /// a simple font with no text for unknown codes.
    /// `salvage` reads a ToUnicode stream whose object lopdf could not parse.
    pub fn new(doc: &Document, font: &Dictionary, salvage: &dyn Fn(pdf_extract::ObjectId) -> Option<Vec<u8>>) -> FontDec {
        let subtype = get(doc, font, b"Subtype").and_then(|o| o.as_name().ok()).unwrap_or(b"");
        let to_unicode = match (get(doc, font, b"ToUnicode"), font.get(b"ToUnicode")) {
            (Some(Object::Stream(s)), _) => parse_to_unicode(&stream_bytes(s)),
            (None, Ok(Object::Reference(id))) => salvage(*id).map(|d| parse_to_unicode(&d)).unwrap_or_default(),
            _ => HashMap::new(),
        };
        let mut widths = HashMap::new();
        if subtype == b"Type0" {
            let (coding, vertical) = match get(doc, font, b"Encoding") {
                Some(Object::Name(n)) => (Coding::of_cmap_name(n).unwrap_or(Coding::Identity), n.ends_with(b"-V")),
                Some(Object::Stream(s)) => {
                    let v = matches!(s.dict.get(b"WMode"), Ok(Object::Integer(1)));
                    (Coding::Identity, v)
                }
                _ => (Coding::Identity, false),
            };
            let mut dw = 1000.0;
            let desc = get(doc, font, b"DescendantFonts").and_then(|o| o.as_array().ok()).and_then(|a| a.first()).and_then(|o| match o {
                Object::Reference(id) => doc.get_dictionary(*id).ok(),
                Object::Dictionary(d) => Some(d),
                _ => None,
            });
            if let Some(desc) = desc {
                if let Some(v) = get(doc, desc, b"DW").and_then(num) {
                    dw = v;
                }
                if let Some(Object::Array(w)) = get(doc, desc, b"W") {
                    parse_w(doc, w, &mut widths);
                }
            }
            FontDec { coding, to_unicode, widths, default_width: dw, vertical }
        } else {
            let first = get(doc, font, b"FirstChar").and_then(num).unwrap_or(0.0).max(0.0) as u32;
            if let Some(Object::Array(ws)) = get(doc, font, b"Widths") {
                for (k, o) in ws.iter().take(256).enumerate() {
                    let o = match o {
                        Object::Reference(id) => doc.get_object(*id).unwrap_or(o),
                        _ => o,
                    };
                    if let Some(v) = num(o) {
                        widths.insert(first + k as u32, v);
                    }
                }
            }
            let missing = get(doc, font, b"FontDescriptor")
                .and_then(|o| o.as_dict().ok())
                .and_then(|d| get(doc, d, b"MissingWidth"))
                .and_then(num)
                .filter(|w| *w > 0.0)
                .unwrap_or(500.0);
            // Type3 glyph space is the font matrix's, not 1/1000: widths are only a hint
            // for spacing here, so scale them by the matrix when it is there.
            if subtype == b"Type3" {
                if let Some(Object::Array(m)) = get(doc, font, b"FontMatrix") {
                    if let Some(a) = m.first().and_then(num) {
                        for v in widths.values_mut() {
                            *v *= a * 1000.0;
                        }
                    }
                }
            }
            FontDec { coding: Coding::Simple, to_unicode, widths, default_width: missing, vertical: false }
        }
    }

    /// Split a shown string into codes with their text and width.
    pub fn decode(&self, bytes: &[u8]) -> Vec<Code> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let len = match self.coding {
                Coding::Simple => 1,
                Coding::Identity | Coding::Ucs2 => 2,
                Coding::Utf16 => {
                    if (0xD8..=0xDB).contains(&b) {
                        4
                    } else {
                        2
                    }
                }
                Coding::Utf32 => 4,
                Coding::Utf8 => match b {
                    0xC0..=0xDF => 2,
                    0xE0..=0xEF => 3,
                    0xF0..=0xF7 => 4,
                    _ => 1,
                },
                Coding::ShiftJis => {
                    if matches!(b, 0x81..=0x9F | 0xE0..=0xFC) {
                        2
                    } else {
                        1
                    }
                }
                Coding::EucJp => match b {
                    0x8F => 3,
                    0x8E | 0xA1..=0xFE => 2,
                    _ => 1,
                },
            };
            let end = (i + len).min(bytes.len());
            let raw = &bytes[i..end];
            i = end;
            let code = be(raw);
            let text = match self.to_unicode.get(&code) {
                Some(t) => t.clone(),
                None => self.builtin_text(raw, code),
            };
            let width = match self.coding {
                Coding::Simple => self.widths.get(&code).copied().unwrap_or(self.default_width),
                Coding::Identity => self.widths.get(&code).copied().unwrap_or(self.default_width),
                _ => {
                    // Predefined CMaps map codes to CIDs through tables we do not carry;
                    // the characters whose CIDs are known give their widths.
                    let cid = text.chars().next().filter(|_| text.chars().count() == 1).and_then(guess_cid);
                    cid.and_then(|c| self.widths.get(&c).copied()).unwrap_or(self.default_width)
                }
            };
            let is_space = raw.len() == 1 && raw[0] == 32;
            out.push(Code { text, width, is_space });
        }
        out
    }

    fn builtin_text(&self, raw: &[u8], code: u32) -> String {
        match self.coding {
            Coding::Simple => {
                // Base encodings (WinAnsi, Standard, MacRoman) agree on printable ASCII,
                // which is all a Japanese form draws with simple fonts.
                let (s, _, _) = encoding_rs::WINDOWS_1252.decode(raw);
                s.into_owned()
            }
            Coding::Identity => String::new(),
            Coding::Ucs2 => char::from_u32(code).map(String::from).unwrap_or_default(),
            Coding::Utf16 => utf16(raw),
            Coding::Utf8 => String::from_utf8_lossy(raw).into_owned(),
            Coding::Utf32 => char::from_u32(code).map(String::from).unwrap_or_default(),
            Coding::ShiftJis => encoding_rs::SHIFT_JIS.decode_without_bom_handling(raw).0.into_owned(),
            Coding::EucJp => encoding_rs::EUC_JP.decode_without_bom_handling(raw).0.into_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(coding: Coding) -> FontDec {
        FontDec { coding, to_unicode: HashMap::new(), widths: HashMap::from([(17, 500.0)]), default_width: 1000.0, vertical: false }
    }

    fn text(f: &FontDec, b: &[u8]) -> String {
        f.decode(b).into_iter().map(|c| c.text).collect()
    }

    #[test]
    fn predefined_cmaps_decode_without_tables() {
        assert_eq!(text(&dec(Coding::Ucs2), &[0x65, 0xE5, 0x00, 0x30]), "日0");
        assert_eq!(text(&dec(Coding::Utf16), &[0xD8, 0x40, 0xDC, 0x0B, 0x30, 0x42]), "𠀋あ");
        let sjis = encoding_rs::SHIFT_JIS.encode("評価A1").0.into_owned();
        let f = dec(Coding::ShiftJis);
        assert_eq!(text(&f, &sjis), "評価A1");
        // '0' (0x30) is Adobe-Japan1 CID 17: its /W width, not the default.
        assert_eq!(f.decode(b"0")[0].width, 500.0);
        assert_eq!(f.decode(&sjis)[0].width, 1000.0);
        let euc = encoding_rs::EUC_JP.encode("保護").0.into_owned();
        assert_eq!(text(&dec(Coding::EucJp), &euc), "保護");
        assert_eq!(Coding::of_cmap_name(b"UniJIS-UCS2-H"), Some(Coding::Ucs2));
        assert_eq!(Coding::of_cmap_name(b"90ms-RKSJ-H"), Some(Coding::ShiftJis));
        assert_eq!(Coding::of_cmap_name(b"UniJIS-UTF16-V"), Some(Coding::Utf16));
        assert_eq!(Coding::of_cmap_name(b"GBK-EUC-H"), None);
    }

    #[test]
    fn to_unicode_chars_and_ranges() {
        let cmap = b"1 begincodespacerange <0000> <FFFF> endcodespacerange
            2 beginbfchar <0003> <0020> <0010> <8A55> endbfchar
            2 beginbfrange <0020> <0022> <3042> <0030> <0031> [<0041> <D840DC0B>] endbfrange";
        let m = parse_to_unicode(cmap);
        assert_eq!(m[&3], " ");
        assert_eq!(m[&0x10], "評");
        assert_eq!(m[&0x22], "い");
        assert_eq!(m[&0x31], "𠀋");
        // A hostile range is skipped, not expanded.
        assert!(parse_to_unicode(b"1 beginbfrange <00000000> <FFFFFFFF> <0041> endbfrange").is_empty());
    }
}
