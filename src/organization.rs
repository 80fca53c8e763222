//! The body behind a sheet: 評価実施機関名 → name, head's title, kind, prefecture and
//! 全国地方公共団体コード (from `data/lg-codes.csv`).

use crate::normalize::key;
use crate::record::Organization;
use crate::form::OrgTitle;
use std::collections::HashMap;
use std::sync::OnceLock;

struct Body {
    code: String,
    prefecture: String,
    /// Empty for the prefecture itself.
    city: String,
}

struct Table {
    bodies: Vec<Body>,
    /// key(city) → indices; key(prefecture) → index of the prefecture row.
    by_city: HashMap<String, Vec<usize>>,
    by_prefecture: HashMap<String, usize>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = Table { bodies: Vec::new(), by_city: HashMap::new(), by_prefecture: HashMap::new() };
        for line in include_str!("../data/lg-codes.csv").lines().skip(1) {
            let cols: Vec<&str> = line.split(',').collect();
            if cols.len() < 3 {
                continue;
            }
            let body = Body { code: cols[0].into(), prefecture: cols[1].into(), city: cols[2].into() };
            let i = t.bodies.len();
            if body.city.is_empty() {
                t.by_prefecture.insert(key(&body.prefecture), i);
            } else {
                t.by_city.entry(key(&body.city)).or_default().push(i);
            }
            t.bodies.push(body);
        }
        t
    })
}

/// Outcome of resolving an evaluator's name.
pub struct Resolved {
    pub org: Organization,
    /// Set when the name was found but could not be tied to one body.
    pub note: Option<String>,
}

/// Resolve `評価実施機関名` (e.g. `いわき市長`, `愛知県 扶桑町長`, `○○市教育委員会`).
/// `context` gives the rest of the document, asked for only to choose between bodies
/// of the same name in different prefectures (伊達市, 府中市 …).
pub fn resolve(evaluator: &str, titles: &[OrgTitle], context: impl FnOnce() -> String) -> Resolved {
    let full = key(evaluator);
    let mut org = Organization::default();
    // Split the head's title off the body's name.
    let (name, default_kind) = match titles.iter().find(|t| full.ends_with(&key(&t.suffix))) {
        Some(t) => {
            let stem = &full[..full.len() - key(&t.suffix).len()];
            org.title = Some(t.suffix.clone());
            (format!("{stem}{}", key(&t.keep)), t.kind.clone())
        }
        None => (full.clone(), None),
    };
    let t = table();
    // A leading prefecture name narrows the search (`愛知県扶桑町`).
    let (pref_hint, city_part) = match t.by_prefecture.keys().find(|p| name.starts_with(p.as_str()) && name.len() > p.len()) {
        Some(p) => (Some(t.bodies[t.by_prefecture[p]].prefecture.clone()), name[p.len()..].to_string()),
        None => (None, name.clone()),
    };
    // Names of bodies inside the name: the longest match wins, so 大和郡山市 never
    // resolves to 郡山市 (whole-name equality first, then a union or board of a city).
    let mut note = None;
    if let Some(&i) = t.by_prefecture.get(&name) {
        let b = &t.bodies[i];
        org.name = Some(b.prefecture.clone());
        org.kind = Some("prefecture".into());
        org.prefecture = Some(b.prefecture.clone());
        org.lg_code = Some(b.code.clone());
    } else if let Some(candidates) = t.by_city.get(&city_part) {
        let chosen: Vec<usize> = match &pref_hint {
            Some(p) => candidates.iter().copied().filter(|&i| &t.bodies[i].prefecture == p).collect(),
            None if candidates.len() > 1 => {
                let ctx = key(&context());
                let in_ctx: Vec<usize> = candidates
                    .iter()
                    .copied()
                    .filter(|&i| ctx.contains(&format!("{}{}", key(&t.bodies[i].prefecture), city_part)))
                    .collect();
                if in_ctx.len() == 1 { in_ctx } else { candidates.clone() }
            }
            None => candidates.clone(),
        };
        org.name = Some(t.bodies[candidates[0]].city.clone());
        if chosen.len() == 1 {
            let b = &t.bodies[chosen[0]];
            org.prefecture = Some(b.prefecture.clone());
            org.lg_code = Some(b.code.clone());
            let ward = b.city.ends_with('区') && b.prefecture == "東京都";
            org.kind = Some(if ward { "special_ward" } else { "municipality" }.into());
        } else {
            org.kind = Some(if city_part.ends_with('区') { "special_ward" } else { "municipality" }.into());
            note = Some(format!("{} names bodies in several prefectures; none named in the document", city_part));
        }
    } else {
        org.name = Some(if name.is_empty() { full.clone() } else { name.clone() });
        org.prefecture = pref_hint;
        org.kind = Some(default_kind.unwrap_or_else(|| "other".into()));
        if org.kind.as_deref() == Some("municipality") || org.kind.as_deref() == Some("special_ward") {
            note = Some(format!("{name} is not in the 全国地方公共団体コード table"));
        }
    }
    Resolved { org, note }
}

/// Check digit of a 5-digit 全国地方公共団体コード (JIS X 0402 style, modulus 11).
pub fn check_digit(code5: &str) -> Option<char> {
    let digits: Vec<u32> = code5.chars().map(|c| c.to_digit(10)).collect::<Option<_>>()?;
    if digits.len() != 5 {
        return None;
    }
    let sum: u32 = digits.iter().zip([6, 5, 4, 3, 2]).map(|(d, w)| d * w).sum();
    let r = sum % 11;
    // 11 − r, keeping only the last digit (r = 0 → 1, r = 1 → 0).
    let cd = (11 - r) % 10;
    char::from_digit(cd, 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Organization {
        resolve(s, &crate::form::FormSet::builtin().common.organization_titles.titles, String::new).org
    }

    #[test]
    fn city_head() {
        let o = r("いわき市長");
        assert_eq!(o.name.as_deref(), Some("いわき市"));
        assert_eq!(o.title.as_deref(), Some("市長"));
        assert_eq!(o.kind.as_deref(), Some("municipality"));
        assert_eq!(o.prefecture.as_deref(), Some("福島県"));
        assert_eq!(o.lg_code.as_deref(), Some("072044"));
    }

    #[test]
    fn contained_names_do_not_collide() {
        assert_eq!(r("郡山市長").lg_code.as_deref(), Some("072036"));
        assert_eq!(r("大和郡山市長").prefecture.as_deref(), Some("奈良県"));
    }

    #[test]
    fn prefecture_board_ward_and_prefix() {
        let o = r("福島県知事");
        assert_eq!((o.name.as_deref(), o.kind.as_deref(), o.lg_code.as_deref()), (Some("福島県"), Some("prefecture"), Some("070009")));
        let o = r("川越市教育委員会");
        assert_eq!((o.name.as_deref(), o.title.as_deref(), o.lg_code.as_deref()), (Some("川越市"), Some("教育委員会"), Some("112011")));
        let o = r("千代田区長");
        assert_eq!((o.kind.as_deref(), o.lg_code.as_deref()), (Some("special_ward"), Some("131016")));
        let o = r("愛知県 扶桑町長");
        assert_eq!((o.name.as_deref(), o.prefecture.as_deref()), (Some("扶桑町"), Some("愛知県")));
    }

    #[test]
    fn homonyms_need_the_prefecture() {
        let res = resolve("伊達市長", &crate::form::FormSet::builtin().common.organization_titles.titles, String::new);
        assert_eq!(res.org.lg_code, None);
        assert!(res.note.is_some());
        let res = resolve("伊達市長", &crate::form::FormSet::builtin().common.organization_titles.titles, || "〒960-0000 福島県伊達市保原町".to_string());
        assert_eq!(res.org.prefecture.as_deref(), Some("福島県"));
    }

    #[test]
    fn union_and_national() {
        let o = r("福島県後期高齢者医療広域連合長");
        assert_eq!((o.name.as_deref(), o.title.as_deref(), o.kind.as_deref()), (Some("福島県後期高齢者医療広域連合"), Some("広域連合長"), Some("union")));
        assert_eq!(r("厚生労働大臣").kind.as_deref(), Some("national"));
    }

    #[test]
    fn check_digits_of_the_table_hold() {
        for b in &table().bodies {
            assert_eq!(check_digit(&b.code[..5]), b.code.chars().nth(5), "{}", b.code);
        }
    }
}
