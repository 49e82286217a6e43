//! The arithmetic of HTTP validators for answers that change with time.
//!
//! An answer changes when its window changes, and also as time passes: a reading turns
//! `stale` ten minutes after it was taken, and leaves `?minutes=` (or the day) when it gets
//! older than that. Bodies are rendered on whole seconds, so every such change happens on a
//! whole second, and `Last-Modified` is the latest of them: a client revalidating with
//! `If-Modified-Since` after a reading turned stale gets the new body, never a 304.

use chrono::{DateTime, Duration, DurationRound, Utc};
use sha2::{Digest, Sha256};

use crate::domain::Reading;

/// `now`, down to its whole second: the instant an answer is rendered for.
pub fn second_of(now: DateTime<Utc>) -> DateTime<Utc> {
    now.duration_trunc(Duration::seconds(1)).unwrap_or(now)
}

/// The first whole second at which more than `span` has passed since `t`.
pub fn crossing(t: DateTime<Utc>, span: Duration) -> DateTime<Utc> {
    second_of(t + span) + Duration::seconds(1)
}

/// `t`, up to the next whole second (itself when whole).
pub fn ceil_second(t: DateTime<Utc>) -> DateTime<Utc> {
    let down = second_of(t);
    if down == t {
        t
    } else {
        down + Duration::seconds(1)
    }
}

/// The time-driven changes of one answer: the latest that has happened (for
/// `Last-Modified`) and the next that will (so that `Cache-Control: max-age` never outlives
/// the body).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub last: Option<DateTime<Utc>>,
    pub next: Option<DateTime<Utc>>,
}

impl Changes {
    /// Adds the change at which more than `span` has passed since `reading` was taken, as
    /// seen from `at`.
    pub fn crossing(&mut self, reading: &Reading, span: Duration, at: DateTime<Utc>) {
        let when = crossing(reading.instant(), span);
        if when <= at {
            self.last = self.last.max(Some(when));
        } else {
            self.next = Some(self.next.map_or(when, |n| n.min(when)));
        }
    }
}

/// A strong entity tag built from what an answer says (never from when it was made).
pub struct Fingerprint(Sha256);

impl Fingerprint {
    pub fn new(kind: &str, account: &str) -> Fingerprint {
        let mut f = Fingerprint(Sha256::new());
        f.text(kind);
        f.text(account);
        f
    }

    pub fn text(&mut self, text: &str) {
        self.bytes(text.as_bytes());
    }

    pub fn bytes(&mut self, bytes: &[u8]) {
        self.0.update((bytes.len() as u64).to_be_bytes());
        self.0.update(bytes);
    }

    /// A reading as an answer shows it (its age aside), and whether it is shown stale.
    pub fn reading(&mut self, reading: &Reading, stale: bool) {
        self.0.update(reading.epoch_ms().to_be_bytes());
        self.0.update(reading.offset_minutes_i32().to_be_bytes());
        self.0.update(reading.mg_dl.to_be_bytes());
        self.0.update([reading.trend.number(), u8::from(stale)]);
    }

    /// `"<32 hex digits>"`.
    pub fn etag(self) -> String {
        let digest = self.0.finalize();
        let mut tag = String::with_capacity(34);
        tag.push('"');
        for byte in &digest[..16] {
            tag.push_str(&format!("{byte:02x}"));
        }
        tag.push('"');
        tag
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(ms).expect("time")
    }

    #[test]
    fn crossings_land_on_the_first_whole_second_past_the_span() {
        let ten = Duration::minutes(10);
        assert_eq!(crossing(t(1_000_500), ten), t(1_601_000));
        assert_eq!(crossing(t(1_000_000), ten), t(1_601_000));
        assert_eq!(ceil_second(t(1_000_001)), t(1_001_000));
        assert_eq!(ceil_second(t(1_000_000)), t(1_000_000));
        assert_eq!(second_of(t(1_999)), t(1_000));
    }

    #[test]
    fn fingerprints_differ_by_what_is_shown_and_not_otherwise() {
        let time = t(1_700_000_000_000).fixed_offset();
        let r = Reading::new(100, crate::domain::Trend::Flat, time).expect("valid");
        let tag = |stale| {
            let mut f = Fingerprint::new("current", "alice");
            f.reading(&r, stale);
            f.etag()
        };
        assert_eq!(tag(false), tag(false));
        assert_ne!(tag(false), tag(true));
        assert_eq!(tag(false).len(), 34);
        assert_ne!(
            Fingerprint::new("a", "bc").etag(),
            Fingerprint::new("ab", "c").etag()
        );
    }
}
