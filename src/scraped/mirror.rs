//! Mirror-site text views (see `research/scraped-text.md`, "Mirror sites"): reading
//! order, one cell per line, so the cover's `番号 名称` row comes out as a label line
//! then a value line each (`評価書番号` / `1` / `評価書名` / `… 基礎項目評価書`), or all on
//! one flattened line. Both are put back as the form prints them: the two labels on one
//! line, then the number and the title on the next.

use super::{changes_heading, compact, flat, table, Rebuilt, TextLayout};

const NUMBER: &str = "評価書番号";
const TITLE: &str = "評価書名";

fn is_number(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty() && t.chars().count() <= 6 && t.chars().all(|c| c.is_ascii_digit() || ('０'..='９').contains(&c))
}

pub(super) fn rebuild(text: &str, shape: TextLayout) -> Option<Rebuilt> {
    let lines: Vec<&str> = text.split('\n').map(|l| l.trim_end_matches('\r')).collect();
    let (out, lost) = match shape {
        TextLayout::MirrorLines => {
            let out = cover_lines(&lines).unwrap_or_else(|| lines.iter().map(|s| s.to_string()).collect());
            table_of_lines(first_lines_after_labels(out))
        }
        _ => {
            let (mut out, rest) = cover_flat(&lines)?;
            let lost = body_of_pages(&lines[rest..], &mut out);
            (out, lost)
        }
    };
    Some(Rebuilt { lines: out, change_rows: None, unreadable_rows: lost, ..Default::default() })
}

/// A list's mark: `・`-like bullets, or the number of `1 …` / `1.…` (not a choice
/// option `1) …`, not a date).
fn list_mark(s: &str) -> Option<(char, Option<u32>)> {
    let t = s.trim();
    let c = t.chars().next()?;
    if "・●○◆■-".contains(c) {
        return Some((c, None));
    }
    let d: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
    let rest = &t[d.len()..];
    (!d.is_empty() && d.len() <= 2 && (rest.starts_with(' ') || rest.starts_with('.') && !rest.starts_with(".)"))).then(|| ('0', d.parse().ok()))
}

/// Tall cells that print their first line(s) before their label (a mirror's quirk):
/// put back after the label. Only where the form shows it: the lines continue the
/// list the value goes on with after the label (`・…` / `・…`, `1 …` / `2 …`), or the
/// one line between a heading (which has no value) and a field's label.
fn first_lines_after_labels(mut lines: Vec<String>) -> Vec<String> {
    let labels = flat::labels();
    // The table's heading (the last: the 項目一覧 lists it too) ends the body.
    let end = lines.iter().rposition(|l| compact(l).ends_with(changes_heading()) && compact(l).chars().count() <= 12).unwrap_or(lines.len());
    let mut i = 1;
    while i + 1 < end {
        let is_field = labels.kind_of(&lines[i]) == Some(false);
        let value = &lines[i + 1];
        if !is_field || value.trim().is_empty() || labels.kind_of(value).is_some() {
            i += 1;
            continue;
        }
        let free = |j: usize| labels.kind_of(&lines[j]).is_none() && !lines[j].trim().is_empty();
        let mut first = i;
        match list_mark(value) {
            Some((c, None)) => {
                if free(i - 1) && list_mark(&lines[i - 1]) == Some((c, None)) {
                    first = i - 1;
                }
            }
            Some((_, Some(n))) => {
                let mut want = n;
                while first > 0 && want > 1 && free(first - 1) && list_mark(&lines[first - 1]) == Some(('0', Some(want - 1))) {
                    first -= 1;
                    want -= 1;
                }
                if want != 1 {
                    first = i;
                }
            }
            None => {
                if i >= 2 && free(i - 1) && labels.kind_of(&lines[i - 2]) == Some(true) && !lines[i - 1].trim_start().starts_with(['[', '<']) {
                    first = i - 1;
                }
            }
        }
        if first < i {
            let moved: Vec<String> = lines.drain(first..i).collect();
            let n = moved.len();
            lines.splice(first + 1..first + 1, moved);
            i = first + 1 + n;
        } else {
            i += 1;
        }
    }
    lines
}

/// One cell per line: the 変更箇所 table (its header over six lines, then the rows'
/// cells) written back as rows. Rows seen but not read are counted.
fn table_of_lines(mut lines: Vec<String>) -> (Vec<String>, usize) {
    let header = super::change_table().header_labels();
    let n = header.len();
    let is_header = |i: usize| n > 0 && i + n <= lines.len() && (0..n).all(|j| flat::match_key(&lines[i + j]) == header[j]);
    let Some(h) = (0..lines.len()).find(|&i| is_header(i)) else {
        return (lines, 0);
    };
    // The header is printed again on each page of the table.
    let mut rest: Vec<&str> = Vec::new();
    let mut i = h + n;
    while i < lines.len() {
        if is_header(i) {
            i += n;
            continue;
        }
        rest.push(&lines[i]);
        i += 1;
    }
    let (rows, lost) = table::rows_of_lines(&rest);
    // The table's heading (`（別添３）変更箇所`) is written again with the rows.
    let start = if h > 0 && compact(&lines[h - 1]).ends_with(changes_heading()) { h - 1 } else { h };
    let heading = if start < h { lines[start].trim().to_string() } else { changes_heading().to_string() };
    let written = table::write(&heading, &rows);
    lines.truncate(start);
    lines.extend(written);
    (lines, lost)
}

/// Flattened pages after the cover: the body cut into one cell per line at the form's
/// labels, the 変更箇所 table written back as rows. Rows seen but not read are counted.
fn body_of_pages(rest: &[&str], out: &mut Vec<String>) -> usize {
    let pages = flat::pages(rest);
    let hk = table::header_key();
    let mut lost = 0;
    let mut table_text: Option<(String, String)> = None; // (heading, rows' text)
    for page in pages {
        if let Some((_, t)) = table_text.as_mut() {
            t.push(' ');
            t.push_str(&page);
            continue;
        }
        // Where the header starts on this page, if it does.
        let (fk, at) = flat::keyed(&page);
        let hk_chars: Vec<char> = hk.chars().collect();
        let found = (0..fk.len().saturating_sub(hk_chars.len() - 1)).find(|&p| fk[p..p + hk_chars.len()] == hk_chars[..]);
        match found {
            Some(p) => {
                let b = at[p];
                let e = at.get(p + hk_chars.len()).copied().unwrap_or(page.len());
                let before = page[..b].trim();
                // `… (別添 3) 変更箇所`: the heading ends the body.
                let (body, heading) = match before.rfind(changes_heading()) {
                    Some(c) if before[c..].trim() == changes_heading() => {
                        let head_start = before[..c].rfind(|ch: char| ch == '(' || ch == '（').filter(|&o| c - o <= 16).unwrap_or(c);
                        (&before[..head_start], before[head_start..].to_string())
                    }
                    _ => (before, changes_heading().to_string()),
                };
                out.extend(flat::cut(body.trim()));
                table_text = Some((heading, page[e..].to_string()));
            }
            None => out.extend(flat::cut(&page)),
        }
    }
    if let Some((heading, text)) = table_text {
        let (rows, l) = table::rows_of_words(&text);
        lost += l;
        out.extend(table::write(&heading, &rows));
    }
    lost
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

/// A flattened cover: `評価書番号評価書名 N title 個人のプライバシー…宣言する` then
/// `特記事項 … 評価実施機関名 … 公表日 令和 5 年 9 月 11 日 [ 平成 31 年 1 月様式 2]` (or the
/// labels apart, `評価書番号 N 評価書名 title …`): cut into the form's lines at the cover's
/// labels. The sheet's own cover is the one that goes on to its declaration (a site's
/// preview of the first words does not).
fn cover_flat(lines: &[&str]) -> Option<(Vec<String>, usize)> {
    const DECLARATION: &str = "個人のプライバシー等の権利利益の保護の宣言";
    const PAIR: &str = "評価書番号評価書名";
    let squeeze = |s: &str| s.replace("評価書番号 評価書名", PAIR);
    let start = lines.iter().position(|l| {
        let c = squeeze(l);
        c.contains(PAIR) && c.contains(DECLARATION) && compact(l).contains("宣言する")
    })?;
    let c = squeeze(lines[start]);
    let p = c.find(PAIR)?;
    let rest = c[p + PAIR.len()..].trim_start();
    let d = rest.find(DECLARATION)?;
    let value = rest[..d].trim();
    let (n, title) = value.split_once(' ').unwrap_or((value, ""));
    if !is_number(n) || title.trim().is_empty() {
        return None;
    }
    // The sheet starts with its cover: what is above is the site's (previews of the
    // sheet, `Size: px`, `Download "…"`), left out.
    let mut out: Vec<String> = Vec::new();
    // The sheet's title, without the site's page number in front (`1 特定個人情報…`).
    let head = c[..p].trim();
    let head = head.split_once(' ').filter(|(pn, _)| pn.chars().all(|ch| ch.is_ascii_digit())).map_or(head, |(_, h)| h.trim());
    if !head.is_empty() {
        out.push(head.to_string());
    }
    out.push(format!("{NUMBER} {TITLE}"));
    out.push(format!("{n} {}", title.trim()));
    out.push(DECLARATION.to_string());
    // The declaration runs to 宣言する; the rest of the cover may follow on the same line.
    let decl = rest[d + DECLARATION.len()..].trim();
    match decl.find("宣言する").map(|e| e + "宣言する".len()) {
        Some(e) if !decl[e..].trim().is_empty() => {
            out.push(decl[..e].trim().to_string());
            out.extend(cut_cover_labels(decl[e..].trim()));
        }
        _ => out.push(decl.to_string()),
    }
    // The rest of the cover: each label on a line of its own.
    let mut k = start + 1;
    while k < lines.len() && k <= start + 3 {
        let l = lines[k];
        if !(l.contains("特記事項") || l.contains("評価実施機関名") || l.contains("公表日")) {
            if !l.trim().is_empty() {
                break;
            }
            out.push(l.to_string());
            k += 1;
            continue;
        }
        out.extend(cut_cover_labels(l));
        k += 1;
    }
    Some((out, k))
}

/// A site's page mark: `1 / 5 ページ`, `2 / 76`.
fn is_page_mark(s: &str) -> bool {
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let t = t.strip_suffix("ページ").unwrap_or(&t);
    t.split_once('/').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty() && a.chars().chain(b.chars()).all(|c| c.is_ascii_digit()))
}

/// `特記事項 text 評価実施機関名 ○○市長 公表日 令和 5 年 9 月 11 日 [ 平成 31 年 1 月様式 2]`
/// → `特記事項` / text / `評価実施機関名 ○○市長` / `公表日 令和5年9月11日` / `[平成31年1月様式2]`.
fn cut_cover_labels(line: &str) -> Vec<String> {
    let mut cuts: Vec<(usize, &str)> = Vec::new();
    // 特記事項 opens the line; the other labels follow its text (which may say 公表日).
    if let Some(p) = line.find("特記事項") {
        cuts.push((p, "特記事項"));
    }
    for label in ["評価実施機関名", "公表日"] {
        if let Some(p) = line.rfind(label) {
            if cuts.iter().all(|&(q, _)| q != p) {
                cuts.push((p, label));
            }
        }
    }
    // 承認日 (on kinds that have one) between 評価実施機関名 and 公表日: its label as the
    // mirror prints it (single spaces).
    let forms = crate::form::FormSet::current();
    let mut approved: Vec<String> = forms.common.cover.approved.iter().map(|l| l.replace('\u{3000}', " ")).collect();
    approved.sort_by_key(|l| std::cmp::Reverse(l.len()));
    if let Some(p) = approved.iter().find_map(|l| line.find(l.as_str())) {
        if cuts.iter().all(|&(q, _)| q != p) {
            cuts.push((p, "承認日"));
        }
    }
    if let Some(p) = line.rfind(['[', '［']) {
        cuts.push((p, "["));
    }
    cuts.sort();
    let mut out = Vec::new();
    let lead = line[..cuts.first().map_or(line.len(), |c| c.0)].trim();
    if !lead.is_empty() {
        out.push(lead.to_string());
    }
    for (i, &(p, label)) in cuts.iter().enumerate() {
        let end = cuts.get(i + 1).map_or(line.len(), |c| c.0);
        let part = line[p..end].trim();
        match label {
            "特記事項" => {
                out.push(label.to_string());
                let text = part[label.len()..].trim();
                if !text.is_empty() {
                    out.push(text.to_string());
                }
            }
            "[" => {
                // Spaces inside a stamp are the mirror's; a page mark may follow it.
                let (stamp, after) = match part.find([']', '］']) {
                    Some(e) => part.split_at(e + part[e..].chars().next().map_or(1, char::len_utf8)),
                    None => (part, ""),
                };
                out.push(stamp.chars().filter(|c| !c.is_whitespace()).collect());
                let after = after.trim();
                if !after.is_empty() && !is_page_mark(after) {
                    out.push(after.to_string());
                }
            }
            "公表日" => {
                // Spaces between the digits of a date are the mirror's.
                let value: String = part[label.len()..].chars().filter(|c| !c.is_whitespace()).collect();
                out.push(format!("{label} {value}"));
            }
            _ => out.push(part.to_string()),
        }
    }
    out
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
        let t = "Download \"特定個人情報保護評価書 評価書番号評価書名 6 ○○事務\"\n1 特定個人情報保護評価書 ( 基礎項目評価書 ) 評価書番号評価書名 6 ○○事務 基礎項目評価書 個人のプライバシー等の権利利益の保護の宣言 ○○市は … 宣言する\n特記事項 評価実施機関名 ○○市長 公表日 令和 6 年 5 月 24 日 [ 平成 31 年 1 月様式 2] 1 / 6 ページ\nⅠ 関連情報";
        let r = rebuild(t, TextLayout::MirrorFlat).unwrap();
        assert_eq!(
            r.lines,
            [
                "特定個人情報保護評価書 ( 基礎項目評価書 )",
                "評価書番号 評価書名",
                "6 ○○事務 基礎項目評価書",
                "個人のプライバシー等の権利利益の保護の宣言",
                "○○市は … 宣言する",
                "特記事項",
                "評価実施機関名 ○○市長",
                "公表日 令和6年5月24日",
                "[平成31年1月様式2]",
                // The pages after the cover are cut at the form's labels, printed as
                // the form prints them.
                "Ⅰ　関連情報",
            ]
        );
    }
}
