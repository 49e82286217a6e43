//! The read side of the Nightscout REST API, served from the cached window: entries, the
//! `/pebble` summary and the status document that Nightscout clients ask for.

pub mod entry;
pub mod pebble;
pub mod query;
pub mod tsv;

pub use entry::{entries, SgvEntry};
pub use query::EntriesQuery;
