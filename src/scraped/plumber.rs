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
}
