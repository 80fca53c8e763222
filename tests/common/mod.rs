//! Helpers shared by the integration tests.
#![allow(dead_code)]

use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

pub const SAMPLE: &str = "input/000_72349b560cd020d7.txt";

pub fn sample_text() -> String {
    std::fs::read_to_string(SAMPLE).expect("sample dump in input/")
}

pub fn golden() -> Value {
    serde_json::from_str(&std::fs::read_to_string("tests/golden/000_72349b560cd020d7.json").unwrap()).unwrap()
}

/// Text compared as the project's scorer does: NFKC, white space removed.
pub fn canon(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(s.nfkc().filter(|c| !c.is_whitespace()).collect()),
        other => other.clone(),
    }
}

/// Every leaf of `expected` (but the ignored paths) must equal the same leaf of
/// `actual`; returns the differing paths.
pub fn field_diffs(expected: &Value, actual: &Value, ignore: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    walk(expected, actual, "", ignore, &mut out);
    out
}

fn walk(e: &Value, a: &Value, path: &str, ignore: &[&str], out: &mut Vec<String>) {
    if ignore.contains(&path) {
        return;
    }
    match e {
        Value::Object(m) => {
            for (k, v) in m {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                walk(v, a.get(k).unwrap_or(&Value::Null), &p, ignore, out);
            }
        }
        Value::Array(items) => {
            let got = a.as_array().cloned().unwrap_or_default();
            if got.len() != items.len() {
                out.push(format!("{path}: {} items, want {}", got.len(), items.len()));
            }
            for (i, v) in items.iter().enumerate() {
                walk(v, got.get(i).unwrap_or(&Value::Null), &format!("{path}[{i}]"), ignore, out);
            }
        }
        leaf => {
            if canon(leaf) != canon(a) {
                out.push(format!("{path}: want {leaf} got {a}"));
            }
        }
    }
}

pub fn extract(text_or_bytes: &[u8]) -> Value {
    serde_json::to_value(piasheet::extract_text_dump(SAMPLE, text_or_bytes)).unwrap()
}

/// A minimal PDF from object bodies (object i+1 = bodies[i]) with a correct xref table.
pub fn build_pdf(bodies: &[&str], trailer_extra: &str) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, b) in bodies.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{}\nendobj\n", i + 1, b).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", bodies.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R {trailer_extra} >>\nstartxref\n{xref}\n%%EOF\n", bodies.len() + 1).as_bytes(),
    );
    out
}

/// A stream object: `dict` entries plus the /Length of `data`.
pub fn stream(dict: &str, data: &str) -> String {
    format!("<< {dict} /Length {} >>\nstream\n{data}\nendstream", data.len())
}

/// A one-page PDF whose form XObject draws itself (pdf-extract recurses without end).
pub fn self_referencing_pdf() -> Vec<u8> {
    let form = stream("/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /XObject << /X1 4 0 R >> >>", "/X1 Do");
    let page_content = stream("", "/X1 Do");
    build_pdf(
        &[
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 5 0 R /Resources << /XObject << /X1 4 0 R >> >> >>",
            &form,
            &page_content,
        ],
        "",
    )
}
