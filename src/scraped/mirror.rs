//! Mirror-site text views (see `research/scraped-text.md`, "Mirror sites"): reading
//! order, one cell per line, so the cover's `番号 名称` row comes out as a label line
//! then a value line each (`評価書番号` / `1` / `評価書名` / `… 基礎項目評価書`), or all on
//! one flattened line. Both are put back as the form prints them: the two labels on one
//! line, then the number and the title on the next.

use super::{Rebuilt, TextLayout};

const NUMBER: &str = "評価書番号";
const TITLE: &str = "評価書名";

fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn is_number(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty() && t.chars().count() <= 6 && t.chars().all(|c| c.is_ascii_digit() || ('０'..='９').contains(&c))
}

pub(super) fn rebuild(text: &str, shape: TextLayout) -> Option<Rebuilt> {
    let lines: Vec<&str> = text.split('\n').map(|l| l.trim_end_matches('\r')).collect();
    let out = match shape {
        TextLayout::MirrorLines => cover_lines(&lines)?,
        _ => cover_flat(&lines)?,
    };
    Some(Rebuilt { lines: out, change_rows: None, unreadable_rows: 0 })
}

/// The cover's number and title put back on the form's two lines (any text printing
/// them one per line).
pub(super) fn cover_fix(lines: &[String]) -> Option<Vec<String>> {
    let v: Vec<&str> = lines.iter().map(String::as_str).collect();
    cover_lines(&v)
}

/// `評価書番号` / N / `評価書名` / title (either label first, the value right after its
/// label, or both labels first then both values).
fn cover_lines(lines: &[&str]) -> Option<Vec<String>> {
    let non_blank: Vec<usize> = (0..lines.len()).filter(|&i| !lines[i].trim().is_empty()).take(80).collect();
    let at = |k: usize| non_blank.get(k).map(|&i| compact(lines[i]));
    for k in 0..non_blank.len() {
        let (a, b, c, d) = (at(k), at(k + 1), at(k + 2), at(k + 3));
        let (Some(a), Some(b), Some(c), Some(d)) = (a, b, c, d) else { break };
        // label, value, label, value
        let (number, title) = if a == NUMBER && is_number(&b) && c == TITLE {
            (b.clone(), lines[non_blank[k + 3]].trim().to_string())
        } else if a == TITLE && c == NUMBER && is_number(&d) {
            (d.clone(), lines[non_blank[k + 1]].trim().to_string())
        } else if (a == NUMBER && b == TITLE) || a == format!("{NUMBER}{TITLE}") {
            // Both labels first, then the number and the title.
            let off = if a == NUMBER { 2 } else { 1 };
            let (v1, v2) = (at(k + off), at(k + off + 1));
            match (v1, v2) {
                (Some(n), Some(_)) if is_number(&n) => (n, lines[non_blank[k + off + 1]].trim().to_string()),
                _ => continue,
            }
        } else {
            continue;
        };
        let last = if a == NUMBER && b == TITLE { k + 3 } else if a == format!("{NUMBER}{TITLE}") { k + 2 } else { k + 3 };
        let mut out: Vec<String> = lines[..non_blank[k]].iter().map(|s| s.to_string()).collect();
        out.push(format!("{NUMBER} {TITLE}"));
        out.push(format!("{number} {title}"));
        out.extend(lines[non_blank[last] + 1..].iter().map(|s| s.to_string()));
        return Some(out);
    }
    None
}

/// A flattened cover: `評価書番号評価書名 N title 個人のプライバシー…` (or the labels apart,
/// `評価書番号 N 評価書名 title …`): cut into the form's lines before the cover's labels.
fn cover_flat(lines: &[&str]) -> Option<Vec<String>> {
    const DECLARATION: &str = "個人のプライバシー等の権利利益の保護の宣言";
    let mut out: Vec<String> = Vec::new();
    let mut done = false;
    for l in lines {
        if done {
            out.push(l.to_string());
            continue;
        }
        let c = l.replace("評価書番号 評価書名", "評価書番号評価書名");
        let Some(p) = c.find("評価書番号評価書名") else {
            out.push(l.to_string());
            continue;
        };
        let rest = c[p + "評価書番号評価書名".len()..].trim_start();
        let Some(d) = rest.find(DECLARATION) else {
            out.push(l.to_string());
            continue;
        };
        let value = rest[..d].trim();
        let (n, title) = value.split_once(' ').unwrap_or((value, ""));
        if !is_number(n) || title.trim().is_empty() {
            out.push(l.to_string());
            continue;
        }
        let head = c[..p].trim();
        if !head.is_empty() {
            out.push(head.to_string());
        }
        out.push(format!("{NUMBER} {TITLE}"));
        out.push(format!("{n} {}", title.trim()));
        out.push(rest[d..].to_string());
        done = true;
    }
    done.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_line_then_value_line() {
        let t = "特定個人情報保護評価書(基礎項目評価書)\n評価書番号\n1\n評価書名\n○○に関する事務 基礎項目評価書\n個人のプライバシー等の権利利益の保護の宣言\n";
        let r = rebuild(t, TextLayout::MirrorLines).unwrap();
        assert_eq!(r.lines[..3], ["特定個人情報保護評価書(基礎項目評価書)", "評価書番号 評価書名", "1 ○○に関する事務 基礎項目評価書"]);
        assert_eq!(r.lines[3], "個人のプライバシー等の権利利益の保護の宣言");
        let swapped = "評価書名\n○○市○○事務 全項目評価書\n評価書番号\n19\n個人の";
        let r = rebuild(swapped, TextLayout::MirrorLines).unwrap();
        assert_eq!(r.lines[..2], ["評価書番号 評価書名", "19 ○○市○○事務 全項目評価書"]);
    }

    #[test]
    fn flattened_cover() {
        let t = "特定個人情報保護評価書 ( 基礎項目評価書 ) 評価書番号評価書名 6 ○○事務 基礎項目評価書 個人のプライバシー等の権利利益の保護の宣言 ○○市は";
        let r = rebuild(t, TextLayout::MirrorFlat).unwrap();
        assert_eq!(r.lines[1..3], ["評価書番号 評価書名", "6 ○○事務 基礎項目評価書"]);
    }
}
