//! The output record (schema 1, `spec/kiso-schema.md`): the public interface of the dataset.
//! Field order here is the order of the JSON keys.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The parts of a body the record holds as typed fields (a kind's `typed_parts` in
/// `rules/common.json` names which of its body's parts go there).
pub const TYPED_PARTS: &[&str] = &["related", "threshold", "risk"];

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(default)]
pub struct Record {
    pub schema_version: String,
    pub source: Source,
    pub kind: Option<String>,
    pub form: Form,
    pub header: Header,
    pub organization: Organization,
    /// 基礎項目評価書 Ⅰ (typed; absent on other kinds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related: Option<Related>,
    /// 基礎項目評価書 Ⅱ and Ⅲ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<Threshold>,
    /// 基礎項目評価書 Ⅳ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<Risk>,
    /// The body of other kinds, as their form description lays it out (`basic`,
    /// `files[]`, …), in form order.
    #[serde(flatten)]
    #[schemars(skip)]
    pub body: serde_json::Map<String, serde_json::Value>,
    pub changes: Vec<Change>,
    /// Numbered items printed on the sheet that its form description does not name.
    pub extra_items: Vec<ExtraItem>,
    pub warnings: Vec<Warning>,
    /// Where the filing contradicts itself (consistency checks): the values are read as
    /// printed, and each finding names both sides. They do not change `status`, which
    /// says only how sure the extraction is.
    pub findings: Vec<Warning>,
    pub status: Status,
    /// Reason of a `failed` status (one line).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<ErrorInfo>,
    /// Where each field was read (`--provenance`); left out of the output otherwise.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub provenance: Option<std::collections::BTreeMap<String, Provenance>>,
}

/// Source location of a value: 1-based line range of the decoded text (or of the
/// rebuilt reading order of a PDF); for a PDF also the page and the box it was read from.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Provenance {
    pub lines: [usize; 2],
    /// PDF inputs: the 1-based page of the value's first printed line; `null` for text
    /// (every entry has the key, as the schema requires every key).
    #[serde(default)]
    pub page: Option<u32>,
    /// PDF inputs only: `[x0, y0, x1, y1]` in PDF points (origin bottom-left) around the
    /// cells of those lines on that page (a value running onto the next page: its part
    /// on the first).
    /// `null` for text.
    #[serde(rename = "box", default)]
    pub bbox: Option<[f32; 4]>,
}

impl Provenance {
    /// The provenance of 0-based lines `first..=last`, with the page and box of those
    /// lines when `geometry` (page and box of every line, a PDF's) is given.
    pub fn of(first: usize, last: usize, geometry: Option<&[(u32, [f32; 4])]>) -> Provenance {
        let mut p = Provenance { lines: [first + 1, last + 1], page: None, bbox: None };
        let Some(g) = geometry else { return p };
        // Empty separator lines have an all-zero box: not a place on the page.
        let drawn: Vec<&(u32, [f32; 4])> = g.get(first..=last.min(g.len().saturating_sub(1))).unwrap_or_default().iter().filter(|(_, b)| b.iter().any(|v| *v != 0.0)).collect();
        let Some(page) = drawn.first().map(|(page, _)| *page) else { return p };
        let mut bbox = [f32::MAX, f32::MAX, f32::MIN, f32::MIN];
        for (_, b) in drawn.iter().filter(|(pg, _)| *pg == page) {
            bbox = [bbox[0].min(b[0]), bbox[1].min(b[1]), bbox[2].max(b[2]), bbox[3].max(b[3])];
        }
        p.page = Some(page);
        p.bbox = Some(bbox);
        p
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(default)]
pub struct Source {
    pub file: String,
    pub sha256: String,
    pub bytes: u64,
    pub format: String,
    pub encoding: Option<String>,
    pub pages: Option<u32>,
    /// Shape of a text input, named after the tool that made it (`pdftotext_layout`,
    /// `pymupdf_sort`, `pdf_extract`, … see `scraped::TextLayout`); `null` for PDFs (every
    /// record has the key, so typed readers see one column type).
    pub text_layout: Option<String>,
    /// How a PDF was read: `null` by the main route (pdf-extract, or the own reader on
    /// the same document where every font reads alike in both), `"fallback"` by the
    /// second route (own content-stream reader) taken when the main one refused or failed.
    pub pdf_route: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(default)]
pub struct Form {
    pub label: Option<String>,
    pub date: Option<String>,
    pub number: Option<u32>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(default)]
pub struct Header {
    pub evaluation_number: Option<String>,
    pub title: Option<String>,
    pub declaration: Option<String>,
    pub special_notes: Option<String>,
    pub evaluator: Option<String>,
    pub published_on: Option<String>,
    /// 承認日 (行政機関等 only); `null` where the form has none.
    pub approved_on: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(default)]
pub struct Organization {
    pub name: Option<String>,
    pub title: Option<String>,
    pub kind: Option<String>,
    pub prefecture: Option<String>,
    pub lg_code: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(default)]
pub struct Related {
    pub affair_name: Option<String>,
    pub affair_summary: Option<String>,
    pub systems: Option<String>,
    pub file_name: Option<String>,
    pub number_use_basis: Option<String>,
    pub network_linkage: Option<Choice>,
    pub network_linkage_basis: Option<String>,
    pub department: Option<String>,
    pub department_head: Option<String>,
    pub other_evaluators: Option<String>,
    pub disclosure_contact: Option<String>,
    pub inquiry_contact: Option<String>,
}

/// A single choice: the printed option number and its label.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct Choice {
    pub code: u32,
    pub label: String,
}

/// A choice whose options are number bands (対象人数, 取扱者数).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct BandChoice {
    pub code: u32,
    pub label: String,
    pub at_least: Option<u64>,
    pub less_than: Option<u64>,
    pub as_of: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(default)]
pub struct Threshold {
    pub target_population: Option<BandChoice>,
    pub handlers: Option<BandChoice>,
    pub serious_incident: Option<Choice>,
    pub result: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(default)]
pub struct Risk {
    pub assessment_kind: Option<Choice>,
    pub acquisition: Option<Choice>,
    pub use_linkage: Option<Choice>,
    pub use_unauthorized: Option<Choice>,
    pub outsourcing: Outsourcing,
    pub provision: Provision,
    pub network: Network,
    pub storage: Option<Choice>,
    pub audit: Audit,
    pub training: Option<Choice>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(default)]
pub struct Outsourcing {
    pub not_outsourced: Option<bool>,
    pub misuse: Option<Choice>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(default)]
pub struct Provision {
    pub not_provided: Option<bool>,
    pub misuse: Option<Choice>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(default)]
pub struct Network {
    pub no_acquisition: Option<bool>,
    pub no_provision: Option<bool>,
    pub acquisition: Option<Choice>,
    pub provision: Option<Choice>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(default)]
pub struct Audit {
    pub self_inspection: Option<bool>,
    pub internal_audit: Option<bool>,
    pub external_audit: Option<bool>,
}

/// A numbered item the form description does not name, kept as printed.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct ExtraItem {
    pub path_printed: Option<String>,
    pub label: String,
    pub value: Option<String>,
}

/// One row of the 変更箇所 table.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Change {
    pub date: Option<String>,
    pub date_text: String,
    pub item: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub timing: Option<String>,
    pub timing_note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Warning {
    pub path: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct ErrorInfo {
    pub code: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Ok,
    Partial,
    Failed,
}
