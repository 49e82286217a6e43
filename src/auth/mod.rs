//! Access control without HTTP: which tokens open which account (compared in constant time),
//! and the growing delay (then 429) for clients that keep presenting wrong tokens. `routes::access`
//! applies it to requests.

mod client;
mod failures;
mod token;

pub use client::ClientKey;
pub use failures::{
    AuthFailures, FailureAnswer, Recorded, WaitingSlot, FAILURE_DELAY_STEP, MAX_FAILURE_DELAY,
    MAX_RECENT_FAILURES, MAX_WAITING_FAILURES,
};
pub use token::{AccountAccess, Sha1Digest, TokenDigest};
