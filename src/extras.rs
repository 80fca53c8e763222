//! Extra items: numbered items printed on a sheet that its form description does not
//! name (an extra sub-item `⑪`, a 令和-era item, an unknown section). They go to
//! `extra_items[]` so that nothing printed is lost (spec: "Extras").
//!
//! An item is recognised by the form's own numbering, never by its wording: a line that
//! no label of the form took (the engine's [`Claim`]s) and that starts with the number
//! that *continues* the numbering of the items around it — `⑪` after the form's `⑩`,
//! `８．` after `７．`, `リスク４` after `リスク３`, `Ⅷ` after `Ⅶ`. Numbered lines inside a
//! value (a list `①… ②… ③…` written in a 事務の内容) do not continue the form's numbering
//! (they restart at ①, or a later form label takes the same number), so they stay in
//! their value.

use crate::form::{Form, Node};
use crate::normalize::key;
use crate::reassemble::Line;
use crate::record::ExtraItem;
use regex::Regex;
use std::sync::OnceLock;

/// What a claimed line is, for the scope of the numbering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimKind {
    /// A section heading (Ⅰ…, （別添１）): numbering never continues across one.
    Section,
    /// A block opener (システム１, a file's １．特定個人情報ファイル名): numbering below the
    /// section starts anew.
    Block,
    /// A heading or a field label.
    Label,
}

/// Lines the engine read as a form's heading, block opener or field label.
#[derive(Debug, Clone)]
pub struct Claim {
    pub first: usize,
    pub last: usize,
    pub kind: ClaimKind,
    /// The JSON path read there (with indexes; empty for headings).
    pub path: String,
}

/// An extra item found: the line it starts on and the record entry.
#[derive(Debug, Clone)]
pub struct Extra {
    pub line: usize,
    /// The last line of its value (inclusive).
    pub last: usize,
    pub item: ExtraItem,
}

/// Levels of the form's numbering, outermost first.
const ROMAN: u8 = 0;
const DOT: u8 = 1;
const RISK: u8 = 2;
const CIRCLED: u8 = 3;

/// The numbering a printed line starts with: (level, number, the numbering as printed
/// without white space and its trailing `．`/`：`, the text after it). Read on the raw text:
/// NFKC would make `⑪` the digits `11`.
fn number_of(raw: &str) -> Option<(u8, u32, String, &str)> {
    let s = raw.trim_start();
    let c0 = s.chars().next()?;
    let digit = |c: char| c.to_digit(10).or_else(|| ('０'..='９').contains(&c).then(|| c as u32 - '０' as u32));
    let (level, number, head_len, sep_len) = if ('①'..='⑳').contains(&c0) {
        (CIRCLED, c0 as u32 - '①' as u32 + 1, c0.len_utf8(), 0)
    } else if ('Ⅰ'..='Ⅹ').contains(&c0) {
        (ROMAN, c0 as u32 - 'Ⅰ' as u32 + 1, c0.len_utf8(), 0)
    } else {
        let (prefix, level) = match s.strip_prefix("リスク") {
            Some(r) => (r, RISK),
            None => (s, DOT),
        };
        let digits: Vec<(usize, u32)> = prefix.char_indices().map_while(|(i, c)| digit(c).map(|d| (i + c.len_utf8(), d))).take(3).collect();
        if digits.is_empty() || digits.len() > 2 {
            return None;
        }
        let number = digits.iter().fold(0, |n, (_, d)| n * 10 + d);
        let end = digits.last()?.0;
        let sep = prefix[end..].chars().next().filter(|c| matches!(c, '．' | '.' | '：' | ':'));
        // `N．` needs its point (`1) 発生あり`, `2019年` are no items); `リスクN` may go without a colon.
        if level == DOT && !matches!(sep, Some('．' | '.')) {
            return None;
        }
        (level, number, s.len() - prefix.len() + end, sep.map_or(0, char::len_utf8))
    };
    let rest = &s[head_len + sep_len..];
    // A numbering is followed by the item's words, not by more digits (`1.5`, a date).
    if rest.chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || digit(c).is_some()) {
        return None;
    }
    let printed: String = s[..head_len].chars().filter(|c| !c.is_whitespace()).collect();
    Some((level, number, printed, rest.trim_start()))
}

/// An anchor of the numbering: a claimed numbered line or an extra already accepted.
#[derive(Clone)]
struct Anchor {
    line: usize,
    level: u8,
    number: u32,
    printed: String,
    extra: bool,
}

/// The keys of every label and heading of a form, without their numbers: a numbered
/// line whose words are one of them is a known item (misplaced or renumbered), not an extra.
pub fn known_labels(form: &Form) -> Vec<String> {
    fn walk(nodes: &[Node], out: &mut Vec<String>) {
        for n in nodes {
            let labels: &[String] = match n {
                Node::Section(s) => {
                    walk(&s.nodes, out);
                    &s.heading
                }
                Node::Block(b) => {
                    walk(&b.nodes, out);
                    std::slice::from_ref(&b.start)
                }
                Node::Field(f) => &f.label,
                Node::Heading(h) => &h.heading,
            };
            out.extend(labels.iter().map(|l| words_of(l)).filter(|k| !k.is_empty()));
        }
    }
    let mut out = Vec::new();
    walk(&form.body, &mut out);
    out.sort();
    out.dedup();
    out
}

/// The key of a printed text without its leading numbering.
fn words_of(raw: &str) -> String {
    match number_of(raw) {
        Some((_, _, _, rest)) => key(rest),
        None => key(raw),
    }
}

/// A form's [`known_labels`] as [`is_known`] tests them, made once per form
/// ([`crate::engine::index`]): every numbered line of a read is tested against them all.
pub struct KnownLabels {
    /// Sorted, none empty.
    labels: Vec<String>,
    /// Those of 6 characters or more (sorted), which are recognised inside other words.
    long: Vec<String>,
}

/// Long enough to be recognised inside other words: 6 characters or more. perf: a string
/// of fewer than 6 bytes has fewer than 6 characters, tested before the counting.
fn long(s: &str) -> bool {
    s.len() >= 6 && s.chars().count() >= 6
}

impl KnownLabels {
    pub fn of(mut labels: Vec<String>) -> KnownLabels {
        labels.retain(|l| !l.is_empty());
        labels.sort();
        labels.dedup();
        let long = labels.iter().filter(|l| long(l)).cloned().collect();
        KnownLabels { labels, long }
    }
}

impl std::ops::Deref for KnownLabels {
    type Target = [String];
    fn deref(&self) -> &[String] {
        &self.labels
    }
}

/// Is `words` (a line's key without its number) a label of the form? Also when the line
/// holds only the start of a label its cell wrapped, or a label in other words around it
/// (an older version's `特定個人情報保護委員会による審査` for `個人情報保護委員会による審査`).
fn is_known(words: &str, known: &KnownLabels) -> bool {
    if words.is_empty() {
        return false;
    }
    // A label the words start with: only labels sharing their first character can be.
    let starts_with_one = || crate::engine::prefixes_of(&known.labels, words).next().is_some();
    // Long words a label starts with: the labels starting with them sort right at
    // their place.
    let starts_one = || long(words) && known.labels.get(known.labels.partition_point(|l| l.as_str() < words)).is_some_and(|l| l.starts_with(words));
    // A long label inside the words: one that a part of them from some character on
    // starts with (perf: only the labels sharing that character are compared, where a
    // substring search for every label was made).
    let holds_one = || words.char_indices().any(|(p, _)| crate::engine::prefixes_of(&known.long, &words[p..]).next().is_some());
    starts_with_one() || starts_one() || holds_one()
}

/// Extra items in `lines[from..to]`, in document order, given the engine's claims and
/// the form's [`known_labels`].
pub fn find(lines: &[Line], from: usize, to: usize, claims: &[Claim], known: &KnownLabels) -> Vec<Extra> {
    let to = to.min(lines.len());
    let mut claimed = vec![None; to.saturating_sub(from)];
    for c in claims {
        for i in c.first.max(from)..=c.last.min(to.saturating_sub(1)) {
            if i >= from && claimed[i - from].is_none() {
                claimed[i - from] = Some(c);
            }
        }
    }
    let claim_at = |i: usize| claimed[i - from];
    let num = |i: usize| number_of(&lines[i].raw()).map(|(l, n, p, _)| (l, n, p));
    // Scope: numbering continues only up to the last section heading or block opener.
    let mut anchors: Vec<Anchor> = Vec::new();
    let mut found: Vec<Extra> = Vec::new();
    for i in from..to {
        if let Some(c) = claim_at(i) {
            if c.first != i {
                continue;
            }
            match c.kind {
                ClaimKind::Section => anchors.clear(),
                // A block element (a file's part of Ⅲ) starts its numbering anew, in its section.
                ClaimKind::Block => anchors.retain(|a| a.level == ROMAN),
                ClaimKind::Label => {}
            }
            if let Some((level, number, printed)) = num(i) {
                anchors.push(Anchor { line: i, level, number, printed, extra: false });
            }
            continue;
        }
        let Some((level, number, p)) = num(i) else { continue };
        // The whole line, or its first cell alone (a wrapped label with its value beside it).
        let first_cell = lines[i].raw().trim().split([' ', '\u{3000}']).next().unwrap_or("");
        // The anchor this number would continue: the last one at its level or above.
        let Some(prev) = anchors.iter().rev().find(|a| a.level <= level) else { continue };
        let continues = if prev.level == level { number == prev.number + 1 } else { prev.extra && number == 1 };
        // perf: the known labels are tested after the cheap numbering test (most
        // numbered lines that no label claimed continue no numbering).
        if !continues || is_known(&words_of(&lines[i].raw()), known) || is_known(&words_of(first_cell), known) {
            continue;
        }
        // A list inside the value before it that this line continues (`①… ②…` written
        // under the form's `②`, then `③…`).
        let listed = (prev.line + 1..i).any(|j| claim_at(j).is_none() && num(j).is_some_and(|(l, m, _)| l == level && m + 1 == number));
        // A later form label of the same level with this number or a lower one: this
        // line is text of a value (`②に同じ`), the item itself comes after.
        let next_claim = (i + 1..to).filter(|&j| claim_at(j).is_some_and(|c| c.first == j)).find_map(|j| {
            let c = claim_at(j)?;
            if c.kind != ClaimKind::Label {
                return Some(None);
            }
            num(j).filter(|(l, _, _)| *l <= level).map(Some)
        });
        let taken_later = matches!(next_claim, Some(Some((l, m, _))) if l == level && m <= number);
        // A number alone on its line whose words the next claimed heading prints
        // without a number (pdftotext plain splits `Ⅲ` from `しきい値判断結果`): that
        // heading's number, not an item.
        let own_words_later = words_of(&lines[i].raw()).is_empty()
            && (i + 1..to).find(|&j| claim_at(j).is_some_and(|c| c.first == j)).is_some_and(|j| num(j).is_none() && claim_at(j).is_some_and(|c| c.kind == ClaimKind::Section));
        if listed || taken_later || own_words_later {
            continue;
        }
        let mut path: Vec<&str> = Vec::new();
        let mut last_level = None;
        let stack: Vec<&Anchor> = {
            // The innermost anchor of each outer level, outermost first.
            let mut s: Vec<&Anchor> = Vec::new();
            for a in anchors.iter().rev() {
                if a.level < level && last_level.is_none_or(|l| a.level < l) {
                    last_level = Some(a.level);
                    s.push(a);
                }
            }
            s.reverse();
            s
        };
        path.extend(stack.iter().map(|a| a.printed.as_str()));
        path.push(&p);
        // Inside a per-file block: the entry's JSON path first (`files[1]/Ⅲ７リスク１⑪`).
        let prefix = claims
            .iter()
            .filter(|c| c.first < i && c.first >= from)
            .max_by_key(|c| c.first)
            .and_then(|c| c.path.strip_prefix("files[").and_then(|r| r.find(']').map(|e| format!("files[{}]/", &r[..e]))))
            .unwrap_or_default();
        let rest = number_of(&lines[i].raw()).map_or("", |x| x.3).trim();
        let (label, first_value) = match rest.split_once(char::is_whitespace) {
            Some((l, v)) => (l.trim().to_string(), v.trim().to_string()),
            None => (rest.to_string(), String::new()),
        };
        found.push(Extra { line: i, last: i, item: ExtraItem { path_printed: Some(format!("{prefix}{}", path.concat())), label, value: if first_value.is_empty() { None } else { Some(first_value) } } });
        anchors.push(Anchor { line: i, level, number, printed: p, extra: true });
    }
    // Each value runs to the next claimed line or extra item.
    let starts: Vec<usize> = found.iter().map(|e| e.line).collect();
    for e in &mut found {
        let end = (e.line + 1..to).find(|&j| claim_at(j).is_some() || starts.contains(&j)).unwrap_or(to);
        e.last = end.saturating_sub(1).max(e.line);
        let more: Vec<&str> = (e.line + 1..end).map(|j| lines[j].raw().trim()).filter(|l| !l.is_empty() && !is_page_mark(l)).collect();
        let mut parts: Vec<String> = e.item.value.take().into_iter().collect();
        parts.extend(more.iter().map(|s| s.to_string()));
        e.item.value = value_of(&parts);
    }
    found
}

/// A page number or `n / N` mark.
fn is_page_mark(l: &str) -> bool {
    let k = key(l);
    !k.is_empty() && k.chars().all(|c| c.is_ascii_digit() || c == '/')
}

/// The value as printed: a choice's bracketed answer (`[ 十分である ]`) without the
/// option list under it, else the text lines joined by `\n`; `None` when blank.
fn value_of(parts: &[String]) -> Option<String> {
    static ANSWER: OnceLock<Regex> = OnceLock::new();
    let answer = ANSWER.get_or_init(|| Regex::new(r"^[\[［]\s*([^\]］]*?)\s*[\]］]").expect("answer regex"));
    if let Some(a) = parts.iter().find_map(|p| answer.captures(p)) {
        let v = a[1].trim();
        return (!v.is_empty()).then(|| v.to_string());
    }
    let text = parts.join("\n");
    let text = text.trim();
    (!text.is_empty() && !matches!(text, "―" | "-" | "－" | "なし")).then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<Line> {
        crate::reassemble::lines_of(text)
    }

    /// No known labels.
    fn none() -> KnownLabels {
        KnownLabels::of(Vec::new())
    }

    fn claim(first: usize, path: &str) -> Claim {
        Claim { first, last: first, kind: ClaimKind::Label, path: path.into() }
    }

    #[test]
    fn is_known_equals_the_plain_test() {
        // The test as first written, without the length checks that spare its work.
        fn plain(words: &str, known: &[String]) -> bool {
            let long = |s: &str| s.chars().count() >= 6;
            !words.is_empty() && known.iter().any(|k| words.starts_with(k.as_str()) || (long(words) && k.starts_with(words)) || (long(k) && words.contains(k.as_str())))
        }
        let set = crate::form::FormSet::builtin();
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/input/000_72349b560cd020d7.txt")).expect("sample dump");
        let mut words: Vec<String> = lines(&text).iter().map(|l| words_of(&l.raw())).collect();
        // Short and wrapped pieces, a label with more around it, nothing.
        words.extend(["", "特", "評価", "基本情報", "評価実施機関の名", "前の言葉特定個人情報ファイル名後の言葉"].map(words_of));
        let mut known_hits = 0;
        for f in &set.forms {
            let known = known_labels(f);
            let matchers = KnownLabels::of(known.clone());
            // One label at a time: each branch of the test on its own.
            let ones: Vec<(&String, KnownLabels)> = known.iter().take(60).map(|k| (k, KnownLabels::of(vec![k.clone()]))).collect();
            for w in &words {
                let fast = is_known(w, &matchers);
                assert_eq!(fast, plain(w, &known), "{w:?} in {}", f.id);
                known_hits += fast as usize;
                for (k, one) in &ones {
                    assert_eq!(is_known(w, one), plain(w, std::slice::from_ref(*k)), "{w:?} against {k:?}");
                }
            }
        }
        assert!(known_hits > 50, "{known_hits} known lines");
    }

    #[test]
    fn numbering_levels() {
        let n = |s: &str| number_of(s).map(|x| (x.0, x.1, x.2, x.3.to_string()));
        assert_eq!(n("⑪新しい項目"), Some((CIRCLED, 11, "⑪".into(), "新しい項目".into())));
        assert_eq!(n(" ７．特定個人情報の保管"), Some((DOT, 7, "７".into(), "特定個人情報の保管".into())));
        assert_eq!(n("10.口座情報"), Some((DOT, 10, "10".into(), "口座情報".into())));
        assert_eq!(n("リスク１：　漏えい"), Some((RISK, 1, "リスク１".into(), "漏えい".into())));
        assert_eq!(n("Ⅲ　リスク対策"), Some((ROMAN, 3, "Ⅲ".into(), "リスク対策".into())));
        // Dates, decimals and option lines are no numbering.
        assert_eq!(n("2019.4.1"), None);
        assert_eq!(n("1.5倍"), None);
        assert_eq!(n("1) 発生あり"), None);
        assert_eq!(n("2019年"), None);
    }

    #[test]
    fn an_item_continuing_the_numbering_is_extra_a_list_in_a_value_is_not() {
        let text = "７．保管\nリスク１：　漏えい\n⑩死者の個人番号\n[ 保管している ]\n①一つ目\n②二つ目\n⑪追加の項目 追加の値\n続きの行\nその他の措置の内容";
        let l = lines(text);
        let mut claims = vec![claim(0, ""), claim(1, ""), claim(2, "files[1].risk.x"), claim(8, "files[1].risk.y")];
        let got = find(&l, 0, l.len(), &claims, &none());
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].item, ExtraItem { path_printed: Some("files[1]/７リスク１⑪".into()), label: "追加の項目".into(), value: Some("追加の値\n続きの行".into()) });
        assert_eq!((got[0].line, got[0].last), (6, 7));
        // The same number taken by a later label: text of the value before it.
        claims[3] = claim(8, "x");
        let l2 = lines("７．保管\nリスク１：　漏えい\n⑩死者の個人番号\n⑪に同じ\n⑪死者の記録\n");
        let got = find(&l2, 0, l2.len(), &[claim(0, ""), claim(1, ""), claim(2, ""), claim(4, "")], &none());
        assert!(got.is_empty(), "{got:?}");
        // A form's own label out of place (a jumbled dump) is no extra, nor one worded
        // with more around it.
        let got = find(&l, 0, l.len(), &claims, &KnownLabels::of(vec![words_of("追加の項目")]));
        assert!(got.is_empty(), "{got:?}");
        let got = find(&l, 0, l.len(), &claims, &KnownLabels::of(vec![words_of("②加の項目追加の値")]));
        assert!(got.is_empty(), "{got:?}");
        // The first line of a wrapped label with its value printed beside it (no borders):
        // a known item the engine missed, not an extra.
        let l3 = lines("７．保管\nリスク１：　漏えい\n⑩死者の個人番号\n⑪過去３年以内に、評価実施機関において [ 発生あり ] 1) 発生あり\n2) 発生なし");
        let known = KnownLabels::of(vec![words_of("⑪過去３年以内に、評価実施機関において、個人情報に関する重大事故が発生したか")]);
        let got = find(&l3, 0, l3.len(), &[claim(0, ""), claim(1, ""), claim(2, "")], &known);
        assert!(got.is_empty(), "{got:?}");
        assert_eq!(find(&l3, 0, l3.len(), &[claim(0, ""), claim(1, ""), claim(2, "")], &none()).len(), 1);
    }

    #[test]
    fn a_part_number_printed_apart_from_its_heading_is_no_extra() {
        // pdftotext plain: `Ⅱ　しきい値判断項目` claimed at the item's words, `Ⅲ` alone,
        // a value, then `しきい値判断結果` (Ⅲ's heading, claimed without its number).
        let l = lines("Ⅱ　項目
１．対象人数
Ⅲ

発生なし
しきい値判断結果
");
        let section = |first: usize| Claim { first, last: first, kind: ClaimKind::Section, path: String::new() };
        assert!(find(&l, 0, l.len(), &[section(0), claim(1, ""), section(5)], &none()).is_empty());
        // Followed by a label, not a heading: still an item of its own.
        assert_eq!(find(&l, 0, l.len(), &[section(0), claim(1, ""), claim(5, "x")], &none()).len(), 1);
    }
}
