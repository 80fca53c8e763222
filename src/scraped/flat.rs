//! Mirror-site text views whose pages were flattened into a few long lines (see
//! `research/scraped-text.md`, "Mirror sites"): every cell of a page is on one line,
//! separated by spaces, with the site's page marks (`2 / 76 ページ`, the page number in
//! front of the next page) around them, and `、。「」` dropped from all text.
//!
//! The pages are put back as one cell per line by the form's own labels: every label of
//! every known form (the form descriptions and common.json's other labels) that stands as a cell
//! of its own (white space on both sides) starts a line, printed as the form prints it,
//! and the text after it up to the next label is its value on the next line. Values stay
//! as the mirror printed them (without the dropped marks).

use crate::normalize::key;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Marks some mirrors drop from all text; labels are matched without them.
const DROPPED: [char; 4] = ['、', '。', '「', '」'];

/// The labels of every known form, by their match key (key without [`DROPPED`]).
pub(super) struct Labels {
    /// Match key → the label as the form prints it.
    by_key: HashMap<String, String>,
    /// Check-box labels (`電子記録媒体（フラッシュメモリを除く。）`): match key → as printed.
    boxes: Vec<(String, String)>,
    /// Match keys of the labels that head a zone (sections, headings): no value
    /// follows them.
    headings: std::collections::HashSet<String>,
    /// Longest match key, in characters.
    longest: usize,
}

impl Labels {
    /// The match keys of all labels.
    pub(super) fn keys(&self) -> impl Iterator<Item = &str> {
        self.by_key.keys().map(String::as_str)
    }

    /// The label whose match key is exactly `k`.
    pub(super) fn get(&self, k: &str) -> Option<&str> {
        self.by_key.get(k).map(String::as_str)
    }

    /// Is `line` a whole label; `Some(true)` for one that heads a zone.
    pub(super) fn kind_of(&self, line: &str) -> Option<bool> {
        let k = match_key(line.trim().trim_end_matches('※'));
        self.by_key.contains_key(&k).then(|| self.headings.contains(&k))
    }

    /// The longest label that `fk[from..]` starts with (char positions); its length.
    fn longest_at(&self, fk: &[char], from: usize) -> Option<usize> {
        let max = self.longest.min(fk.len() - from);
        (2..=max).rev().find(|&n| self.by_key.contains_key(&fk[from..from + n].iter().collect::<String>()))
    }

    /// The longest label that `fk` ends with; its length.
    pub(super) fn longest_suffix(&self, fk: &[char]) -> Option<usize> {
        let max = self.longest.min(fk.len());
        (2..=max).rev().find(|&n| self.by_key.contains_key(&fk[fk.len() - n..].iter().collect::<String>()))
    }
}

/// The match key of a label or a text: [`key`] without the marks mirrors drop.
pub(super) fn match_key(s: &str) -> String {
    key(s).chars().filter(|c| !DROPPED.contains(c)).collect()
}

/// Labels of all forms known to this run (built once).
pub(super) fn labels() -> &'static Labels {
    static LABELS: OnceLock<Labels> = OnceLock::new();
    LABELS.get_or_init(|| {
        use crate::form::Node;
        let mut raw: Vec<String> = Vec::new();
        let mut heads: Vec<String> = Vec::new();
        let mut box_words: Vec<String> = Vec::new();
        // Labels go to `out` (those heading a zone to `heads` too); the words printed
        // beside a lone check box to `boxes`.
        fn collect(nodes: &[Node], out: &mut Vec<String>, heads: &mut Vec<String>, boxes: &mut Vec<String>) {
            for n in nodes {
                match n {
                    Node::Section(s) => {
                        out.extend(s.heading.iter().cloned());
                        heads.extend(s.heading.iter().cloned());
                        collect(&s.nodes, out, heads, boxes);
                    }
                    // A block's opener with its number (`システム1`); the bare word
                    // (`システム`) is a word of many values.
                    Node::Block(b) => {
                        let openers: Vec<String> = if b.numbered { (1..=30).map(|n| format!("{}{n}", b.start)).collect() } else { vec![b.start.clone()] };
                        // (An opener is followed by its element's title: no heading.)
                        out.extend(openers);
                        collect(&b.nodes, out, heads, boxes);
                    }
                    Node::Field(f) => {
                        out.extend(f.label.iter().cloned());
                        out.extend(f.as_of.iter().cloned());
                        if f.ty == crate::form::FieldType::Box {
                            boxes.extend(f.after.iter().cloned());
                        }
                    }
                    Node::Heading(h) => {
                        out.extend(h.heading.iter().cloned());
                        heads.extend(h.heading.iter().cloned());
                    }
                }
            }
        }
        let forms = crate::form::FormSet::current();
        for f in &forms.forms {
            collect(&f.body, &mut raw, &mut heads, &mut box_words);
        }
        let c = &forms.common.cover;
        raw.extend([&c.declaration, &c.special_notes, &c.evaluator, &c.published, &forms.common.index_heading].map(|s| s.to_string()));
        raw.extend(c.approved.iter().cloned());
        raw.extend(forms.common.other_labels.labels.iter().cloned());
        let mut by_key = HashMap::new();
        for l in raw {
            let k = match_key(&l);
            // One or two characters (`※`, `期間`) are words of values as often as labels.
            if k.chars().count() >= 3 {
                by_key.entry(k).or_insert(l);
            }
        }
        let longest = by_key.keys().map(|k| k.chars().count()).max().unwrap_or(0);
        let mut boxes: Vec<(String, String)> = forms.common.groups.values().flatten().map(|b| b.label.clone()).chain(box_words).map(|l| (match_key(&l), l)).filter(|(k, _)| k.chars().count() >= 2).collect();
        // Longest first: the first that a box's text starts with is the whole label.
        boxes.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
        boxes.dedup();
        let headings = heads.iter().map(|h| match_key(h)).collect();
        Labels { by_key, boxes, headings, longest }
    })
}

/// A site's page mark (`1 / 5 ページ`) at byte `at` of `s`: its byte length and page number.
fn page_mark_at(s: &str, at: usize) -> Option<(usize, u32)> {
    let t = &s[at..];
    let d1 = t.bytes().take_while(u8::is_ascii_digit).count();
    let rest = t[d1..].strip_prefix(" / ")?;
    let d2 = rest.bytes().take_while(u8::is_ascii_digit).count();
    let rest2 = rest[d2..].strip_prefix(" ページ")?;
    if d1 == 0 || d2 == 0 || d1 > 4 || d2 > 4 {
        return None;
    }
    Some((t.len() - rest2.len(), t[..d1].parse().ok()?))
}

/// The text after the cover as pages: the lines of a page joined with spaces, the page
/// marks and the page numbers the next page starts with left out.
pub(super) fn pages(lines: &[&str]) -> Vec<String> {
    let text = lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ");
    let mut pages = Vec::new();
    let mut cur = String::new();
    // The cover is page 1: what follows it is page 2.
    let mut next_no: u32 = 2;
    let mut i = 0;
    while i < text.len() {
        if cur.trim().is_empty() {
            // A page starts with its number.
            let rest = text[i..].trim_start();
            let p = format!("{next_no} ");
            if rest.starts_with(&p) && page_mark_at(rest, 0).is_none() {
                i = text.len() - rest.len() + p.len();
                continue;
            }
        }
        if i == 0 || text[..i].ends_with(' ') {
            if let Some((n, no)) = page_mark_at(&text, i) {
                pages.push(std::mem::take(&mut cur).trim().to_string());
                next_no = no + 1;
                i += n;
                continue;
            }
        }
        let ch = text[i..].chars().next().unwrap_or(' ');
        cur.push(ch);
        i += ch.len_utf8();
    }
    pages.push(cur.trim().to_string());
    pages.retain(|p| !p.is_empty());
    pages
}

/// The match key of `raw` with, for each of its characters, the byte offset in `raw` of
/// the character it comes from.
pub(super) fn keyed(raw: &str) -> (Vec<char>, Vec<usize>) {
    let (mut fk, mut at) = (Vec::new(), Vec::new());
    for (b, ch) in raw.char_indices() {
        if DROPPED.contains(&ch) {
            continue;
        }
        for k in key(ch.encode_utf8(&mut [0; 4])).chars() {
            fk.push(k);
            at.push(b);
        }
    }
    (fk, at)
}

/// A page's text cut into lines at the form's labels: each label on a line of its own
/// (as the form prints it), then its value. A box (`[ 十分である ]`) and a choice list
/// (`< 選択肢 > 1) …`) start lines of their own too.
pub(super) fn cut(page: &str) -> Vec<String> {
    let labels = labels();
    let (fk, at) = keyed(page);
    let space_before = |b: usize| b == 0 || page[..b].ends_with(' ');
    let space_after = |b: usize| b >= page.len() || page[b..].starts_with(' ');
    // (byte start, byte end, label to print or None for the raw text)
    let mut cuts: Vec<(usize, usize, Option<String>)> = Vec::new();
    let mut p = 0;
    while p < fk.len() {
        let b = at[p];
        if fk[p] == '[' || (fk[p] == '<' && fk[p..].starts_with(&['<', '選', '択', '肢', '>'])) {
            cuts.push((b, b, None));
            p += 1;
            continue;
        }
        if space_before(b) {
            if let Some(n) = labels.longest_at(&fk, p) {
                let end = at.get(p + n).copied().unwrap_or(page.len());
                // The label's last character ends where the next key character's
                // source begins (or at the next space).
                let end = page[..end].trim_end().len();
                if space_after(end) {
                    let k: String = fk[p..p + n].iter().collect();
                    cuts.push((b, end, labels.get(&k).map(str::to_string)));
                    p += n;
                    continue;
                }
            }
        }
        p += 1;
    }
    let mut out = Vec::new();
    let lead = page[..cuts.first().map_or(page.len(), |c| c.0)].trim();
    if !lead.is_empty() {
        out.push(lead.to_string());
    }
    for (i, (s, e, label)) in cuts.iter().enumerate() {
        let next = cuts.get(i + 1).map_or(page.len(), |c| c.0);
        match label {
            Some(l) => {
                let mut v = page[*e..next].trim();
                // `※` printed after a label (items a later section answers) is the label's.
                let mut l = l.clone();
                if v == "※" || v.starts_with("※ ") {
                    l.push_str(" ※");
                    v = v["※".len()..].trim_start();
                }
                out.push(l);
                if !v.is_empty() {
                    out.push(v.to_string());
                }
            }
            None => {
                let v = page[*s..next].trim();
                if !v.is_empty() {
                    out.push(box_label(v, labels));
                }
            }
        }
    }
    out
}

/// A check box (`[ ○ ] 電子記録媒体 ( フラッシュメモリを除く )`) with its label put back as
/// the form prints it (the mirror dropped its `、。`).
fn box_label(seg: &str, labels: &Labels) -> String {
    let Some(close) = seg.find(']').filter(|_| seg.starts_with('[')) else { return seg.to_string() };
    let text = seg[close + 1..].trim_start();
    let (fk, at) = keyed(text);
    for (k, label) in &labels.boxes {
        let kc: Vec<char> = k.chars().collect();
        if fk.len() >= kc.len() && fk[..kc.len()] == kc[..] {
            let end = at.get(kc.len()).copied().unwrap_or(text.len());
            let end = text[..end].trim_end().len();
            if end >= text.len() || text[end..].starts_with(' ') {
                return format!("{} {}{}", &seg[..=close], label, &text[end..]);
            }
        }
    }
    seg.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_without_marks() {
        let lines = ["2 Ⅰ 関連情報 ①事務の名称 住民基本台帳に関する事務 2 / 5 ページ", "", "3 Ⅱ しきい値判断項目 1 住民記録システム", "3 / 5 ページ"];
        assert_eq!(pages(&lines), ["Ⅰ 関連情報 ①事務の名称 住民基本台帳に関する事務", "Ⅱ しきい値判断項目 1 住民記録システム"]);
    }

    #[test]
    fn cut_at_labels() {
        let lines = cut("Ⅰ 関連情報 ①事務の名称 住民基本台帳に関する事務 ②事務の概要 【概要】 住民の居住関係の公証 ①実施の有無 [ 実施する ] < 選択肢 > 1) 実施する");
        assert_eq!(lines, ["Ⅰ　関連情報", "①事務の名称", "住民基本台帳に関する事務", "②事務の概要", "【概要】 住民の居住関係の公証", "①実施の有無", "[ 実施する ]", "< 選択肢 > 1) 実施する"]);
        // A label inside a value (no space before it) is no cut; a label printed
        // without its 、 is found and printed with it.
        let lines = cut("目的を超えた紐付け事務に必要のない情報との紐付けが行われるリスクへの対策は十分か [ 十分である ]");
        assert_eq!(lines[0], "目的を超えた紐付け、事務に必要のない情報との紐付けが行われるリスクへの対策は十分か");
    }
}
