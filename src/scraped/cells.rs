//! Cell boundaries in a run of value lines printed without blank lines (pdftotext -raw,
//! PyMuPDF `get_text()`): the tool prints the tall cells of a page one after another, so
//! only what the lines are tells where one cell ends. The cues, strongest first:
//!
//! - a break the caller already knows (an option list, a label) between two blocks;
//! - a numbered list that starts again at 1 (a new list, so a new cell);
//! - a law reference (`…法 第…`) right after a line that is not one (a 根拠 cell);
//! - the line above a postal code (`〒…`, `123-4567`): the name line of a 連絡先 cell;
//! - weakest: a line that is no list item, right after a line much shorter than the
//!   cell's width (the end of a paragraph, so maybe the end of a cell).
//!
//! The `k - 1` strongest cues are taken; the caller warns that the split is inferred.

/// Start indices (into `lines`) of `k` segments, or fewer when fewer cues are seen.
/// `forced`: indices that always start a segment (block starts); index 0 always does.
pub(crate) fn split_points(lines: &[&str], forced: &[usize], k: usize) -> Vec<usize> {
    let width = lines.iter().map(|l| len(l)).max().unwrap_or(0).max(1);
    let mut cues: Vec<(f64, usize)> = Vec::new();
    for i in 1..lines.len() {
        let (prev, cur) = (lines[i - 1].trim(), lines[i].trim());
        let strength = if forced.contains(&i) {
            100.0
        } else if list_number(cur) == Some(1) && lines[block_start(forced, i)..i].iter().any(|l| list_number(l.trim()).is_some_and(|n| n >= 2)) {
            3.0
        } else if law_start(cur) && !law_like(prev) && !is_heading(prev) {
            3.0
        } else if lines.get(i + 1).is_some_and(|n| postal(n.trim())) && !postal(cur) {
            3.0
        } else if !is_marked(cur) && !is_heading(prev) && !postal(prev) && (len(prev) as f64) <= 0.5 * width as f64 {
            1.0 - len(prev) as f64 / width as f64
        } else {
            continue;
        };
        cues.push((strength, i));
    }
    cues.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut starts: Vec<usize> = std::iter::once(0).chain(cues.into_iter().take(k.saturating_sub(1)).map(|c| c.1)).collect();
    starts.sort_unstable();
    starts
}

/// Where the block holding line `i` starts (a numbered list is looked for within it).
fn block_start(forced: &[usize], i: usize) -> usize {
    forced.iter().copied().filter(|&f| f <= i).max().unwrap_or(0)
}

fn len(l: &str) -> usize {
    l.trim().chars().count()
}

/// `１ 住民記録システム`, `2. …`, `３　…`: the item's number.
fn list_number(l: &str) -> Option<u32> {
    let digits: String = l.chars().take_while(|c| c.is_ascii_digit() || ('０'..='９').contains(c)).collect();
    if digits.is_empty() || digits.chars().count() > 2 {
        return None;
    }
    let after = l[digits.len()..].chars().next()?;
    if !matches!(after, ' ' | '　' | '.' | '．' | '、' | ')' | '）') {
        return None;
    }
    digits.chars().map(|c| c.to_digit(10).or_else(|| (c as u32).checked_sub('０' as u32))).try_fold(0, |n, d| Some(n * 10 + d?))
}

/// A line opening a law reference: a law's name followed by an article (`番号法 第9条`,
/// `住民基本台帳法　第5条`).
fn law_start(l: &str) -> bool {
    let Some(p) = l.find('法') else { return false };
    let name = &l[..p];
    let rest = l[p + '法'.len_utf8()..].trim_start_matches([' ', '　']);
    !name.is_empty() && name.chars().count() <= 12 && !is_marked(l) && rest.starts_with('第')
}

/// A line of a law reference (an article or a table of a law, or an ordinance).
fn law_like(l: &str) -> bool {
    law_start(l) || (l.contains('第') && (l.contains('条') || l.contains('項'))) || l.contains("別表")
}

/// A heading inside a cell (`【情報提供の根拠】`, `<オンライン資格確認の準備業務>`).
pub(crate) fn is_heading(l: &str) -> bool {
    l.starts_with(['【', '<', '＜', '〈']) && l.ends_with(['】', '>', '＞', '〉'])
}

/// A postal code opening the line.
fn postal(l: &str) -> bool {
    let l = l.trim_start_matches('〒').trim_start();
    let d: Vec<char> = l.chars().take(8).map(|c| if ('０'..='９').contains(&c) { char::from(b'0' + (c as u32 - '０' as u32) as u8) } else { c }).collect();
    d.len() == 8 && d[..3].iter().all(char::is_ascii_digit) && matches!(d[3], '-' | '－' | 'ー') && d[4..].iter().all(char::is_ascii_digit)
}

/// A line that opens with a list mark, a bracket or a bullet (an item inside a cell).
fn is_marked(l: &str) -> bool {
    list_number(l).is_some() || l.starts_with(['【', '<', '＜', '（', '(', '・', '※', '○', '●', '■', '◆', '〒']) || l.chars().next().is_some_and(|c| ('①'..='⑳').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cues_split_a_run() {
        let run = [
            "【概要】",
            "住民基本台帳法に基づき、住民に関する事務を行う。",
            "【内容】",
            "１ 転入、転出、転居等の届出に基づく住民票の記載",
            "２ 住民票の写し等の交付",
            "１ 住民記録システム",
            "２ 中間サーバー",
            "番号法 第7条（指定及び通知）",
            "住民基本台帳法 第5条、第6条",
            "【情報提供の根拠】",
            "番号法第19条第8号 別表第二",
            "○○市総務部総務課",
            "〒686-8312 ○○市錦町二丁目20番13号",
            "○○市市民部市民課",
            "〒686-8312 ○○市錦町二丁目20番13号",
            "TEL：014-577-9781",
        ];
        assert_eq!(split_points(&run, &[9], 6), [0, 5, 7, 9, 11, 13]);
        // Fewer cues than cells: no more segments than cues.
        assert_eq!(split_points(&run[..5], &[], 3).len(), 1);
    }

    #[test]
    fn postal_codes() {
        assert!(postal("〒449-4574　垂井町新町四丁目10番3号"));
        assert!(postal("970-8686 いわき市平字梅本２１"));
        assert!(!postal("0246-22-7456"));
    }
}
