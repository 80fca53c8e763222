//! A forgiving tokenizer for PDF content streams and CMap streams.
//!
//! lopdf's `Content::decode` gives up on the whole stream at the first bad byte, and a
//! damaged PDF's text is mostly still there around that byte. This lexer never fails:
//! a byte it cannot read is skipped, and an unterminated string or array ends at the
//! end of the data. Nesting and sizes are bounded so hostile input cannot blow the stack.

/// One operand or operator.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Num(f64),
    Name(Vec<u8>),
    /// A literal `( )` or hex `< >` string, as raw bytes.
    Str(Vec<u8>),
    Arr(Vec<Tok>),
    /// Dictionaries only matter as operands we skip (inline images, marked content).
    Dict,
    Op(Vec<u8>),
}

/// Arrays nested deeper than this are cut: no honest content stream needs more.
const MAX_DEPTH: usize = 32;

fn is_white(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0')
}

fn is_delim(b: u8) -> bool {
    matches!(b, b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%')
}

pub struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Lexer { data, pos: 0 }
    }

    fn skip_space(&mut self) {
        while self.pos < self.data.len() {
            let b = self.data[self.pos];
            if is_white(b) {
                self.pos += 1;
            } else if b == b'%' {
                while self.pos < self.data.len() && self.data[self.pos] != b'\n' && self.data[self.pos] != b'\r' {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn regular(&mut self) -> &'a [u8] {
        let start = self.pos;
        while self.pos < self.data.len() && !is_white(self.data[self.pos]) && !is_delim(self.data[self.pos]) {
            self.pos += 1;
        }
        &self.data[start..self.pos]
    }

    fn literal(&mut self) -> Vec<u8> {
        // At '('.
        self.pos += 1;
        let mut out = Vec::new();
        let mut depth = 1usize;
        while self.pos < self.data.len() {
            let b = self.data[self.pos];
            self.pos += 1;
            match b {
                b'(' => {
                    depth += 1;
                    out.push(b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return out;
                    }
                    out.push(b);
                }
                b'\\' => {
                    let Some(&e) = self.data.get(self.pos) else { break };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'\r' => {
                            if self.data.get(self.pos) == Some(&b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut v = (e - b'0') as u32;
                            for _ in 0..2 {
                                match self.data.get(self.pos) {
                                    Some(&d @ b'0'..=b'7') => {
                                        v = v * 8 + (d - b'0') as u32;
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push(v as u8);
                        }
                        other => out.push(other),
                    }
                }
                _ => out.push(b),
            }
        }
        out
    }

    fn hex(&mut self) -> Vec<u8> {
        // At '<' (not '<<').
        self.pos += 1;
        let mut nibbles = Vec::new();
        while self.pos < self.data.len() {
            let b = self.data[self.pos];
            self.pos += 1;
            match b {
                b'>' => break,
                b'0'..=b'9' => nibbles.push(b - b'0'),
                b'a'..=b'f' => nibbles.push(b - b'a' + 10),
                b'A'..=b'F' => nibbles.push(b - b'A' + 10),
                _ => {}
            }
        }
        if nibbles.len() % 2 == 1 {
            nibbles.push(0);
        }
        nibbles.chunks(2).map(|c| c[0] << 4 | c[1]).collect()
    }

    /// Skip a dictionary `<< … >>` (nested ones too) without building it.
    fn skip_dict(&mut self) {
        self.pos += 2;
        let mut depth = 1usize;
        while self.pos < self.data.len() && depth > 0 {
            if self.data[self.pos..].starts_with(b"<<") {
                depth += 1;
                self.pos += 2;
            } else if self.data[self.pos..].starts_with(b">>") {
                depth -= 1;
                self.pos += 2;
            } else if self.data[self.pos] == b'(' {
                self.literal();
            } else {
                self.pos += 1;
            }
        }
    }

    fn token(&mut self, depth: usize) -> Option<Tok> {
        loop {
            self.skip_space();
            let b = *self.data.get(self.pos)?;
            match b {
                b'(' => return Some(Tok::Str(self.literal())),
                b'<' if self.data.get(self.pos + 1) == Some(&b'<') => {
                    self.skip_dict();
                    return Some(Tok::Dict);
                }
                b'<' => return Some(Tok::Str(self.hex())),
                b'/' => {
                    self.pos += 1;
                    let raw = self.regular();
                    return Some(Tok::Name(unescape_name(raw)));
                }
                b'[' => {
                    self.pos += 1;
                    let mut items = Vec::new();
                    loop {
                        self.skip_space();
                        match self.data.get(self.pos) {
                            None => break,
                            Some(b']') => {
                                self.pos += 1;
                                break;
                            }
                            _ => {}
                        }
                        if depth >= MAX_DEPTH && self.data.get(self.pos) == Some(&b'[') {
                            // Too deep: further array openers are dropped, so recursion
                            // stops here while the tokens inside are still read.
                            self.pos += 1;
                            continue;
                        }
                        match self.token(depth + 1) {
                            // An operator inside an array means the array was never
                            // closed: end it here and let the operator run.
                            Some(Tok::Op(op)) => {
                                self.pos -= op.len().min(self.pos);
                                break;
                            }
                            Some(t) => items.push(t),
                            None => break,
                        }
                    }
                    return Some(Tok::Arr(items));
                }
                b']' | b')' | b'>' | b'{' | b'}' => {
                    // Stray closers and PostScript braces (Type 4 functions): skip.
                    self.pos += 1;
                    continue;
                }
                _ => {
                    let raw = self.regular();
                    if raw.is_empty() {
                        self.pos += 1;
                        continue;
                    }
                    if let Some(n) = parse_num(raw) {
                        return Some(Tok::Num(n));
                    }
                    return Some(Tok::Op(raw.to_vec()));
                }
            }
        }
    }

    /// Next operator with its operands. Inline images (`BI … ID data EI`) are skipped
    /// whole: their data is binary and would read as garbage operators.
    pub fn next_op(&mut self, operands: &mut Vec<Tok>) -> Option<Vec<u8>> {
        operands.clear();
        loop {
            match self.token(0)? {
                Tok::Op(op) => {
                    if op == b"ID" {
                        self.skip_inline_image();
                        operands.clear();
                        continue;
                    }
                    return Some(op);
                }
                t => {
                    // Bound the operand stack (garbage could pile up numbers forever), high
                    // enough for a CMap's 100-entry sections (200 operands); halving keeps
                    // the cost linear.
                    if operands.len() >= 4096 {
                        operands.drain(..2048);
                    }
                    operands.push(t);
                }
            }
        }
    }

    fn skip_inline_image(&mut self) {
        // Data starts after one white-space byte and ends at white-space "EI" white-space.
        self.pos += 1;
        while self.pos + 2 < self.data.len() {
            if is_white(self.data[self.pos])
                && &self.data[self.pos + 1..self.pos + 3] == b"EI"
                && self.data.get(self.pos + 3).is_none_or(|&b| is_white(b))
            {
                self.pos += 3;
                return;
            }
            self.pos += 1;
        }
        self.pos = self.data.len();
    }
}

fn unescape_name(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'#' && i + 2 < raw.len() {
            let h = std::str::from_utf8(&raw[i + 1..i + 3]).ok().and_then(|s| u8::from_str_radix(s, 16).ok());
            if let Some(v) = h {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(raw[i]);
        i += 1;
    }
    out
}

fn parse_num(raw: &[u8]) -> Option<f64> {
    let first = raw[0];
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return None;
    }
    let s = std::str::from_utf8(raw).ok()?;
    // A real is read to single precision, as lopdf (pdf-extract's parser) reads it: the
    // PDF reference gives reals about that precision, and both readers then place
    // every glyph at the same point (parsed to f64, boxes came out one f32 step apart).
    if s.contains('.') {
        if let Ok(v) = s.parse::<f32>() {
            return v.is_finite().then_some(v as f64);
        }
    } else if let Ok(v) = s.parse::<f64>() {
        return v.is_finite().then_some(v);
    }
    // Producers write things like "--5" or "1.2.3"; read what leads.
    let cut: String = s.chars().take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '-').collect();
    let cut = cut.trim_start_matches('-');
    let neg = s.starts_with('-');
    let v: f64 = cut.split('.').take(2).collect::<Vec<_>>().join(".").parse().ok()?;
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    // Reals at single precision, as lopdf reads them (pdf-extract's glyph positions);
    // integers exact.
    #[test]
    fn reals_are_read_like_lopdf() {
        assert_eq!(super::parse_num(b"0.1"), Some(0.1f32 as f64));
        assert_ne!(super::parse_num(b"0.1"), Some(0.1f64));
        assert_eq!(super::parse_num(b"-612.75"), Some(-612.75));
        assert_eq!(super::parse_num(b"16777217"), Some(16777217.0));
    }

    use super::*;

    fn ops(s: &[u8]) -> Vec<(Vec<u8>, Vec<Tok>)> {
        let mut l = Lexer::new(s);
        let mut v = Vec::new();
        let mut operands = Vec::new();
        while let Some(op) = l.next_op(&mut operands) {
            v.push((op, operands.clone()));
        }
        v
    }

    #[test]
    fn reads_text_operators() {
        let v = ops(b"BT /F1 12 Tf 1 0 0 1 72 700 Tm (a\\(b\\)c\\101) Tj [<0041> -250 (x)] TJ ET");
        assert_eq!(v[1].0, b"Tf");
        assert_eq!(v[1].1, vec![Tok::Name(b"F1".to_vec()), Tok::Num(12.0)]);
        assert_eq!(v[3].1, vec![Tok::Str(b"a(b)cA".to_vec())]);
        assert_eq!(v[4].1, vec![Tok::Arr(vec![Tok::Str(vec![0, 0x41]), Tok::Num(-250.0), Tok::Str(b"x".to_vec())])]);
        assert_eq!(v.last().unwrap().0, b"ET");
    }

    #[test]
    fn survives_garbage_and_unclosed_things() {
        // An unclosed array before an operator, a stray ')', binary junk, an unclosed
        // string at the end: operators around them are still read.
        let v = ops(b"[ (a) Tj ) \xff\xfe 1 2 m 3 4 l S (unclosed");
        let names: Vec<&[u8]> = v.iter().map(|(o, _)| o.as_slice()).collect();
        assert!(names.contains(&b"Tj".as_slice()));
        assert!(names.contains(&b"m".as_slice()));
        assert!(names.contains(&b"S".as_slice()));
    }

    #[test]
    fn skips_inline_images() {
        let v = ops(b"BI /W 1 /H 1 ID \x00Tj\xff EI (x) Tj");
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].1, vec![Tok::Str(b"x".to_vec())]);
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut s = vec![b'['; 100_000];
        s.extend_from_slice(b" (x) Tj");
        let v = ops(&s);
        assert!(v.iter().any(|(o, _)| o == b"Tj"));
    }
}
