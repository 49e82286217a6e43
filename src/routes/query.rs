//! Query-string handling shared by the handlers: repeated parameters are refused, unknown
//! ones ignored (browsers and hubs add cache-busters).

use actix_web::web;

use crate::error::ApiError;

pub struct QueryParams(Vec<(String, String)>);

/// A parameter that must appear at most once appeared several times.
pub struct Repeated;

impl QueryParams {
    pub fn parse(raw: &str) -> Result<QueryParams, ApiError> {
        web::Query::<Vec<(String, String)>>::from_query(raw)
            .map(|q| QueryParams(q.into_inner()))
            .map_err(|e| ApiError::QueryInvalid(e.to_string()))
    }

    /// Every (name, value) pair, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// The value of `name`, or `Err(Repeated)` when it is given more than once.
    pub fn single(&self, name: &str) -> Result<Option<&str>, Repeated> {
        let mut values = self
            .0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str());
        match (values.next(), values.next()) {
            (first, None) => Ok(first),
            _ => Err(Repeated),
        }
    }

    /// Reads an optional numeric parameter with `parse`, mapping any problem to `invalid`.
    pub fn parsed<T>(
        &self,
        name: &str,
        parse: fn(&str) -> Option<T>,
        invalid: fn(String) -> ApiError,
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
