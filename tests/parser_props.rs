//! The text parser returns a record for any input (never panics), and a record is
//! `failed` exactly when it carries an error.
//!
//! CI runs a modest number of cases; fuzz longer with e.g.
//! `PROPTEST_CASES=20000 cargo test --release --test parser_props`.

use piasheet::record::{Record, Status};
use proptest::prelude::*;

const SAMPLE: &str = include_str!("../input/000_72349b560cd020d7.txt");

fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    let r: Record = piasheet::extract_text_dump("prop.txt", bytes);
    prop_assert_eq!(r.status == Status::Failed, r.error.is_some(), "status {:?}, error {:?}", r.status, r.error);
    if let Some(e) = &r.error {
        prop_assert!(!e.code.is_empty() && !e.reason.contains('\n'), "{:?}", e);
    }
    // The record must also serialize (the batch writes it).
    prop_assert!(serde_json::to_vec(&r).is_ok());
    Ok(())
}

/// Pieces the form is made of: brackets and marks the reassembler and the choice
/// reader look for, dates in both eras and numerals, labels, numbers.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("[".to_string()),
        Just("]".to_string()),
        Just("［".to_string()),
        Just("］".to_string()),
        Just("○".to_string()),
        Just("〇".to_string()),
        Just("[ ○ ] 1) ".to_string()),
        Just("＜選択肢＞".to_string()),
        Just("[平成31年１月　様式２]".to_string()),
        Just("令和6年5月24日".to_string()),
        Just("令和元年１２月３１日".to_string()),
        Just("平成27年".to_string()),
        Just("変更日".to_string()),
        Just("特定個人情報保護評価書（基礎項目評価書）".to_string()),
        Just("（別添1）変更箇所".to_string()),
        Just(" ①".to_string()),
        Just("１０万人以上３０万人未満".to_string()),
        "[0-9０-９]{1,12}",
        "[\\[\\]［］○〇①-⑩年月日 　\t]{0,12}",
        any::<String>().prop_map(|s| s.chars().take(20).collect()),
    ]
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize),
    Duplicate(usize),
    Swap(usize, usize),
    Insert(usize, String),
    /// Put a fragment inside a line, at a character offset.
    Splice(usize, usize, String),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<usize>().prop_map(Edit::Delete),
        any::<usize>().prop_map(Edit::Duplicate),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Swap(a, b)),
        (any::<usize>(), fragment()).prop_map(|(a, f)| Edit::Insert(a, f)),
        (any::<usize>(), any::<usize>(), fragment()).prop_map(|(a, c, f)| Edit::Splice(a, c, f)),
    ]
}

fn mutate(edits: &[Edit]) -> String {
    let mut lines: Vec<String> = SAMPLE.lines().map(str::to_string).collect();
    for e in edits {
        let n = lines.len().max(1);
        match e {
            Edit::Delete(i) if !lines.is_empty() => {
                lines.remove(i % n);
            }
            Edit::Duplicate(i) if !lines.is_empty() => {
                let l = lines[i % n].clone();
                lines.insert(i % n, l);
            }
            Edit::Swap(a, b) if !lines.is_empty() => lines.swap(a % n, b % n),
            Edit::Insert(i, f) => lines.insert(i % (lines.len() + 1), f.clone()),
            Edit::Splice(i, c, f) if !lines.is_empty() => {
                let line = &mut lines[i % n];
                let at = line.char_indices().map(|(b, _)| b).chain([line.len()]).nth(c % (line.chars().count() + 1)).unwrap_or(0);
                line.insert_str(at, f);
            }
            _ => {}
        }
    }
    lines.join("\n")
}

proptest! {
    // Modest for CI; PROPTEST_CASES overrides.
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        check(&bytes)?;
    }

    #[test]
    fn arbitrary_utf8(text in any::<String>()) {
        check(text.as_bytes())?;
    }

    #[test]
    fn form_fragments_only(parts in proptest::collection::vec(fragment(), 0..200), sep in "[\n ]") {
        check(parts.join(&sep).as_bytes())?;
    }

    #[test]
    fn mutated_sample(edits in proptest::collection::vec(edit(), 1..40)) {
        check(mutate(&edits).as_bytes())?;
    }
}
