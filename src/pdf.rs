//! PDF input: positioned glyphs and ruling lines → cells → reading-order lines.
//! (Interface stub; the geometry reader lands here.)

use serde::{Deserialize, Serialize};

/// One visual line of the rebuilt reading order, with where it came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LayoutLine {
    pub text: String,
    /// 1-based page number.
    pub page: u32,
    /// [x0, y0, x1, y1] in PDF points (origin bottom-left).
    pub bbox: [f32; 4],
}

/// One row of the 変更箇所 table, cells left to right
/// (変更日, 項目, 変更前の記載, 変更後の記載, 提出時期, 提出時期に係る説明).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableRow {
    pub page: u32,
    pub cells: Vec<String>,
}

/// What the PDF reader hands to the extractor.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PdfLayout {
    /// Page count declared by the document.
    pub pages: usize,
    /// Reading-order lines of the whole document (cells rebuilt from geometry).
    pub lines: Vec<LayoutLine>,
    /// Rows of the change-history table, header rows excluded, in visual order.
    pub change_rows: Vec<TableRow>,
}

/// Why a PDF could not be read. `code` is one of the batch error codes
/// (`truncated_pdf`, `encrypted_pdf`, `no_text_layer`, `engine_crash`, `timeout`, `binary`, …).
#[derive(Debug, Clone, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct PdfError {
    pub code: String,
    pub message: String,
}

/// Read a PDF in a supervised worker process (a panic, abort or stack overflow in the
/// engine ends only the worker). Stub until the geometry reader lands.
pub fn read_pdf(_path: &std::path::Path, _bytes: &[u8], _timeout: std::time::Duration) -> Result<PdfLayout, PdfError> {
    Err(PdfError { code: "unsupported".into(), message: "PDF input is not implemented yet".into() })
}

/// Entry point of the hidden `__pdf-worker` subcommand (see main.rs).
pub fn worker_main() -> i32 {
    2
}
