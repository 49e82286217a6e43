//! The Dexcom Share client: wire formats, errors and the HTTP calls. Knows nothing of routing.

pub mod client;
pub mod error;
pub mod observe;
pub mod scrub;
pub mod wire;

pub use client::{ShareClient, ShareEndpoint};
pub use error::ShareError;
pub use observe::{CallObserver, Endpoint, Outcome};
