//! Subcommands and modes of the `piasheet` binary that live outside `main.rs`, which
//! keeps only the argument definitions and the dispatch.

pub mod diff;
pub mod docs;
pub mod stdout;
