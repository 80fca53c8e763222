//! The form's items, labels and choice lists, read from `rules/*.json` (one file per
//! form version). The files are compiled into the binary so a run needs nothing beside it.

use serde::Deserialize;
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Deserialize)]
pub struct Rules {
    pub id: String,
    pub kind: String,
    /// Version stamps (NFKC, no white space) this file applies to, e.g. `平成31年1月様式2`.
    pub stamps: Vec<String>,
    pub sheet_title: String,
    pub other_kinds: Vec<OtherKind>,
    pub cover: Cover,
    pub headings: Vec<Heading>,
    pub text_fields: Vec<TextField>,
    pub empty_values: Vec<String>,
    pub choice_lists: HashMap<String, Vec<ChoiceOption>>,
    pub choice_fields: Vec<ChoiceField>,
    pub as_of: AsOf,
    pub result: ResultRule,
    pub boxes: Vec<CheckBox>,
    pub other_labels: Vec<String>,
    pub fixed_texts: Vec<String>,
    /// Sections this version's form does not have (Ⅳ リスク対策 before 平成31年1月). When
    /// a sheet does not print them their fields are null without a warning; printed
    /// anyway, they are read as usual (nothing printed is dropped).
    #[serde(default)]
    pub absent_sections: Vec<String>,
    /// Matchers built from this file once, on first use.
    #[serde(skip)]
    compiled: OnceLock<Compiled>,
}

/// Label dictionary, option table and patterns of a rules file.
pub struct Compiled {
    pub labels: crate::reassemble::Labels,
    pub options: crate::reassemble::Options,
    pub result: regex::Regex,
    /// Keys of the check-box labels (in `boxes` order) and a finder for all of them.
    pub box_labels: (Vec<String>, aho_corasick::AhoCorasick),
    pub fixed_texts: crate::reassemble::FixedTexts,
}

#[derive(Debug, Deserialize)]
pub struct OtherKind {
    pub kind: String,
    pub title: String,
}

#[derive(Debug, Deserialize)]
pub struct Cover {
    pub number_and_title_header: String,
    pub declaration_label: String,
    pub declaration_marker: String,
    pub special_notes_label: String,
    pub evaluator_label: String,
    pub published_label: String,
}

#[derive(Debug, Deserialize)]
pub struct Heading {
    pub label: String,
    pub section: String,
}

#[derive(Debug, Deserialize)]
pub struct TextField {
    pub path: String,
    pub item: String,
    pub labels: Vec<String>,
    #[serde(default)]
    pub optional: bool,
}

#[derive(Debug, Deserialize, Clone)]
pub struct ChoiceOption {
    pub code: u32,
    pub label: String,
    #[serde(default)]
    pub at_least: Option<u64>,
    #[serde(default)]
    pub less_than: Option<u64>,
    /// For 評価書の種類: 1 基礎, 2 +重点, 3 +全項目.
    #[serde(default)]
    pub level: Option<u32>,
}

#[derive(Debug, Deserialize)]
pub struct ChoiceField {
    pub path: String,
    pub item: String,
    pub section: String,
    pub list: String,
    pub labels: Vec<String>,
    /// Path of the check box that, when ticked, leaves this question unanswered.
    #[serde(default)]
    pub opt_out: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct AsOf {
    pub label: String,
    pub paths: Vec<String>,
    pub sections: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct ResultRule {
    pub path: String,
    pub item: String,
    pub pattern: String,
}

#[derive(Debug, Deserialize)]
pub struct CheckBox {
    pub path: String,
    pub item: String,
    pub section: String,
    pub label: String,
    /// Boxes printed on one line form a row; a fragment `[` at the end of one box's
    /// text opens the next box of the same row.
    pub row: String,
    #[serde(default)]
    pub opt_out_of: Vec<String>,
}

/// The newest version first: it is the default for an unknown stamp. An older version
/// names the file it `extends` and gives only what differs (its stamps, absent sections).
const BUILTIN: &[(&str, &str)] = &[
    ("kiso-h31-1.json", include_str!("../rules/kiso-h31-1.json")),
    ("kiso-h29-5.json", include_str!("../rules/kiso-h29-5.json")),
    ("kiso-h28-1.json", include_str!("../rules/kiso-h28-1.json")),
    ("kiso-h26-4.json", include_str!("../rules/kiso-h26-4.json")),
];

/// A rules file as JSON, with the file it `extends` laid under it: keys it gives replace
/// the base's, the rest are the base's.
fn resolved(name: &str) -> serde_json::Value {
    let text = BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t).unwrap_or_else(|| panic!("rules/{name}: no such built-in file"));
    let mut own: serde_json::Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("rules/{name} is invalid: {e}"));
    let Some(base) = own.as_object_mut().and_then(|o| o.remove("extends")) else { return own };
    let base = base.as_str().unwrap_or_else(|| panic!("rules/{name}: extends must name a file"));
    let mut merged = resolved(&format!("{base}.json"));
    if let (Some(m), Some(o)) = (merged.as_object_mut(), own.as_object()) {
        // What the base says is absent is not inherited: each version lists its own.
        m.remove("absent_sections");
        for (k, v) in o {
            m.insert(k.clone(), v.clone());
        }
    }
    merged
}

/// All rules files known to this build, parsed once.
pub fn all() -> &'static [Rules] {
    static ALL: OnceLock<Vec<Rules>> = OnceLock::new();
    ALL.get_or_init(|| {
        BUILTIN
            .iter()
            .map(|(name, _)| serde_json::from_value(resolved(name)).unwrap_or_else(|e| panic!("rules/{name} is invalid: {e}")))
            .collect()
    })
}

impl Rules {
    /// The rules file whose stamp matches `stamp_key` (NFKC, no white space).
    pub fn for_stamp(stamp_key: &str) -> Option<&'static Rules> {
        all().iter().find(|r| r.stamps.iter().any(|s| s == stamp_key))
    }

    /// The newest form version: used, with a warning, when the stamp is unknown.
    pub fn default_rules() -> &'static Rules {
        &all()[0]
    }

    pub fn compiled(&self) -> &Compiled {
        self.compiled.get_or_init(|| Compiled {
            labels: crate::reassemble::Labels::new(self),
            options: crate::reassemble::Options::new(self),
            result: regex::Regex::new(&self.result.pattern).unwrap_or_else(|e| panic!("rules {}: result pattern: {e}", self.id)),
                        fixed_texts: crate::reassemble::FixedTexts::new(&self.fixed_texts),
            box_labels: {
                let keys: Vec<String> = self.boxes.iter().map(|b| crate::normalize::key(&b.label)).collect();
                let finder = aho_corasick::AhoCorasick::builder()
                    .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                    .build(&keys)
                    .unwrap_or_else(|e| panic!("rules {}: box labels: {e}", self.id));
                (keys, finder)
            },
        })
    }

    /// Whether this version's form has the item of `section` (`Ⅳ4` is in `Ⅳ`).
    pub fn prints_section(&self, section: &str) -> bool {
        !self.absent_sections.iter().any(|a| section.starts_with(a.as_str()))
    }

    /// The version stamp as printed in labels (`平成26年4月 様式2`).
    pub fn version_label(&self) -> String {
        self.stamps.first().map(|s| s.replace("様式", " 様式")).unwrap_or_default()
    }

    pub fn list(&self, name: &str) -> &[ChoiceOption] {
        self.choice_lists.get(name).map(Vec::as_slice).unwrap_or(&[])
    }
}
