//! Trend arrows, with the numbering and text tables pydexcom users know.

/// Direction of the glucose curve, as Share reports it (numbered 0–9 as in Share's
/// pre-2021 integer form and in pydexcom).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Trend {
    None,
    DoubleUp,
    SingleUp,
    FortyFiveUp,
    Flat,
    FortyFiveDown,
    SingleDown,
    DoubleDown,
    NotComputable,
    RateOutOfRange,
}

const ALL: [Trend; 10] = [
    Trend::None,
    Trend::DoubleUp,
    Trend::SingleUp,
    Trend::FortyFiveUp,
    Trend::Flat,
    Trend::FortyFiveDown,
    Trend::SingleDown,
    Trend::DoubleDown,
    Trend::NotComputable,
    Trend::RateOutOfRange,
];

/// Spellings other clients and older Share versions use for the three unconfirmed trends,
/// already folded (lower case, no spaces or underscores).
const ALIASES: [(&str, Trend); 3] = [
    ("outofrange", Trend::RateOutOfRange),
    ("ratehigh", Trend::RateOutOfRange),
    ("ratelow", Trend::RateOutOfRange),
];

impl Trend {
    /// The number Share and pydexcom use (0–9).
    pub fn number(self) -> u8 {
        self as u8
    }

    pub fn from_number(n: i64) -> Option<Trend> {
        usize::try_from(n).ok().and_then(|i| ALL.get(i).copied())
    }

    /// Share's (and pydexcom's) name, e.g. `FortyFiveUp`.
    pub fn share_name(self) -> &'static str {
        match self {
            Trend::None => "None",
            Trend::DoubleUp => "DoubleUp",
            Trend::SingleUp => "SingleUp",
            Trend::FortyFiveUp => "FortyFiveUp",
            Trend::Flat => "Flat",
            Trend::FortyFiveDown => "FortyFiveDown",
            Trend::SingleDown => "SingleDown",
            Trend::DoubleDown => "DoubleDown",
            Trend::NotComputable => "NotComputable",
            Trend::RateOutOfRange => "RateOutOfRange",
        }
    }

    /// pydexcom's `TREND_DESCRIPTIONS`.
    pub fn description(self) -> &'static str {
        match self {
            Trend::None => "",
            Trend::DoubleUp => "rising quickly",
            Trend::SingleUp => "rising",
            Trend::FortyFiveUp => "rising slightly",
            Trend::Flat => "steady",
            Trend::FortyFiveDown => "falling slightly",
            Trend::SingleDown => "falling",
            Trend::DoubleDown => "falling quickly",
            Trend::NotComputable => "unable to determine trend",
            Trend::RateOutOfRange => "trend unavailable",
        }
    }

    /// pydexcom's `TREND_ARROWS`.
    pub fn arrow(self) -> &'static str {
        match self {
            Trend::None => "",
            Trend::DoubleUp => "↑↑",
            Trend::SingleUp => "↑",
            Trend::FortyFiveUp => "↗",
            Trend::Flat => "→",
            Trend::FortyFiveDown => "↘",
            Trend::SingleDown => "↓",
            Trend::DoubleDown => "↓↓",
            Trend::NotComputable => "?",
            Trend::RateOutOfRange => "-",
        }
    }

    /// Reads a trend name. Matching ignores case, spaces and underscores, so Share's
    /// `NotComputable`, Nightscout's `NOT COMPUTABLE` and xDrip's `NOT_COMPUTABLE` agree;
    /// anything else is refused rather than guessed.
    pub fn from_name(name: &str) -> Option<Trend> {
        let folded: String = name
            .chars()
            .filter(|c| !matches!(c, ' ' | '_' | '-'))
            .flat_map(char::to_lowercase)
            .collect();
        ALL.iter()
            .copied()
            .find(|t| t.share_name().to_ascii_lowercase() == folded)
            .or_else(|| {
                ALIASES
                    .iter()
                    .find(|(alias, _)| *alias == folded)
                    .map(|(_, t)| *t)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip_for_all_ten_trends() {
        for (i, trend) in ALL.iter().enumerate() {
            assert_eq!(trend.number() as usize, i);
            assert_eq!(Trend::from_number(i as i64), Some(*trend));
        }
        assert_eq!(Trend::from_number(10), None);
        assert_eq!(Trend::from_number(-1), None);
    }

    #[test]
    fn names_from_every_known_client_are_read() {
        let cases = [
            ("Flat", Trend::Flat),
            ("FortyFiveUp", Trend::FortyFiveUp),
            ("None", Trend::None),
            ("NONE", Trend::None),
            ("NotComputable", Trend::NotComputable),
            ("NOT COMPUTABLE", Trend::NotComputable),
            ("NOT_COMPUTABLE", Trend::NotComputable),
            ("RateOutOfRange", Trend::RateOutOfRange),
            ("RATE OUT OF RANGE", Trend::RateOutOfRange),
            ("OUT_OF_RANGE", Trend::RateOutOfRange),
            ("doubledown", Trend::DoubleDown),
        ];
        for (name, want) in cases {
            assert_eq!(Trend::from_name(name), Some(want), "{name}");
        }
    }

    #[test]
    fn unknown_names_are_refused() {
        for name in ["", "Up", "TripleUp", "Flat!", "4"] {
            assert_eq!(Trend::from_name(name), None, "{name}");
        }
    }

    #[test]
    fn tables_match_pydexcom() {
        assert_eq!(Trend::Flat.description(), "steady");
        assert_eq!(Trend::Flat.arrow(), "→");
        assert_eq!(Trend::DoubleDown.arrow(), "↓↓");
        assert_eq!(Trend::NotComputable.arrow(), "?");
        assert_eq!(Trend::RateOutOfRange.description(), "trend unavailable");
    }
}
