//! piasheet: 特定個人情報保護評価書 (PIA sheets) → typed records.
pub mod pdf;
