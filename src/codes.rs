//! Every code the tool emits, with its meaning: the one list the codebook, the JSON
//! Schema and the tests read.

/// Codes of `warnings[].code`: the extraction is unsure of a value or could not find it.
pub const WARNINGS: &[(&str, &str)] = &[
    ("not_found", "the item, answer, date or check box was not found: its value is null"),
    ("ambiguous_value", "different answers found for one question, or an answer that is not an option of its list"),
    ("ambiguous_checkbox", "○ marks drawn apart from their boxes: which box each belongs to is a guess"),
    ("ambiguous_body", "the 評価実施機関名 fits more than one body; the 団体コード is a guess"),
    ("uncertain_assignment", "fewer value cells than labels waiting for one: this value was taken as empty"),
    ("uncertain_order", "answers or 計数 dates whose question is inferred from their order"),
    ("uncertain_split", "several text blocks merged into this value, or where 変更前 ends and 変更後 begins is a guess"),
    ("bad_date", "a 変更日 that is not a date; date_text keeps the printed text"),
    ("unknown_form_version", "a form version stamp with no rules file; read with the nearest described version of its kind"),
    ("kind_mismatch", "the title and the stamp's 様式 number name different kinds; the title was followed"),
    ("invalid_bytes", "invalid byte sequences in the text were replaced by U+FFFD"),
    ("unreadable_rows", "change rows whose cells could not be told apart; they are left out, with their count"),
    ("annex_only", "a 別添 (the 変更箇所 pages) published as a file of its own: kind and change rows are read; the body, 評価書番号 and 公表日 are not printed in it and stay null"),
    ("extra_item", "a numbered item printed on the sheet that the form description does not name: kept in extra_items[i] as printed"),
    ("unmatched_risk_block", "a Ⅲ block whose file name matches no file of Ⅱ: kept as an entry of its own"),
];

/// Consistency findings: the filing contradicts itself (from [`crate::check`]).
pub const FINDINGS: &[(&str, &str)] = crate::check::CODES;

/// Codes of `error.code` on a `failed` record.
pub const ERRORS: &[(&str, &str)] = &[
    ("io", "the file could not be read"),
    ("empty", "the file is empty"),
    ("binary", "not text in any supported encoding"),
    ("too_large", "larger than --max-bytes"),
    ("timeout", "reading took longer than --timeout"),
    ("not_a_sheet", "not a PIA sheet"),
    ("unsupported_kind", "a sheet whose kind has no form description (none is built in for the known kinds)"),
    ("truncated_pdf", "a PDF cut short (no end of file)"),
    ("encrypted_pdf", "an encrypted PDF"),
    ("no_text_layer", "a PDF without text (a scan): needs OCR"),
    ("engine_crash", "the PDF engine failed on this file"),
    ("unreadable", "a folder or file that cannot be listed or read, or a PDF the engine could not open"),
    ("memory_limit", "a PDF worker went over --max-memory"),
    ("not_a_file", "a FIFO, socket or device named *.txt/*.pdf: skipped without opening it"),
    ("write_failed", "the record could not be written (disk full, permission, a path in the way)"),
    ("missing", "a path given or linked that is not there"),
    ("symlink_loop", "a symbolic link back to a folder above it: reported once, not followed"),
    ("internal", "a bug in the parser on this file"),
];

/// Every warning code (extraction and consistency).
pub fn warning_codes() -> impl Iterator<Item = &'static str> {
    WARNINGS.iter().chain(FINDINGS).map(|(c, _)| *c)
}

/// Every error code.
pub fn error_codes() -> impl Iterator<Item = &'static str> {
    ERRORS.iter().map(|(c, _)| *c)
}
