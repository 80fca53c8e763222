//! Form descriptions: each kind and version of the sheet as data.
//!
//! `rules/common.json` holds what every kind shares (the kinds and their titles, the
//! cover's labels, choice lists, check-box groups, the "nothing" marks); each
//! `rules/<kind>-<version>.json` describes one form's item tree: sections, repeated
//! blocks and fields, each field with its output path, printed labels and type. A
//! version that differs little from another `extends` it and lists only what differs
//! (`relabel`, `absent`). A new kind or version is a new file here, not code.
//!
//! Descriptions are checked when they load ([`FormSet::load`]): an unknown list or
//! group, a path that clashes with another (a leaf where an object is, or the same leaf
//! twice), a bad `extends` — each is an error naming the file, never a silent drop.

use crate::normalize::key;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::OnceLock;

/// What every kind shares (`rules/common.json`).
#[derive(Debug, Deserialize)]
pub struct Common {
    pub kinds: Vec<KindInfo>,
    pub cover: CoverLabels,
    pub index_heading: String,
    pub lists: HashMap<String, Vec<Choice>>,
    pub groups: HashMap<String, Vec<BoxSpec>>,
    pub empty_values: Vec<String>,
    pub change_table: ChangeTable,
    #[serde(default)]
    pub organization_titles: OrgTitles,
    #[serde(default)]
    pub threshold_table: ThresholdTable,
    #[serde(default)]
    pub other_labels: OtherLabels,
    /// Opt-out boxes checked against answers, by table name (a kind's `opt_out_pairs`).
    #[serde(default)]
    pub opt_out_pairs: HashMap<String, Vec<OptOutPair>>,
    #[serde(default)]
    pub date_checks: DateChecks,
}

/// Printed words that are no field's label but stand as cells of their own.
#[derive(Debug, Default, Deserialize)]
pub struct OtherLabels {
    pub labels: Vec<String>,
}

/// The 変更箇所 table every kind ends with.
#[derive(Debug, Deserialize)]
pub struct ChangeTable {
    pub heading: String,
    /// The header row's labels, space-separated.
    pub header: String,
    /// The 提出時期 values.
    pub timings: Vec<String>,
    /// What opens an addition (「従前の記載に…追加」): the cell gives only the new part.
    pub addition_markers: Vec<String>,
    /// What an 項目 cell starts with (a section number, （別添, 表紙).
    pub item_prefixes: Vec<String>,
    #[serde(skip)]
    item_prefix_keys: OnceLock<Vec<String>>,
    #[serde(skip)]
    header_labels: OnceLock<Vec<String>>,
}

impl ChangeTable {
    /// The header row's labels, one per column (`変更日`, `項目`, …).
    pub fn header_labels(&self) -> &[String] {
        self.header_labels.get_or_init(|| self.header.split_whitespace().map(String::from).collect())
    }

    /// The item prefixes as keys (see [`key`]).
    pub fn item_prefix_keys(&self) -> &[String] {
        self.item_prefix_keys.get_or_init(|| self.item_prefixes.iter().map(|p| key(p)).collect())
    }
}

/// The evaluator's title suffixes (`市長`, `広域連合長`), which name the body.
#[derive(Debug, Default, Deserialize)]
pub struct OrgTitles {
    pub titles: Vec<OrgTitle>,
}

#[derive(Debug, Deserialize)]
pub struct OrgTitle {
    pub suffix: String,
    /// What of the suffix stays in the body's name (`市` of `市長`).
    pub keep: String,
    /// The kind of body; `None`: read from the name.
    pub kind: Option<String>,
}

/// The しきい値判断 table (基礎 Ⅲ from Ⅱ).
#[derive(Debug, Default, Deserialize)]
pub struct ThresholdTable {
    pub rules: Vec<ThresholdRule>,
    /// Where a sheet that states its own しきい値判断結果 (重点, 全項目) holds it, and
    /// its 対象人数 choice (the `threshold_by_kind` check).
    #[serde(default)]
    pub result_path: String,
    #[serde(default)]
    pub population_path: String,
    /// Words of a result that requires no assessment (`義務付けられない`).
    #[serde(default)]
    pub not_mandatory: Vec<String>,
    /// The level a しきい値判断結果 stands for: that of the first of these words it holds.
    #[serde(default)]
    pub result_levels: Vec<ResultLevel>,
}

/// A word of a しきい値判断結果 and the level it gives (3 全項目, 2 重点, 1 基礎, 0 none).
#[derive(Debug, Deserialize)]
pub struct ResultLevel {
    pub word: String,
    pub level: u32,
}

/// What the `date_order` and `approval_by_local_body` checks read.
#[derive(Debug, Default, Deserialize)]
pub struct DateChecks {
    /// The section of the 評価実施手続 dates (`procedure`).
    pub section: String,
    /// The 個人情報保護委員会の承認 提出日, 【行政機関等のみ】 like the 承認日.
    pub approval_submitted: String,
    /// `organization.kind`s of local bodies.
    pub local_bodies: Vec<String>,
}

/// One row of the しきい値 table: `None` matches any answer.
#[derive(Debug, Deserialize)]
pub struct ThresholdRule {
    pub population: Option<u32>,
    pub handlers: Option<u32>,
    pub incident: Option<u32>,
    pub level: u32,
}

/// One kind of sheet: its code in the output, its 様式 number and printed title.
#[derive(Debug, Deserialize, Clone)]
pub struct KindInfo {
    pub kind: String,
    pub form_number: u32,
    pub title: String,
    /// The title's kind word (`全項目評価書`), found when brackets are lost.
    pub short: String,
    /// The level a sheet of this kind stands for (1 基礎, 2 +重点, 3 +全項目), as the
    /// しきい値 table gives levels.
    #[serde(default)]
    pub level: Option<u32>,
    /// Whether the cover prints a 承認日.
    #[serde(default)]
    pub prints_approval: bool,
    /// Parts of the body the record holds as typed fields of their own
    /// ([`crate::record::TYPED_PARTS`]) rather than under `body`.
    #[serde(default)]
    pub typed_parts: Vec<String>,
    /// The consistency checks of this kind, by name ([`crate::check::CHECKS`]), in the
    /// order their findings are listed.
    #[serde(default)]
    pub checks: Vec<String>,
    /// The `opt_out_pairs` table (by name) the `opt_out_pairs` check reads.
    #[serde(default)]
    pub opt_out_pairs: Option<String>,
}

/// One opt-out box of a repeated block checked against the answers that say whether
/// it should be ticked (`inconsistent_opt_out`): Ⅲ「委託しない」 against Ⅱ 委託の有無.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct OptOutPair {
    #[serde(default, rename = "_comment")]
    _comment: Option<String>,
    /// The array of blocks each checked (`files`); the paths below are within a block.
    pub each: String,
    /// The opt-out box.
    pub opt_out: String,
    /// Answers that say "none" (any of them): the box should be ticked.
    pub no: Vec<Answer>,
    /// Answers that say "some" (any of them): the box should not be ticked.
    #[serde(default)]
    pub yes: Vec<Answer>,
    /// The finding's message when a "none" answer is given, no "some" one, and the box is not ticked.
    pub unticked: String,
    /// The finding's message when a "some" answer is given and the box is ticked.
    #[serde(default)]
    pub ticked: Option<String>,
    /// Arrays of blocks that a "none" answer leaves empty, the path the finding names
    /// and its message (`{n}`: how many blocks are printed).
    #[serde(default)]
    pub blocks: Vec<String>,
    #[serde(default)]
    pub blocks_at: Option<String>,
    #[serde(default)]
    pub blocks_message: Option<String>,
}

/// An answer an [`OptOutPair`] reads: a choice whose label is `label`, else a ticked
/// box; `root`: the path is from the body's root, not the block's.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    pub path: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub root: bool,
}

/// The cover's printed labels.
#[derive(Debug, Deserialize)]
pub struct CoverLabels {
    pub number_and_title: String,
    pub declaration: String,
    pub declaration_marker: String,
    pub special_notes: String,
    pub evaluator: String,
    pub published: String,
    /// 承認日 labels (they differ by version); absent on kinds without one.
    pub approved: Vec<String>,
}

/// One printed option of a choice list; bands carry their bounds.
#[derive(Debug, Deserialize, Clone)]
pub struct Choice {
    pub code: u32,
    pub label: String,
    #[serde(default)]
    pub at_least: Option<u64>,
    #[serde(default)]
    pub less_than: Option<u64>,
    /// For 評価書の種類 (基礎 Ⅳ1): the level the choice stands for (1 基礎, 2 +重点, 3 +全項目).
    #[serde(default)]
    pub level: Option<u32>,
}

/// One check box of a group: its output key and printed label. A label ending in
/// `（　）` takes the text written inside it.
#[derive(Debug, Deserialize, Clone)]
pub struct BoxSpec {
    pub key: String,
    pub label: String,
}

/// A form file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FormFile {
    id: String,
    kind: String,
    /// The stamp's date part, `平成30年5月`.
    version: String,
    #[serde(default, rename = "_comment")]
    _comment: Option<String>,
    #[serde(default)]
    extends: Option<String>,
    #[serde(default)]
    relabel: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    absent: Vec<String>,
    #[serde(default)]
    body: Vec<Node>,
}

/// A node of the item tree.
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum Node {
    Section(Section),
    Block(Block),
    Field(Field),
    Heading(Heading),
}

/// A printed heading inside a zone (`リスク１：…`): it outputs nothing, but ends the zone
/// of the field before it and scopes the labels after it.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Heading {
    pub heading: Vec<String>,
}

/// A numbered section (Ⅰ, Ⅱ, （別添１）…): its zone runs from its heading to the next
/// section's heading.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub section: String,
    pub heading: Vec<String>,
    /// Output path prefix of the section's fields (`basic`), empty for the root.
    #[serde(default)]
    pub path: String,
    pub nodes: Vec<Node>,
}

/// A block repeated per system, file, 委託事項, 提供先, 移転先: every line that starts
/// with `start` (followed by a number when `numbered`) opens one element.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Block {
    pub block: String,
    /// Output path of the array, relative to the enclosing section or block.
    pub path: String,
    pub start: String,
    #[serde(default)]
    pub numbered: bool,
    /// Where the text after the heading goes (`title`, `name`), if anywhere.
    #[serde(default)]
    pub title: Option<String>,
    /// Join these elements to an array filled by an earlier block of the same path,
    /// by this field's value against the earlier elements' `name` (Ⅲ to Ⅱ by file name).
    #[serde(default)]
    pub join_on: Option<String>,
    pub nodes: Vec<Node>,
    /// The `title` as a field of its own (made when the form loads), so the schema and
    /// the codebook list it with the block's other fields.
    #[serde(skip)]
    pub title_field: Option<Field>,
}

/// Value types of the form.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// One line of text.
    String,
    /// Text that may hold line breaks.
    Text,
    /// A whole zone's text (an appendix).
    Zone,
    /// One option of a list: `{code, label}`.
    Choice,
    /// A choice whose options are number bands: `{code, label, at_least, less_than}`.
    Band,
    /// A group of check boxes: `{key: bool}` and `<path>_text` for written-in text.
    Checks,
    /// One check box: `true` / `false`.
    Box,
    /// A count printed `（　）件`.
    Count,
    /// A date: ISO, with `<path>_text` as printed when `with_text`.
    Date,
    /// A period: `{from, to, text}`.
    Period,
}

/// One field: where it goes, how it is labelled and what it holds.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub path: String,
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// The printed item number (`Ⅱ2④`), for the codebook.
    #[serde(default)]
    pub item: String,
    /// Printed labels, any of which marks the field (versions word items differently).
    #[serde(default)]
    pub label: Vec<String>,
    /// The choice list or check-box group (names in `common.json`).
    #[serde(default)]
    pub list: Option<String>,
    /// Read from the zone of another field of the same block (no label of its own).
    #[serde(rename = "in", default)]
    pub within: Option<String>,
    /// For a box or count read inside another zone: the printed label it follows.
    #[serde(default)]
    pub after: Option<String>,
    /// A box (path in the same block) that, when ticked, leaves this field blank.
    #[serde(default)]
    pub opt_out: Vec<String>,
    #[serde(default)]
    pub with_text: bool,
    /// Blank without a warning when not printed (【任意】 items, written-in texts).
    #[serde(default)]
    pub optional: bool,
    /// For a choice: the label of a date printed in the same zone (`いつ時点の計数か`),
    /// given in the choice's value as `as_of`.
    #[serde(default)]
    pub as_of: Option<String>,
}

/// One form (kind + version), ready for the engine.
#[derive(Debug)]
pub struct Form {
    pub id: String,
    pub kind: KindInfo,
    pub version: String,
    /// `YYYY-MM` of the version, for choosing the nearest one.
    pub version_date: String,
    pub body: Vec<Node>,
    /// Paths (dotted, `[]` for arrays) this version does not print: null without a
    /// warning when not found; printed anyway, read as usual (nothing printed is dropped).
    pub absent: Vec<String>,
    /// What the engine derives from this description alone (label keys, the unjumble
    /// labels), made on the first read and kept (issue #12: was made on every read).
    pub(crate) index: OnceLock<crate::engine::FormIndex>,
    /// What the consistency checks derive from this description, made on the first check.
    pub(crate) checks: OnceLock<crate::check::FormFacts>,
}

/// All forms known to a run: the built-in ones and those of `--rules DIR`.
#[derive(Debug)]
pub struct FormSet {
    pub common: Common,
    pub forms: Vec<Form>,
}

static INSTALLED: OnceLock<FormSet> = OnceLock::new();

/// Make `set` the forms of this process (`--rules DIR`); once, before any reading.
pub fn install(set: FormSet) -> Result<(), String> {
    INSTALLED.set(set).map_err(|_| "the forms are already chosen for this process".to_string())
}

const BUILTIN_COMMON: &str = include_str!("../rules/common.json");
/// Every `rules/*.json` but `common.json` (listed by `build.rs`): a new built-in kind or
/// version is a file there, nothing here.
const BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

impl FormSet {
    /// The built-in forms, parsed once. They are tested, so a failure here is a bug.
    pub fn builtin() -> &'static FormSet {
        static SET: OnceLock<FormSet> = OnceLock::new();
        SET.get_or_init(|| {
            let files: Vec<(String, String)> = BUILTIN.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect();
            FormSet::from_texts(BUILTIN_COMMON, &files).unwrap_or_else(|e| panic!("built-in rules: {e}"))
        })
    }

    /// The forms this process reads with: those given to [`install`], else the built-in ones.
    pub fn current() -> &'static FormSet {
        INSTALLED.get().unwrap_or_else(|| FormSet::builtin())
    }

    /// The built-in forms plus every `*.json` of `dir` (a file with the id of a built-in
    /// one replaces it; `common.json` there extends the shared lists and groups).
    pub fn load(dir: &Path) -> Result<FormSet, String> {
        let mut files: Vec<(String, String)> = BUILTIN.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect();
        let mut common_extra = None;
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut names: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "json")).collect();
        names.sort();
        for p in names {
            let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            if name == "common.json" {
                common_extra = Some(text);
            } else {
                files.push((name, text));
            }
        }
        FormSet::from_texts_with(BUILTIN_COMMON, common_extra.as_deref(), &files)
    }

    fn from_texts(common: &str, files: &[(String, String)]) -> Result<FormSet, String> {
        FormSet::from_texts_with(common, None, files)
    }

    /// `extra`: a user's `common.json`, whose kinds, lists and groups add to (or
    /// replace, by name) the built-in ones.
    fn from_texts_with(common: &str, extra: Option<&str>, files: &[(String, String)]) -> Result<FormSet, String> {
        let mut common: Common = serde_json::from_str(common).map_err(|e| format!("common.json: {e}"))?;
        if let Some(extra) = extra {
            let more: CommonExtra = serde_json::from_str(extra).map_err(|e| format!("common.json: {e}"))?;
            common.lists.extend(more.lists);
            common.groups.extend(more.groups);
            common.opt_out_pairs.extend(more.opt_out_pairs);
            common.kinds.retain(|k| !more.kinds.iter().any(|m| m.kind == k.kind));
            common.kinds.extend(more.kinds);
        }
        for k in &common.kinds {
            check_kind(&common, k).map_err(|e| format!("common.json: kind {:?}: {e}", k.kind))?;
        }
        let mut parsed: Vec<(String, FormFile)> = Vec::new();
        for (name, text) in files {
            let f: FormFile = serde_json::from_str(text).map_err(|e| format!("{name}: {e}"))?;
            // A later file with the same id replaces the earlier (a user's correction).
            parsed.retain(|(_, p)| p.id != f.id);
            parsed.push((name.clone(), f));
        }
        let mut forms = Vec::new();
        for (name, f) in &parsed {
            let form = resolve(&common, &parsed, f).map_err(|e| format!("{name}: {e}"))?;
            validate(&common, &form).map_err(|e| format!("{name}: {e}"))?;
            forms.push(form);
        }
        Ok(FormSet { common, forms })
    }

    /// The kind whose title is printed in these line keys: the bracketed title first,
    /// then the kind word alone (brackets lost or spaced out).
    pub fn kind_of(&self, keys: &[&str]) -> Option<&KindInfo> {
        let bracket = |c: char| matches!(c, '(' | ')' | '[' | ']' | '【' | '】' | '「' | '」');
        let bare = |s: &str| s.chars().filter(|&c| !bracket(c)).collect::<String>();
        // perf (#16): each title's searcher made once, not once per key as `str::contains` does.
        let titles: Vec<(String, &KindInfo)> = self.common.kinds.iter().map(|k| (bare(&key(&k.title)), k)).collect();
        let finders: Vec<(memchr::memmem::Finder, &KindInfo)> = titles.iter().map(|(t, k)| (memchr::memmem::Finder::new(t), *k)).collect();
        for k in keys.iter().take(400) {
            // perf (#16): a key without brackets is its own bare form; most lines have
            // none, and copying each of a document's first 400 lines cost 1% of a parse.
            let b: std::borrow::Cow<str> = if k.contains(bracket) { bare(k).into() } else { (*k).into() };
            if let Some((_, kind)) = finders.iter().find(|(t, _)| t.find(b.as_bytes()).is_some()) {
                return Some(kind);
            }
        }
        None
    }

    /// The kind whose body the record types (its `typed_parts`, 基礎): the dataset's main
    /// table and the typed codebook; the first kind listed when none does.
    pub fn record_kind(&self) -> &str {
        let kinds = &self.common.kinds;
        kinds.iter().find(|k| !k.typed_parts.is_empty()).or(kinds.first()).map_or("", |k| k.kind.as_str())
    }

    /// The kind by its 様式 number.
    pub fn kind_by_number(&self, n: u32) -> Option<&KindInfo> {
        self.common.kinds.iter().find(|k| k.form_number == n)
    }

    /// The form of `kind` for a stamp's version (`平成30年5月`), else the nearest
    /// described version of that kind (the bool says whether it was exact).
    pub fn form_for(&self, kind: &str, version_date: Option<&str>) -> Option<(&Form, bool)> {
        let mut of_kind: Vec<&Form> = self.forms.iter().filter(|f| f.kind.kind == kind).collect();
        of_kind.sort_by(|a, b| a.version_date.cmp(&b.version_date));
        let newest = *of_kind.last()?;
        let Some(v) = version_date else { return Some((newest, false)) };
        if let Some(f) = of_kind.iter().find(|f| f.version_date == v) {
            return Some((f, true));
        }
        // Nearest: the newest version not after the stamp, else the oldest one.
        let before = of_kind.iter().rev().find(|f| f.version_date.as_str() <= v);
        Some((before.copied().unwrap_or(of_kind[0]), false))
    }
}

#[derive(Deserialize)]
struct CommonExtra {
    #[serde(default)]
    kinds: Vec<KindInfo>,
    #[serde(default)]
    lists: HashMap<String, Vec<Choice>>,
    #[serde(default)]
    groups: HashMap<String, Vec<BoxSpec>>,
    #[serde(default)]
    opt_out_pairs: HashMap<String, Vec<OptOutPair>>,
}

/// A kind's checks and typed parts are ones the code has, its opt-out table one
/// `common.json` has: a misspelt name is an error when the rules load, never a check
/// silently skipped.
fn check_kind(common: &Common, k: &KindInfo) -> Result<(), String> {
    if let Some(c) = k.checks.iter().find(|c| !crate::check::CHECKS.iter().any(|(n, _)| n == c)) {
        return Err(format!("unknown check {c:?} (known: {})", crate::check::CHECKS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")));
    }
    if let Some(p) = k.typed_parts.iter().find(|p| !crate::record::TYPED_PARTS.contains(&p.as_str())) {
        return Err(format!("unknown typed part {p:?} (known: {})", crate::record::TYPED_PARTS.join(", ")));
    }
    match &k.opt_out_pairs {
        Some(t) if !common.opt_out_pairs.contains_key(t) => Err(format!("unknown opt_out_pairs table {t:?}")),
        None if k.checks.iter().any(|c| c == "opt_out_pairs") => Err("the opt_out_pairs check needs an opt_out_pairs table".into()),
        _ => Ok(()),
    }
}

/// `平成30年5月` → `2018-05`.
pub fn version_date(version: &str) -> Option<String> {
    crate::normalize::find_date_in_key(&key(version), true).map(|d| d.iso[..7].to_string())
}

fn resolve(common: &Common, all: &[(String, FormFile)], f: &FormFile) -> Result<Form, String> {
    let kind = common.kinds.iter().find(|k| k.kind == f.kind).cloned().ok_or_else(|| format!("unknown kind {:?}", f.kind))?;
    let version_date = version_date(&f.version).ok_or_else(|| format!("version {:?} is not a 和暦 year and month", f.version))?;
    // Follow `extends` (at most a few steps; a cycle is an error).
    let mut chain = vec![f];
    let mut cur = f;
    while let Some(parent) = &cur.extends {
        let p = all.iter().map(|(_, p)| p).find(|p| &p.id == parent).ok_or_else(|| format!("extends unknown form {parent:?}"))?;
        if chain.iter().any(|c| c.id == p.id) || chain.len() > 8 {
            return Err(format!("extends cycle at {parent:?}"));
        }
        if p.kind != f.kind {
            return Err(format!("extends {parent:?}, a form of another kind"));
        }
        chain.push(p);
        cur = p;
    }
    let base = chain.last().ok_or("empty chain")?;
    if base.body.is_empty() {
        return Err("no body".into());
    }
    let mut body = base.body.clone();
    let mut absent = Vec::new();
    // Apply the overrides from the base outwards, so the nearest file wins.
    for file in chain.iter().rev() {
        for (path, labels) in &file.relabel {
            if !relabel(&mut body, "", path, labels) {
                return Err(format!("relabel: no field {path:?}"));
            }
        }
        absent.extend(file.absent.iter().cloned());
    }
    fn titles(nodes: &mut [Node]) {
        for n in nodes {
            match n {
                Node::Section(s) => titles(&mut s.nodes),
                Node::Block(b) => {
                    b.title_field = b.title.as_ref().map(|t| Field {
                        path: t.clone(),
                        ty: FieldType::String,
                        item: String::new(),
                        label: vec![b.start.clone()],
                        list: None,
                        within: None,
                        after: None,
                        opt_out: Vec::new(),
                        with_text: false,
                        optional: true,
                        as_of: None,
                    });
                    titles(&mut b.nodes);
                }
                Node::Field(_) | Node::Heading(_) => {}
            }
        }
    }
    titles(&mut body);
    Ok(Form { id: f.id.clone(), kind, version: f.version.clone(), version_date, body, absent, index: OnceLock::new(), checks: OnceLock::new() })
}

fn relabel(nodes: &mut [Node], prefix: &str, path: &str, labels: &[String]) -> bool {
    for n in nodes {
        match n {
            Node::Section(s) => {
                if relabel(&mut s.nodes, &join(prefix, &s.path), path, labels) {
                    return true;
                }
            }
            Node::Block(b) => {
                if relabel(&mut b.nodes, &format!("{}[]", join(prefix, &b.path)), path, labels) {
                    return true;
                }
            }
            Node::Field(f) => {
                if join(prefix, &f.path) == path {
                    f.label = labels.to_vec();
                    return true;
                }
            }
            Node::Heading(_) => {}
        }
    }
    false
}

/// `a` + `.` + `b`, either may be empty.
pub fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        // perf: called for every field of every read; `format!` costs several times more.
        _ => {
            let mut s = String::with_capacity(a.len() + 1 + b.len());
            s.push_str(a);
            s.push('.');
            s.push_str(b);
            s
        }
    }
}

/// One output leaf of a form: its full path (`files[].basic.population`) and field.
pub struct Leaf<'a> {
    pub path: String,
    pub field: &'a Field,
}

impl Form {
    /// Every field with its full path, in form order.
    pub fn leaves(&self) -> Vec<Leaf<'_>> {
        fn walk<'a>(nodes: &'a [Node], prefix: &str, out: &mut Vec<Leaf<'a>>) {
            for n in nodes {
                match n {
                    Node::Section(s) => walk(&s.nodes, &join(prefix, &s.path), out),
                    Node::Block(b) => {
                        let p = format!("{}[]", join(prefix, &b.path));
                        if let Some(t) = &b.title_field {
                            out.push(Leaf { path: join(&p, &t.path), field: t });
                        }
                        walk(&b.nodes, &p, out);
                    }
                    Node::Field(f) => out.push(Leaf { path: join(prefix, &f.path), field: f }),
                    Node::Heading(_) => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.body, "", &mut out);
        out
    }

    /// Whether this version prints the field at `path` (`[]` paths).
    pub fn has(&self, path: &str) -> bool {
        // perf: no `format!` per entry (asked for every field of every read).
        !self.absent.iter().any(|a| path.strip_prefix(a.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with('.')))
    }
}

/// The output paths a field writes (a date also writes `_text`, checks their `_text`).
pub fn written_paths(path: &str, f: &Field, common: &Common) -> Vec<String> {
    match f.ty {
        FieldType::Date if f.with_text => vec![path.to_string(), format!("{path}_text")],
        FieldType::Checks => {
            let group = f.list.as_deref().and_then(|g| common.groups.get(g));
            let mut out: Vec<String> = group.map(|g| g.iter().map(|b| format!("{path}.{}", b.key)).collect()).unwrap_or_default();
            if let Some(g) = group {
                out.extend(g.iter().filter(|b| crate::engine::takes_text(b)).map(|b| format!("{path}_text.{}", b.key)));
            }
            out
        }
        _ => vec![path.to_string()],
    }
}

fn validate(common: &Common, form: &Form) -> Result<(), String> {
    let leaves = form.leaves();
    let mut seen: BTreeMap<String, ()> = BTreeMap::new();
    let block_paths = block_paths(&form.body, "");
    for l in &leaves {
        let f = l.field;
        match f.ty {
            FieldType::Choice | FieldType::Band => {
                let name = f.list.as_deref().ok_or_else(|| format!("{}: a choice needs a list", l.path))?;
                if !common.lists.contains_key(name) {
                    return Err(format!("{}: unknown list {name:?}", l.path));
                }
            }
            FieldType::Checks => {
                let name = f.list.as_deref().ok_or_else(|| format!("{}: checks need a group", l.path))?;
                if !common.groups.contains_key(name) {
                    return Err(format!("{}: unknown group {name:?}", l.path));
                }
            }
            _ => {}
        }
        if f.label.is_empty() && f.within.is_none() && f.ty != FieldType::Zone {
            return Err(format!("{}: a field needs a label or `in`", l.path));
        }
        for p in written_paths(&l.path, f, common) {
            if seen.insert(p.clone(), ()).is_some() {
                return Err(format!("{p}: written by two fields"));
            }
        }
    }
    // A leaf may not sit where an object is (`a.b` and `a.b.c`), nor inside an array path.
    let paths: Vec<&String> = seen.keys().collect();
    for w in paths.windows(2) {
        if w[1].starts_with(&format!("{}.", w[0])) {
            return Err(format!("{} is a value and an object ({})", w[0], w[1]));
        }
    }
    for bp in &block_paths {
        if seen.contains_key(bp) {
            return Err(format!("{bp} is a value and an array"));
        }
    }
    Ok(())
}

fn block_paths(nodes: &[Node], prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    for n in nodes {
        match n {
            Node::Section(s) => out.extend(block_paths(&s.nodes, &join(prefix, &s.path))),
            Node::Block(b) => {
                let p = join(prefix, &b.path);
                out.extend(block_paths(&b.nodes, &format!("{p}[]")));
                out.push(p);
            }
            Node::Field(_) | Node::Heading(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMON: &str = r#"{"kinds":[{"kind":"toy","form_number":9,"title":"おもちゃ評価書","short":"おもちゃ"}],
      "cover":{"number_and_title":"評価書番号 評価書名","declaration":"宣言","declaration_marker":"宣言する","special_notes":"特記事項","evaluator":"評価実施機関名","published":"公表日","approved":[]},
      "index_heading":"項目一覧","lists":{"YN":[{"code":1,"label":"はい"},{"code":2,"label":"いいえ"}]},"groups":{},"empty_values":["―"],
      "change_table":{"heading":"変更箇所","header":"変更日 項目","timings":["事前"],"addition_markers":[],"item_prefixes":["Ⅰ"]}}"#;

    fn one(body: &str) -> Result<FormSet, String> {
        let file = format!(r#"{{"id":"toy-r1","kind":"toy","version":"令和1年5月","body":{body}}}"#);
        FormSet::from_texts(COMMON, &[("toy.json".into(), file)])
    }

    #[test]
    fn a_path_the_output_cannot_hold_is_an_error() {
        let clash = r#"[{"section":"Ⅰ","heading":["Ⅰ"],"path":"a","nodes":[
            {"path":"b","type":"text","label":["b"]},{"path":"b.c","type":"text","label":["c"]}]}]"#;
        let e = one(clash).unwrap_err();
        assert!(e.contains("a.b is a value and an object"), "{e}");
        let twice = r#"[{"path":"x","type":"text","label":["x"]},{"path":"x","type":"text","label":["y"]}]"#;
        assert!(one(twice).unwrap_err().contains("written by two fields"));
        let list = r#"[{"path":"x","type":"choice","label":["x"],"list":"NOPE"}]"#;
        assert!(one(list).unwrap_err().contains("unknown list"));
        let unknown_key = r#"[{"path":"x","type":"text","label":["x"],"colour":"red"}]"#;
        assert!(one(unknown_key).is_err());
    }

    #[test]
    fn builtin_forms_load_and_choose_versions() {
        let set = FormSet::builtin();
        let (f, exact) = set.form_for("zenkomoku", Some("2018-05")).unwrap();
        assert!(exact && f.id == "zenkomoku-h30-5");
        // An unknown stamp takes the newest version not after it.
        let (f, exact) = set.form_for("zenkomoku", Some("2017-05")).unwrap();
        assert!(!exact && f.id == "zenkomoku-h28-1", "{}", f.id);
        let (f, _) = set.form_for("juten", Some("2010-01")).unwrap();
        assert_eq!(f.id, "juten-h26-4");
        assert_eq!(version_date("平成26年4月").as_deref(), Some("2014-04"));
    }

    /// The kind by title as `kind_of` found it before it skipped copying keys without
    /// brackets: every key copied with its brackets left out.
    fn kind_of_plain<'a>(set: &'a FormSet, keys: &[&str]) -> Option<&'a KindInfo> {
        let bare = |s: &str| s.chars().filter(|c| !matches!(c, '(' | ')' | '[' | ']' | '【' | '】' | '「' | '」')).collect::<String>();
        let titles: Vec<(String, &KindInfo)> = set.common.kinds.iter().map(|k| (bare(&key(&k.title)), k)).collect();
        keys.iter().take(400).find_map(|k| titles.iter().find(|(t, _)| bare(k).contains(t.as_str())).map(|(_, kind)| *kind))
    }

    #[test]
    fn kind_of_agrees_with_copying_every_key() {
        let set = FormSet::builtin();
        let mut cases: Vec<Vec<String>> = Vec::new();
        // Made up: each title bare, bracketed, with brackets inside, after other text,
        // past the first 400 keys; keys with and without brackets and no title.
        for k in &set.common.kinds {
            let t = key(&k.title);
            let mut inner: String = t.chars().flat_map(|c| ['「', c]).collect();
            inner.push('】');
            let filler: Vec<String> = (0..401).map(|n| format!("【{n}】 項目")).collect();
            for form in [t.clone(), format!("【{t}】"), format!("(様式)[{t}]"), inner, format!("表紙 {t}"), t.chars().skip(1).collect()] {
                cases.push(vec!["".into(), "(1) 事務の名称".into(), form.clone()]);
                cases.push(filler.iter().cloned().chain([form]).collect());
            }
        }
        cases.push(vec![]);
        cases.push(vec!["【】".into(), "「」()[]".into(), "国民健康保険".into()]);
        // Every dump in the crate's inputs and the shared folder.
        for (_, text) in crate::test_texts::txt_files_under(&["input", "tests/fixtures", "../shared"]) {
            cases.push(text.lines().map(key).collect());
        }
        let mut found = 0;
        for keys in &cases {
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            let (fast, plain) = (set.kind_of(&keys).map(|k| &k.kind), kind_of_plain(set, &keys).map(|k| &k.kind));
            assert_eq!(fast, plain, "{:?}", keys.iter().take(3).collect::<Vec<_>>());
            found += fast.is_some() as usize;
        }
        assert!(found > cases.len() / 2, "{found} of {} cases found a kind", cases.len());
    }
}
