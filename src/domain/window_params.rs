//! Query parameters of `/readings`, parsed into types that cannot hold a bad value.

/// Minutes to look back, 1..=1440 (one day, the most Share keeps).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Minutes(u16);

/// Maximum number of readings, 1..=288 (one day at one reading every 5 minutes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MaxCount(u16);

impl Minutes {
    pub const MAX: u16 = 1440;
    pub const FULL_DAY: Minutes = Minutes(Self::MAX);

    pub fn parse(raw: &str) -> Option<Minutes> {
        parse_bounded(raw, Self::MAX).map(Minutes)
    }

    /// `n` clamped to 1..=1440.
    pub fn new(n: u16) -> Minutes {
        Minutes(n.clamp(1, Self::MAX))
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

impl MaxCount {
    pub const MAX: u16 = 288;
    pub const FULL_DAY: MaxCount = MaxCount(Self::MAX);

    pub fn parse(raw: &str) -> Option<MaxCount> {
        parse_bounded(raw, Self::MAX).map(MaxCount)
    }

    /// `n` clamped to 1..=288.
    pub fn new(n: u16) -> MaxCount {
        MaxCount(n.clamp(1, Self::MAX))
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

/// Plain decimal digits only: no sign, no spaces, no fractions, so `+5`, ` 5` and `5.0` are
/// refused instead of being read as something the caller may not have meant.
fn parse_bounded(raw: &str, max: u16) -> Option<u16> {
    if raw.is_empty() || raw.len() > 5 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u16 = raw.parse().ok()?;
    (1..=max).contains(&n).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_accept_exactly_1_to_1440() {
        let cases = [
            ("1", Some(1)),
            ("1440", Some(1440)),
            ("0010", Some(10)),
            ("0", None),
            ("1441", None),
            ("", None),
            ("-1", None),
            ("+5", None),
            (" 5", None),
            ("5.0", None),
            ("ten", None),
            ("99999999999999999999", None),
            ("65536", None),
        ];
        for (raw, want) in cases {
            assert_eq!(Minutes::parse(raw).map(Minutes::get), want, "{raw:?}");
        }
    }

    #[test]
    fn max_count_accepts_exactly_1_to_288() {
        let cases = [
            ("1", Some(1)),
            ("288", Some(288)),
            ("0", None),
            ("289", None),
            ("1e2", None),
        ];
        for (raw, want) in cases {
            assert_eq!(MaxCount::parse(raw).map(MaxCount::get), want, "{raw:?}");
        }
    }
}
