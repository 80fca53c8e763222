//! `piasheet diff --html`: one self-contained page (inline style, no script, nothing
//! fetched) a person reads in a browser: old and new side by side, the changed words
//! highlighted, added and removed rows and warnings coloured.

use super::dataset::{DatasetReport, Sheet};
use super::{show, Change, Difference, Report};
use serde_json::Value;

const STYLE: &str = "
body { font-family: system-ui, 'Hiragino Sans', 'Noto Sans CJK JP', 'Yu Gothic', sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.3em; } h2 { font-size: 1.1em; margin-top: 2em; }
p.caution { background: #fff4ce; border-left: 4px solid #e0a800; padding: .5em 1em; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; margin: .5em 0; }
th, td { border: 1px solid #ccc; padding: .3em .5em; vertical-align: top; text-align: left; white-space: pre-wrap; word-break: break-all; }
th { background: #f3f3f3; } td.path { width: 22%; font-family: ui-monospace, monospace; font-size: .9em; }
del { background: #ffd7d5; text-decoration: line-through; } ins { background: #ccffd8; text-decoration: none; }
tr.added td.new, tr.gained td.new, li.added { background: #e6ffec; }
tr.removed td.old, tr.lost td.old, li.removed { background: #ffebe9; }
.summary { font-weight: bold; }
";

/// Text made safe inside HTML elements and attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Old and new text with what differs marked: `<del>` in the old, `<ins>` in the new;
/// by character for short texts, by line for long ones.
fn marked(a: &str, b: &str) -> (String, String) {
    let diff = if a.chars().count() + b.chars().count() < 2000 { similar::TextDiff::from_chars(a, b) } else { similar::TextDiff::from_lines(a, b) };
    let (mut old, mut new) = (String::new(), String::new());
    for op in diff.ops() {
        for change in diff.iter_changes(op) {
            let v = escape(change.value());
            match change.tag() {
                similar::ChangeTag::Equal => {
                    old += &v;
                    new += &v;
                }
                similar::ChangeTag::Delete => old += &format!("<del>{v}</del>"),
                similar::ChangeTag::Insert => new += &format!("<ins>{v}</ins>"),
            }
        }
    }
    // Adjacent marks of one kind read as one.
    (old.replace("</del><del>", ""), new.replace("</ins><ins>", ""))
}

/// An added or removed row in full, one field a line (the cell keeps line breaks).
fn row_lines(v: &Value) -> String {
    match v.as_object() {
        Some(m) => m.iter().filter(|(_, x)| !x.is_null()).map(|(k, x)| format!("<b>{}</b>: {}", escape(k), escape(&show(x)))).collect::<Vec<_>>().join("\n"),
        None => escape(&show(v)),
    }
}

fn found(v: &Value) -> String {
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default();
    format!("{} at {}: {}", s("code"), s("path"), s("message"))
}

/// One `<tr>` per difference: path, old, new.
fn rows(diffs: &[Difference]) -> String {
    let mut out = String::new();
    for d in diffs {
        let (old, new) = match d.change {
            Change::Changed => marked(&show(&d.old), &show(&d.new)),
            Change::Added => (String::new(), row_lines(&d.new)),
            Change::Removed => (row_lines(&d.old), String::new()),
            Change::Gained => (String::new(), escape(&found(&d.new))),
            Change::Lost => (escape(&found(&d.old)), String::new()),
        };
        let kind = serde_json::to_value(d.change).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        let label = if d.change == Change::Changed { String::new() } else { format!(" <small>({kind})</small>") };
        out += &format!(
            "<tr class=\"{kind}\" data-path=\"{p}\"><td class=\"path\">{p}{label}</td><td class=\"old\">{old}</td><td class=\"new\">{new}</td></tr>\n",
            p = escape(&d.path)
        );
    }
    out
}

fn table(diffs: &[Difference], old_head: &str, new_head: &str) -> String {
    format!(
        "<table class=\"diff\">\n<thead><tr><th class=\"path\">field</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n{}</tbody>\n</table>\n",
        escape(old_head),
        escape(new_head),
        rows(diffs)
    )
}

fn cautions(c: &[String]) -> String {
    c.iter().map(|c| format!("<p class=\"caution\">caution: {}</p>\n", escape(c))).collect()
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{t}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{t}</h1>\n{body}</body>\n</html>\n",
        t = escape(title)
    )
}

/// The page for two records (`old_name`, `new_name` head the columns).
pub fn record_page(r: &Report, old_name: &str, new_name: &str) -> String {
    let mut body = cautions(&r.cautions);
    body += &format!("<p class=\"summary\">{} difference(s)</p>\n", r.differences.len());
    body += &table(&r.differences, old_name, new_name);
    page(&format!("piasheet diff: {old_name} → {new_name}"), &body)
}

fn sheet_list(class: &str, sheets: &[Sheet]) -> String {
    if sheets.is_empty() {
        return String::new();
    }
    let items: String = sheets.iter().map(|s| format!("<li class=\"{class}\">{}</li>\n", escape(&s.line()))).collect();
    format!("<h2>{} {class}</h2>\n<ul class=\"{class}\">\n{items}</ul>\n", sheets.len())
}

/// The page for two datasets: sheets added and removed, then each changed sheet's table.
pub fn dataset_page(r: &DatasetReport, old_name: &str, new_name: &str) -> String {
    let mut body = cautions(&r.cautions);
    body += &format!(
        "<p class=\"summary\">{} added, {} removed, {} changed, {} unchanged</p>\n",
        r.added.len(),
        r.removed.len(),
        r.changed.len(),
        r.unchanged
    );
    body += &sheet_list("added", &r.added);
    body += &sheet_list("removed", &r.removed);
    if !r.changed.is_empty() {
        body += &format!("<h2>{} changed</h2>\n", r.changed.len());
    }
    for c in &r.changed {
        body += &format!("<section class=\"sheet changed\">\n<h3>{}</h3>\n", escape(&c.new.line()));
        body += &cautions(&c.report.cautions);
        body += &table(&c.report.differences, old_name, new_name);
        body += "</section>\n";
    }
    page(&format!("piasheet diff: {old_name} → {new_name}"), &body)
}
