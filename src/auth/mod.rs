//! Access control without HTTP: which tokens open which account (compared in constant time),
//! and the growing delay for clients that keep presenting wrong tokens. `routes::access`
//! applies it to requests.

mod client;
mod failures;
mod token;

pub use client::ClientKey;
pub use failures::{AuthFailures, FAILURE_DELAY_STEP, MAX_FAILURE_DELAY};
pub use token::{AccountAccess, Sha1Digest, TokenDigest};
