//! Query strings: the raw pairs ([`QueryParams`]), and the typed queries built from them
//! ([`FromQuery`]). Each typed query is one struct that both parses and, through its
//! `IntoParams` derive, documents its parameters, so the OpenAPI document lists what the
//! handlers accept. Repeated parameters are refused (except by the facade's entries query, where
//! the last of a repeated parameter wins); unknown ones are ignored (browsers and hubs add
//! cache-busters).

use actix_web::web;
use utoipa::IntoParams;

use crate::domain::Secret;
use crate::error::ApiError;

pub struct QueryParams {
    pairs: Vec<(String, String)>,
    /// The names a parser asked for, so that tests can hold each typed query's parser to the
    /// parameters it documents.
    #[cfg(test)]
    asked: std::cell::RefCell<Vec<String>>,
}

/// A parameter that must appear at most once appeared several times.
struct Repeated;

/// A typed query: parsed from the request's [`QueryParams`], documented by `IntoParams`.
pub trait FromQuery: IntoParams + Sized {
    fn from_query(query: &QueryParams) -> Result<Self, ApiError>;
}

impl QueryParams {
    pub fn parse(raw: &str) -> Result<QueryParams, ApiError> {
        web::Query::<Vec<(String, String)>>::from_query(raw)
            .map(|q| QueryParams::from_pairs(q.into_inner()))
            .map_err(|e| ApiError::QueryInvalid(e.to_string()))
    }

    fn from_pairs(pairs: Vec<(String, String)>) -> QueryParams {
        QueryParams {
            pairs,
            #[cfg(test)]
            asked: Default::default(),
        }
    }

    /// Every (name, value) pair, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The value of `name`, or `Err(Repeated)` when it is given more than once.
    fn single(&self, name: &str) -> Result<Option<&str>, Repeated> {
        #[cfg(test)]
        self.asked.borrow_mut().push(name.to_owned());
        let mut values = self
            .pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str());
        match (values.next(), values.next()) {
            (first, None) => Ok(first),
            _ => Err(Repeated),
        }
    }

    /// The value of `name`; given more than once, `query_invalid` naming it.
    pub fn at_most_once(&self, name: &str) -> Result<Option<&str>, ApiError> {
        self.single(name)
            .map_err(|Repeated| ApiError::QueryInvalid(format!("{name} is given more than once")))
    }

    /// Reads an optional parameter with `parse`, mapping any problem to `invalid`.
    pub fn parsed<T>(
        &self,
        name: &str,
        parse: fn(&str) -> Option<T>,
        invalid: impl Fn(String) -> ApiError,
    ) -> Result<Option<T>, ApiError> {
        match self.single(name) {
            Err(Repeated) => Err(invalid("given more than once".to_owned())),
            Ok(None) => Ok(None),
            Ok(Some(raw)) => parse(raw)
                .map(Some)
                .ok_or_else(|| invalid(format!("got {:?}", truncate(raw)))),
        }
    }
}

/// Echoes at most 40 characters of a bad value back to the caller.
pub fn truncate(raw: &str) -> String {
    raw.chars().take(40).collect()
}

/// `?account=`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountQuery {
    /// Account name; may be left out when exactly one account is configured or a token is
    /// given (the token's account is meant).
    pub account: Option<String>,
}

impl FromQuery for AccountQuery {
    fn from_query(query: &QueryParams) -> Result<Self, ApiError> {
        Ok(AccountQuery {
            account: query.at_most_once("account")?.map(str::to_owned),
        })
    }
}

/// The query parameter for clients that cannot set headers (hubs, watch faces).
pub const TOKEN_PARAM: &str = "token";

/// `?token=`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenQuery {
    /// An access token, for clients that cannot send `Authorization: Bearer <token>` (hubs,
    /// watch faces, a browser's `EventSource`). Prefer the header: URLs end up in browser
    /// histories and proxy logs. Empty counts as none.
    #[param(value_type = Option<String>)]
    pub token: Option<Secret<String>>,
}

impl FromQuery for TokenQuery {
    fn from_query(query: &QueryParams) -> Result<Self, ApiError> {
        Ok(TokenQuery {
            token: query
                .at_most_once(TOKEN_PARAM)?
                .filter(|t| !t.is_empty())
                .map(|t| Secret::new(t.to_owned())),
        })
    }
}

#[cfg(test)]
pub(crate) mod documented {
    //! Holds each typed query's parser to the parameters it documents.

    use utoipa::openapi::path::ParameterIn;

    use super::*;

    /// Asserts that `Q` documents exactly the parameters its parser reads, in any order.
    pub fn assert_documents_what_it_parses<Q: FromQuery>() {
        let query = QueryParams::from_pairs(Vec::new());
        // An empty query must parse: every parameter is optional.
        assert!(Q::from_query(&query).is_ok(), "an empty query is refused");
        let mut asked = query.asked.into_inner();
        asked.sort();
        asked.dedup();
        let mut listed: Vec<String> = Q::into_params(|| Some(ParameterIn::Query))
            .into_iter()
            .map(|p| p.name)
            .collect();
        listed.sort();
        assert_eq!(listed, asked, "documented vs parsed parameters");
    }

    /// The `maximum` `Q` documents for its parameter `name`.
    pub fn documented_maximum<Q: IntoParams>(name: &str) -> Option<f64> {
        schema_of::<Q>(name)?
            .maximum
            .and_then(|n| serde_json::to_value(n).ok()?.as_f64())
    }

    /// The `default` `Q` documents for its parameter `name`.
    pub fn documented_default<Q: IntoParams>(name: &str) -> Option<serde_json::Value> {
        schema_of::<Q>(name)?.default
    }

    fn schema_of<Q: IntoParams>(name: &str) -> Option<utoipa::openapi::schema::Object> {
        use utoipa::openapi::{RefOr, Schema};
        let param = Q::into_params(|| Some(ParameterIn::Query))
            .into_iter()
            .find(|p| p.name == name)?;
        match param.schema? {
            RefOr::T(Schema::Object(object)) => Some(object),
            _ => None,
        }
    }

    #[test]
    fn account_and_token_document_what_they_parse() {
        assert_documents_what_it_parses::<AccountQuery>();
        assert_documents_what_it_parses::<TokenQuery>();
    }

    #[test]
    fn an_empty_token_is_none_and_a_repeated_one_is_refused() {
        let empty = QueryParams::parse("token=").unwrap();
        assert!(TokenQuery::from_query(&empty).unwrap().token.is_none());
        let twice = QueryParams::parse("token=a&token=b").unwrap();
        let Err(ApiError::QueryInvalid(message)) = TokenQuery::from_query(&twice) else {
            panic!("a repeated token must be query_invalid");
        };
        assert_eq!(message, "token is given more than once");
    }
}
