//! Nightscout's formats, without HTTP: SGV entries (JSON and tab-separated text), the
//! `/pebble` summary, and the entries query. The facade's handlers are in
//! [`crate::routes::nightscout_facade`].

pub mod entry;
pub mod pebble;
pub mod query;
pub mod tsv;

pub use entry::{entries, SgvEntry};
pub use query::EntriesQuery;
