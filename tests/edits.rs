//! A changed value in the dump changes the output: nothing of the sample is baked in.

mod common;
use common::*;
use serde_json::json;

#[test]
fn another_city_changes_the_organization() {
    let text = sample_text().replace("いわき市", "郡山市");
    let got = extract(text.as_bytes());
    assert_eq!(got["header"]["evaluator"], "郡山市長");
    assert_eq!(got["organization"]["name"], "郡山市");
    assert_eq!(got["organization"]["lg_code"], "072036");
    let text = sample_text().replace("いわき市", "大和郡山市");
    let got = extract(text.as_bytes());
    assert_eq!(got["organization"]["lg_code"], "292036");
    assert_eq!(got["organization"]["prefecture"], "奈良県");
}

#[test]
fn another_answer_changes_the_choice() {
    let text = sample_text().replace("[ 500人未満 ]", "[ 500人以上 ]");
    let got = extract(text.as_bytes());
    assert_eq!(got["threshold"]["handlers"]["code"], 1);
    assert_eq!(got["threshold"]["handlers"]["at_least"], 500);
    assert_eq!(got["threshold"]["handlers"]["less_than"], json!(null));
    // The printed option list is not an answer: the other questions keep theirs.
    assert_eq!(got["threshold"]["target_population"]["code"], 4);
    let text = sample_text().replace("10万人以上30万人未満 ]", "30万人以上 ]");
    assert_eq!(extract(text.as_bytes())["threshold"]["target_population"]["code"], 5);
    let text = sample_text().replace("\n十分に行っている\n", "\n十分に行っていない\n");
    assert_eq!(extract(text.as_bytes())["risk"]["training"]["code"], 3);
}

#[test]
fn same_answer_changed_everywhere_in_section_iv() {
    let text = sample_text().replace("\n十分である\n", "\n特に力を入れている\n").replace("[ ]十分である", "[ ]特に力を入れている");
    let got = extract(text.as_bytes());
    for p in ["acquisition", "use_linkage", "use_unauthorized", "storage"] {
        assert_eq!(got["risk"][p]["code"], 1, "{p}");
    }
    assert_eq!(got["status"], "ok");
}

#[test]
fn differing_answers_in_a_block_are_flagged_not_guessed_silently() {
    // One of the 8 answers printed in the block differs: the text cannot say which question.
    let text = sample_text().replacen("\n十分である\n", "\n課題が残されている\n", 1);
    let got = extract(text.as_bytes());
    assert_eq!(got["status"], "partial");
    let warned: Vec<&str> = got["warnings"].as_array().unwrap().iter().filter(|w| w["code"] == "uncertain_order").map(|w| w["path"].as_str().unwrap()).collect();
    assert!(warned.contains(&"risk.acquisition") && warned.len() == 8, "{warned:?}");
}

#[test]
fn ticked_opt_out_box_blanks_its_question() {
    // 委託しない ticked on its own line, and its question left unanswered (one answer less).
    let text = sample_text().replace("］委託しない", "[ ○ ］委託しない").replacen("\n十分である\n", "\n\n", 1);
    let got = extract(text.as_bytes());
    assert_eq!(got["risk"]["outsourcing"]["not_outsourced"], true);
    assert_eq!(got["risk"]["outsourcing"]["misuse"], json!(null));
    assert_eq!(got["risk"]["provision"]["misuse"]["code"], 2);
    // The detached mark still belongs to 内部監査.
    assert_eq!(got["risk"]["audit"]["internal_audit"], true);
    assert_eq!(got["status"], "ok", "{}", got["warnings"]);
}

#[test]
fn detached_mark_removed_unticks_internal_audit() {
    let text = sample_text().replace("\n[ ○\n", "\n[\n");
    let got = extract(text.as_bytes());
    assert_eq!(got["risk"]["audit"]["internal_audit"], false);
    assert_eq!(got["risk"]["audit"]["self_inspection"], true);
}

#[test]
fn published_date_and_special_notes() {
    let text = sample_text().replace("  令和6年5月24日", "  令和元年5月7日").replace("特記事項\n\n", "特記事項 本評価書は公表日時点の内容である。\n\n");
    let got = extract(text.as_bytes());
    assert_eq!(got["header"]["published_on"], "2019-05-07");
    assert_eq!(got["header"]["special_notes"], "本評価書は公表日時点の内容である。");
}

#[test]
fn not_a_sheet_fails_cleanly() {
    let prose = "吾輩は猫である。名前はまだ無い。\nどこで生れたかとんと見当がつかぬ。\n何でも薄暗いじめじめした所でニャーニャー泣いていた事だけは記憶している。\n";
    let got = extract(prose.as_bytes());
    assert_eq!(got["status"], "failed");
    assert_eq!(got["error"]["code"], "not_a_sheet");
    assert_eq!(got["related"]["affair_name"], json!(null), "no half-filled record");
    let html = "<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>";
    assert_eq!(extract(html.as_bytes())["error"]["code"], "not_a_sheet");
}

/// Issue #11 replaced `unsupported_kind`: a sheet of another kind is read by the form
/// engine and keeps at least the common envelope. A 基礎 body under a 全項目 title
/// says so (`kind_mismatch`: the stamp is 様式2) instead of failing.
#[test]
fn other_sheet_kinds_keep_the_common_envelope() {
    let text = sample_text().replace("（基礎項目評価書）", "（全項目評価書）");
    let got = extract(text.as_bytes());
    assert_eq!(got["status"], "partial", "{}", got["error"]);
    assert_eq!(got["kind"], "zenkomoku");
    assert_eq!(got["header"]["evaluator"], "いわき市長");
    assert_eq!(got["organization"]["lg_code"], "072044");
    assert_eq!(got["form"]["number"], 2);
    assert!(got["changes"].as_array().unwrap().len() >= 20, "change rows are kept");
    let codes: Vec<&str> = got["warnings"].as_array().unwrap().iter().filter_map(|w| w["code"].as_str()).collect();
    assert!(codes.contains(&"kind_mismatch"), "{codes:?}");
}

#[test]
fn change_pages_in_the_other_order_give_the_same_rows() {
    let text = sample_text();
    // The two change pages are separated by a run of empty lines (a page break).
    let start = text.find("令和3年1月15日 Ⅰ４②法令上の根拠").unwrap();
    let (body, changes) = text.split_at(start);
    let brk = changes.find("\n\n\n\n").unwrap();
    let (p1, p2) = changes.split_at(brk);
    let swapped = format!("{body}{}\n\n\n\n{}", p2.trim_start_matches('\n'), p1);
    let a = extract(text.as_bytes());
    let b = extract(swapped.as_bytes());
    assert_eq!(a["changes"], b["changes"]);
    assert_eq!(b["changes"].as_array().unwrap().len(), 23);
}

#[test]
fn count_dates_go_to_the_item_whose_heading_follows_them() {
    // The first 計数 date of the sample sits above ３．重大事故, so it is Ⅱ2's.
    let text = sample_text().replacen("いつ時点の計数か 令和6年1月1日 時点", "いつ時点の計数か 令和5年12月1日 時点", 1);
    let got = extract(text.as_bytes());
    assert_eq!(got["threshold"]["handlers"]["as_of"], "2023-12-01");
    assert_eq!(got["threshold"]["target_population"]["as_of"], "2024-01-01");
    // The only finding: the edit contradicts the change history, which is right.
    let codes: Vec<&str> = got["findings"].as_array().unwrap().iter().map(|w| w["code"].as_str().unwrap()).collect();
    assert!(!codes.is_empty() && codes.iter().all(|c| *c == "latest_change_differs"), "{codes:?}");
    assert_eq!(got["warnings"], serde_json::json!([]));
}

/// A sheet whose title and version stamp are both lost (a cut-off first page) is still
/// a sheet: its kind is the one whose form's labels it prints, read by that form.
#[test]
fn a_sheet_without_title_or_stamp_is_read_by_its_labels() {
    let text = sample_text().replace("特定個人情報保護評価書（基礎項目評価書）", "").replace("[平成31年１月　様式２]", "");
    let got = extract(text.as_bytes());
    assert_eq!(got["kind"], "kiso", "{}", got["error"]);
    assert_eq!(got["header"]["evaluator"], "いわき市長");
    assert_eq!(got["threshold"]["handlers"]["code"], 2);
    let warned: Vec<(&str, &str)> = got["warnings"].as_array().unwrap().iter().map(|w| (w["code"].as_str().unwrap(), w["path"].as_str().unwrap())).collect();
    assert!(warned.contains(&("not_found", "form.label")), "{warned:?}");
}
