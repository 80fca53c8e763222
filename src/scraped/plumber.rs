//! pdfplumber `extract_text()`: visual rows, every gap printed as one space, so columns
//! are lost. What the rows still show: a choice question's answer bracket and option
//! list sit on the question's lines, after its text (`目的を超えた… [ 十分である ] 1) …` /
//! `紐付けが…十分か 2) 十分である`). Each question is put back in reading order: its text
//! lines, then its bracket and options.

/// Byte offset where the answer/option part of a line starts: an answer bracket
/// `[ … ]` (ASCII closing bracket; a check box `[ ○ ］` is not one), `＜選択肢＞`, or an
/// option number `1)`.
fn right_part(line: &str) -> Option<usize> {
    let mut best: Option<usize> = None;
    let mut take = |p: usize| best = Some(best.map_or(p, |b: usize| b.min(p)));
    if let Some(p) = line.find("＜選択肢＞") {
        take(p);
    }
    for (p, _) in line.match_indices('[') {
        let rest = &line[p + 1..];
        let close = rest.find(']');
        let other = rest.find(['［', '］', '[']);
        if close.is_some_and(|c| other.is_none_or(|o| c < o)) {
            take(p);
        }
    }
    let b = line.as_bytes();
    for i in 0..b.len().saturating_sub(1) {
        if b[i].is_ascii_digit() && b[i + 1] == b')' && (i == 0 || b[i - 1] == b' ' || b[i - 1] == b')') {
            take(i);
            break;
        }
    }
    best
}

fn has_bracket(s: &str) -> bool {
    s.contains('[') && s.contains(']')
}

/// The lines of a pdfplumber text with each question's text before its answer.
pub(super) fn questions_in_order(lines: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if right_part(&lines[i]).is_none() {
            out.push(lines[i].clone());
            i += 1;
            continue;
        }
        // A run of lines with answer parts, cut so each piece holds one bracket.
        let mut left: Vec<String> = Vec::new();
        let mut right: Vec<String> = Vec::new();
        let mut bracket = false;
        let flush = |left: &mut Vec<String>, right: &mut Vec<String>, out: &mut Vec<String>| {
            out.append(left);
            if !out.is_empty() && !right.is_empty() {
                out.push(String::new());
            }
            out.append(right);
        };
        while i < lines.len() {
            let l = &lines[i];
            let Some(p) = right_part(l) else { break };
            let (lt, rt) = (l[..p].trim(), l[p..].trim());
            let first_option = rt.starts_with("1)") && !lt.is_empty();
            if bracket && (rt.contains("＜選択肢＞") || has_bracket(rt) || first_option) {
                flush(&mut left, &mut right, &mut out);
                bracket = false;
            }
            if !lt.is_empty() {
                left.push(lt.to_string());
            }
            right.push(rt.to_string());
            bracket |= has_bracket(rt);
            i += 1;
        }
        flush(&mut left, &mut right, &mut out);
    }
    out
}

/// What a body line is, for sharing out the value lines with no label of their own.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Starts with a field's label; `value`: text follows it on the line.
    Field { value: bool },
    /// A heading, an option list, a bracket: no value line above or below is its.
    Other,
    /// A bare page number: passed over.
    PageNumber,
    /// A value line with no label.
    Free,
}

/// Byte length of the field label this line starts with (the label then a space or the
/// line's end), with whether it is a heading; the longest such label.
fn label_prefix(line: &str) -> Option<(usize, bool)> {
    let labels = super::flat::labels();
    let t = line.trim_end();
    let mut ends: Vec<usize> = t.match_indices(' ').map(|(p, _)| p).collect();
    ends.push(t.len());
    ends.into_iter().rev().find_map(|e| labels.kind_of(&t[..e]).map(|h| (e, h)))
}

fn kind(line: &str) -> Kind {
    let t = line.trim();
    if t.is_empty() {
        return Kind::Other;
    }
    if t.chars().all(|c| c.is_ascii_digit()) && t.len() <= 3 {
        return Kind::PageNumber;
    }
    if t.starts_with(['[', '［']) || t.starts_with("＜選択肢＞") || right_part(t) == Some(0) {
        return Kind::Other;
    }
    // A numbered heading (`２．特定個人情報ファイル名`) heads its value from above it,
    // whether or not a form takes it for a field's label.
    if is_heading(t) {
        return Kind::Other;
    }
    match label_prefix(t) {
        Some((_, true)) => Kind::Other,
        Some((e, false)) => Kind::Field { value: !t[e..].trim().is_empty() },
        None => Kind::Free,
    }
}

/// A numbered heading the label list may not hold (`１．…`, `Ⅰ …`).
fn is_heading(t: &str) -> bool {
    let mut cs = t.chars();
    let (a, b) = (cs.next().unwrap_or(' '), cs.next().unwrap_or(' '));
    (a.is_numeric() && matches!(b, '．' | '.') && !a.is_ascii_digit()) || ('Ⅰ'..='Ⅻ').contains(&a)
}

/// The number of a list item `１ …` / `1 …` (not an option `1)`).
fn item_number(t: &str) -> Option<u32> {
    let d: String = t
        .trim()
        .chars()
        .map_while(|c| match c {
            '0'..='9' => Some(c),
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
            _ => None,
        })
        .collect();
    let rest = t.trim().chars().nth(d.chars().count());
    (!d.is_empty() && d.len() <= 2 && matches!(rest, Some(' ' | '　' | '.' | '．'))).then(|| d.parse().ok()).flatten()
}

/// Display width (East Asian wide characters count two).
fn width(s: &str) -> usize {
    crate::normalize::display_width(s.trim())
}

/// pdfplumber prints a multi-line value cell where its text falls, and the label where
/// the label's cell centres it: the first lines of a tall value often come before its
/// label's line. Value lines with no label between two labels are shared out by what
/// the form and the text show, and written back after their label:
/// - after a heading or an option list (which own no value line), they are the next
///   label's;
/// - after a label with its value on its line and nothing above it (a one-line cell),
///   they are the next label's;
/// - a next label whose value goes on a numbered list (`３ …`) takes the lines from the
///   list's `１`; a next label with no value on its line takes the last paragraph (the
///   lines wrapped into one another: each as wide as the widest line);
/// - else the earlier label takes as many below as it took above (centred), the rest
///   are the next label's.
pub(super) fn values_after_labels(lines: &[String]) -> Vec<String> {
    let kinds: Vec<Kind> = lines.iter().map(|l| kind(l)).collect();
    // above[i]: the lines given to the label on line i from above it.
    let mut above: Vec<Vec<usize>> = vec![Vec::new(); lines.len()];
    let mut moved = vec![false; lines.len()];
    let mut i = 0;
    while i < lines.len() {
        if kinds[i] != Kind::Free {
            i += 1;
            continue;
        }
        let r0 = i;
        while i < lines.len() && matches!(kinds[i], Kind::Free | Kind::PageNumber) {
            i += 1;
        }
        let Some(Kind::Field { value: q_value }) = kinds.get(i).copied() else { continue };
        let q = i;
        let run: Vec<usize> = (r0..q).filter(|&j| kinds[j] == Kind::Free).collect();
        let prev = (0..r0).rev().find(|&j| kinds[j] != Kind::PageNumber);
        let take = match prev.map(|p| (p, kinds[p])) {
            Some((p, Kind::Field { value: p_value })) if !(p_value && above[p].is_empty()) => {
                let t = &lines[q][label_prefix(&lines[q]).map_or(0, |(e, _)| e)..];
                if let Some(n) = item_number(t).filter(|&n| n > 1) {
                    // From the list's first item, if it is in the run.
                    run.iter().rposition(|&j| item_number(&lines[j]) == Some(1)).filter(|&k| run.len() - k >= n as usize - 1).map(|k| run.len() - k)
                } else if !q_value {
                    let wide = run.iter().map(|&j| width(&lines[j])).max().unwrap_or(0);
                    let wrapped = |j: usize| width(&lines[j]) * 10 >= wide * 9 && !lines[j].trim_end().ends_with('。');
                    let mut k = 1;
                    while k < run.len() && wrapped(run[run.len() - k - 1]) {
                        k += 1;
                    }
                    Some(k)
                } else {
                    None
                }
                .unwrap_or(run.len() - above[p].len().min(run.len()))
            }
            _ => run.len(),
        };
        for &j in &run[run.len() - take..] {
            above[q].push(j);
            moved[j] = true;
        }
    }
    let mut out = Vec::new();
    for (j, l) in lines.iter().enumerate() {
        if moved[j] {
            continue;
        }
        if above[j].is_empty() {
            out.push(l.clone());
            continue;
        }
        // The label, the lines above, then the rest of the label's line.
        let e = label_prefix(l).map_or(0, |(e, _)| e);
        out.push(l[..e].trim().to_string());
        out.push(String::new());
        out.extend(above[j].iter().map(|&k| lines[k].clone()));
        let rest = l[e..].trim();
        if !rest.is_empty() {
            out.push(rest.to_string());
        }
    }
    if std::env::var_os("PIASHEET_DEBUG_SCRAPED").is_some() {
        eprintln!("plumber body:\n{}", out.join("\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_text_before_its_answer() {
        let lines: Vec<String> = "３．特定個人情報の使用\n＜選択肢＞\n目的を超えた紐付け、事務に必要のない情報との [ 十分である ] 1) 特に力を入れている\n紐付けが行われるリスクへの対策は十分か 2) 十分である\n3) 課題が残されている\n実施の有無 [ ○ ］ 自己点検 [ ○ ］ 内部監査"
            .lines()
            .map(str::to_string)
            .collect();
        assert_eq!(
            questions_in_order(&lines),
            [
                "３．特定個人情報の使用",
                "目的を超えた紐付け、事務に必要のない情報との",
                "紐付けが行われるリスクへの対策は十分か",
                "",
                "＜選択肢＞",
                "[ 十分である ] 1) 特に力を入れている",
                "2) 十分である",
                "3) 課題が残されている",
                "実施の有無 [ ○ ］ 自己点検 [ ○ ］ 内部監査",
            ]
        );
    }

    #[test]
    fn value_lines_above_their_label() {
        let lines: Vec<String> = "１．特定個人情報ファイルを取り扱う事務\n①事務の名称 事務A\n【概要】\n概要の文\n②事務の概要 続きの文\n１ システムA\n③システムの名称 ２ システムB\n３．個人番号の利用\n根拠の文\n法令上の根拠"
            .lines()
            .map(str::to_string)
            .collect();
        assert_eq!(
            values_after_labels(&lines),
            [
                "１．特定個人情報ファイルを取り扱う事務",
                "①事務の名称 事務A",
                "②事務の概要",
                "",
                "【概要】",
                "概要の文",
                "続きの文",
                "③システムの名称",
                "",
                "１ システムA",
                "２ システムB",
                "３．個人番号の利用",
                "法令上の根拠",
                "",
                "根拠の文",
            ]
        );
    }
}
