//! Nightscout's tab-separated entries format, which `/api/v1/entries` answers when the client
//! does not ask for JSON (older GlucoDataHandler versions parse it).

use super::SgvEntry;

/// `"dateString"\tdate\tsgv\t"direction"\t"device"`, one line per entry.
pub fn render(entries: &[SgvEntry]) -> String {
    entries
        .iter()
        .map(|e| {
            format!(
                "\"{}\"\t{}\t{}\t\"{}\"\t\"{}\"\n",
                e.date_string, e.date, e.sgv, e.direction, e.device
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{FixedOffset, TimeZone};

    use super::*;
    use crate::domain::{Reading, Trend};

    #[test]
    fn one_line_per_entry_with_quoted_strings() {
        let time = FixedOffset::east_opt(0)
            .and_then(|o| o.timestamp_millis_opt(1_700_000_000_000).single())
            .expect("valid time");
        let reading = Reading::new(142, Trend::NotComputable, time).expect("valid reading");
        let text = render(&[SgvEntry::new("a", &reading, None)]);
        assert_eq!(
            text,
            "\"2023-11-14T22:13:20.000Z\"\t1700000000000\t142\t\"NOT COMPUTABLE\"\t\"dexcom-share-proxy\"\n"
        );
    }
}
