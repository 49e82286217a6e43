//! Domain types: each parses its input once, so the rest of the service only sees valid values.

pub mod account_name;
pub mod reading;
pub mod region;
pub mod secret;
pub mod trend;
pub mod window_params;

pub use account_name::AccountName;
pub use reading::Reading;
pub use region::Region;
pub use secret::Secret;
pub use trend::Trend;
pub use window_params::{MaxCount, Minutes};
