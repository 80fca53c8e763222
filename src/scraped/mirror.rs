//! Mirror-site text views (see `research/scraped-text.md`).

use super::{Rebuilt, TextLayout};

pub(super) fn rebuild(_text: &str, _shape: TextLayout) -> Option<Rebuilt> {
    None
}
