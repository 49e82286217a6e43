//! Nightscout's entries query: `count` and Mongo-style `find[date][$op]` /
//! `find[dateString][$op]` filters.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::Required;
use utoipa::IntoParams;

/// The `find[…]` fields understood: epoch milliseconds, and ISO 8601 text.
const FIND_FIELDS: [&str; 2] = ["date", "dateString"];
/// The `find[field][…]` operators understood.
const FIND_OPERATORS: [&str; 4] = ["$gt", "$gte", "$lt", "$lte"];

/// Nightscout's default page size.
pub const DEFAULT_COUNT: usize = 10;
/// More than two days of readings, for clients asking for "everything" (xDrip+ asks 2880).
const MAX_COUNT: usize = 100_000;

/// A parsed entries query.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct EntriesQuery {
    pub count: Option<usize>,
    /// Bounds on the reading time in epoch milliseconds: (> , >=, <, <=).
    pub gt: Option<i64>,
    pub gte: Option<i64>,
    pub lt: Option<i64>,
    pub lte: Option<i64>,
}

impl EntriesQuery {
    /// Reads the parameters this service understands and ignores the rest (`rr` cache busters,
    /// `find[type]`…). Errors name the parameter.
    pub fn parse(params: &[(String, String)]) -> Result<EntriesQuery, String> {
        let mut query = EntriesQuery::default();
        for (key, value) in params {
            match key.as_str() {
                "count" => {
                    // As in Nightscout (a Mongo limit), 0 means no limit.
                    let count = value
                        .parse::<usize>()
                        .ok()
                        .filter(|c| *c <= MAX_COUNT)
                        .ok_or_else(|| {
                            format!("count must be a whole number from 0 to {MAX_COUNT}")
                        })?;
                    query.count = Some(if count == 0 { MAX_COUNT } else { count });
                }
                _ => {
                    let Some((field, op)) = find_operator(key) else {
                        continue;
                    };
                    let millis = match field {
                        "date" => value
                            .parse::<i64>()
                            .map_err(|_| format!("{key} must be epoch milliseconds"))?,
                        _ => parse_date_string(value)
                            .ok_or_else(|| format!("{key} must be an ISO 8601 date or time"))?
                            .timestamp_millis(),
                    };
                    let slot = match op {
                        "$gt" => &mut query.gt,
                        "$gte" => &mut query.gte,
                        "$lt" => &mut query.lt,
                        _ => &mut query.lte,
                    };
                    *slot = Some(millis);
                }
            }
        }
        Ok(query)
    }

    /// Whether the query filters by date at all (Nightscout limits unfiltered queries to the
    /// last 4 days; this service holds one day).
    pub fn has_date_filter(&self) -> bool {
        self.gt.is_some() || self.gte.is_some() || self.lt.is_some() || self.lte.is_some()
    }

    /// Whether a reading taken at `t` (epoch ms) passes the date filters.
    pub fn matches(&self, t: i64) -> bool {
        self.gt.is_none_or(|b| t > b)
            && self.gte.is_none_or(|b| t >= b)
            && self.lt.is_none_or(|b| t < b)
            && self.lte.is_none_or(|b| t <= b)
    }

    /// How many entries to answer at most (default 10).
    pub fn limit(&self) -> usize {
        self.count.unwrap_or(DEFAULT_COUNT)
    }
}

/// Documents the parameters [`EntriesQuery::parse`] reads, from the same tables.
impl IntoParams for EntriesQuery {
    fn into_params(parameter_in: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let place = parameter_in().unwrap_or(ParameterIn::Query);
        let optional = |name: String, description: String, schema: ObjectBuilder| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(place.clone())
                .required(Required::False)
                .description(Some(description))
                .schema(Some(schema))
                .build()
        };
        let count = optional(
            "count".to_owned(),
            format!(
                "How many entries, newest first (default {DEFAULT_COUNT}; 0 means all, as in \
                 Nightscout)."
            ),
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .maximum(Some(MAX_COUNT as f64)),
        );
        let finds = FIND_FIELDS.into_iter().flat_map(|field| {
            FIND_OPERATORS.into_iter().map(move |op| {
                let name = format!("find[{field}][{op}]");
                let bound = match op {
                    "$gt" => "after",
                    "$gte" => "at or after",
                    "$lt" => "before",
                    _ => "at or before",
                };
                if field == "date" {
                    optional(
                        name,
                        format!("Only entries {bound} this epoch-millisecond time."),
                        ObjectBuilder::new()
                            .schema_type(Type::Integer)
                            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))),
                    )
                } else {
                    optional(
                        name,
                        format!(
                            "Only entries {bound} this ISO 8601 time (a bare date such as \
                             `2026-11-26` means its midnight UTC)."
                        ),
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
                    )
                }
            })
        });
        std::iter::once(count).chain(finds).collect()
    }
}

/// `find[date][$gt]` → (`date`, `$gt`).
fn find_operator(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix("find[")?;
    let (field, rest) = rest.split_once("][")?;
    let op = rest.strip_suffix(']')?;
    (FIND_FIELDS.contains(&field) && FIND_OPERATORS.contains(&op)).then_some((field, op))
}

/// ISO 8601 as clients send it: a full timestamp (a space stands for a `+` that the query
/// string turned into a space), a timestamp without zone (UTC), or a bare date (midnight UTC).
fn parse_date_string(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim().replace(' ', "+");
    if let Ok(t) = DateTime::parse_from_rfc3339(&raw) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(&raw, format) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(&raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn xdrip_and_glucodatahandler_queries_parse() {
        let q = EntriesQuery::parse(&params(&[
            ("count", "2880"),
            ("find[date][$gt]", "1700000000000"),
            ("rr", "123"),
        ]))
        .expect("valid query");
        assert_eq!(q.count, Some(2880));
        assert_eq!(q.gt, Some(1_700_000_000_000));
        assert!(q.has_date_filter());
    }

    #[test]
    fn date_strings_in_every_client_shape_parse() {
        for (raw, want) in [
            ("2023-11-14T22:13:20.000Z", 1_700_000_000_000),
            ("2023-11-14T23:13:20+01:00", 1_700_000_000_000),
            ("2023-11-14T23:13:20 01:00", 1_700_000_000_000),
            ("2023-11-14T22:13:20", 1_700_000_000_000),
            ("2023-11-14", 1_699_920_000_000),
        ] {
            let q = EntriesQuery::parse(&params(&[("find[dateString][$gte]", raw)])).expect(raw);
            assert_eq!(q.gte, Some(want), "{raw}");
        }
    }

    #[test]
    fn bad_values_name_the_parameter() {
        for (key, value) in [
            ("count", "-1"),
            ("count", "ten"),
            ("count", "1000001"),
            ("find[date][$gt]", "yesterday"),
            ("find[dateString][$lt]", "soon"),
        ] {
            let error = EntriesQuery::parse(&params(&[(key, value)])).expect_err(value);
            assert!(error.contains(key), "{error}");
        }
    }

    #[test]
    fn every_documented_parameter_is_read() {
        let documented = EntriesQuery::into_params(|| Some(ParameterIn::Query));
        assert_eq!(
            documented.len(),
            1 + FIND_FIELDS.len() * FIND_OPERATORS.len()
        );
        for param in documented {
            let value = if param.name.contains("dateString") {
                "2026-11-26"
            } else {
                "5"
            };
            let query = EntriesQuery::parse(&params(&[(&param.name, value)])).expect("valid");
            assert_ne!(query, EntriesQuery::default(), "{} is not read", param.name);
        }
    }

    #[test]
    fn the_last_of_a_repeated_parameter_wins() {
        let q = EntriesQuery::parse(&params(&[
            ("count", "3"),
            ("count", "7"),
            ("find[date][$gt]", "1"),
            ("find[date][$gt]", "2"),
        ]))
        .expect("valid");
        assert_eq!((q.count, q.gt), (Some(7), Some(2)));
    }

    #[test]
    fn count_0_means_no_limit_as_in_nightscout() {
        let q = EntriesQuery::parse(&params(&[("count", "0")])).expect("valid");
        assert_eq!(q.count, Some(MAX_COUNT));
    }

    #[test]
    fn unknown_parameters_and_operators_are_ignored() {
        let q = EntriesQuery::parse(&params(&[
            ("find[type]", "sgv"),
            ("find[date][$ne]", "1"),
            ("token", "x"),
        ]))
        .expect("ignored");
        assert_eq!(q, EntriesQuery::default());
    }
}
