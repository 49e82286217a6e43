//! The facade's parameters, each a typed query that parses what it documents.

use actix_web::HttpRequest;
use utoipa::IntoParams;

use super::super::query::{FromQuery, QueryParams};
use crate::domain::MaxCount;
use crate::error::ApiError;
use crate::nightscout_format::pebble::PebbleUnits;
use crate::nightscout_format::EntriesQuery;

/// The query parameter of Nightscout's API secret.
pub const SECRET_PARAM: &str = "secret";

/// The `{account}` path segment (absent on root aliases).
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct NsAccountPath<'a> {
    /// Account name, as in `/accounts` (`demo` in `--demo` mode).
    #[param(example = "demo", pattern = "^[a-z0-9_-]{1,64}$")]
    pub account: &'a str,
}

impl NsAccountPath<'_> {
    /// The segment, or `None` on the root aliases.
    pub fn of(req: &HttpRequest) -> Option<NsAccountPath<'_>> {
        req.match_info()
            .get("account")
            .map(|account| NsAccountPath { account })
    }
}

/// `?secret=`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SecretQuery {
    /// Nightscout's API secret, for clients that cannot send the `api-secret` header: the
    /// lower-case SHA-1 hex of one of the account's tokens, or `token=<token>`.
    pub secret: Option<String>,
}

impl FromQuery for SecretQuery {
    fn from_query(query: &QueryParams) -> Result<Self, ApiError> {
        Ok(SecretQuery {
            secret: query.at_most_once(SECRET_PARAM)?.map(str::to_owned),
        })
    }
}

impl FromQuery for EntriesQuery {
    fn from_query(query: &QueryParams) -> Result<Self, ApiError> {
        EntriesQuery::parse(query.pairs()).map_err(ApiError::QueryInvalid)
    }
}

/// The parameters of `/pebble`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PebbleQuery {
    /// How many readings.
    #[param(value_type = Option<u16>, minimum = 1, maximum = 288, default = 1)]
    pub count: MaxCount,
    /// `mgdl` (default) or `mmol`; `mg/dl` and `mmol/l` are read too.
    #[param(value_type = Option<PebbleUnits>)]
    pub units: PebbleUnits,
}

impl FromQuery for PebbleQuery {
    fn from_query(query: &QueryParams) -> Result<Self, ApiError> {
        let count = match query.at_most_once("count")? {
            None => MaxCount::new(1),
            Some(raw) => MaxCount::parse(raw).ok_or_else(|| {
                ApiError::QueryInvalid(format!(
                    "count must be a whole number from 1 to {}",
                    MaxCount::MAX
                ))
            })?,
        };
        let units = match query.at_most_once("units")? {
            None => PebbleUnits::Mgdl,
            Some(raw) => PebbleUnits::parse(raw)
                .ok_or_else(|| ApiError::QueryInvalid("units must be mgdl or mmol".into()))?,
        };
        Ok(PebbleQuery { count, units })
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::query::documented::{
        assert_documents_what_it_parses, documented_default, documented_maximum,
    };
    use super::*;

    #[test]
    fn the_facade_queries_document_what_they_parse() {
        assert_documents_what_it_parses::<SecretQuery>();
        assert_documents_what_it_parses::<PebbleQuery>();
        assert_eq!(
            documented_maximum::<PebbleQuery>("count"),
            Some(f64::from(MaxCount::MAX))
        );
        let parsed = PebbleQuery::from_query(&QueryParams::parse("").unwrap()).unwrap();
        assert_eq!(
            documented_default::<PebbleQuery>("count"),
            Some(parsed.count.get().into()),
            "the documented default is the one applied"
        );
    }

    #[test]
    fn pebble_count_is_a_max_count() {
        let parse = |raw: &str| {
            let query = QueryParams::parse(raw).unwrap();
            PebbleQuery::from_query(&query).map(|q| q.count.get())
        };
        assert_eq!(parse("").ok(), Some(1));
        assert_eq!(parse("count=288").ok(), Some(288));
        for bad in [
            "count=0",
            "count=289",
            "count=%2B5",
            "count=5.0",
            "count=1&count=2",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
