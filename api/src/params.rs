//! Query parameters and JSON bodies read by hand, so that every refusal names the field at fault (axum's
//! extractors answer plain text without it), and opaque keyset cursors.

use std::collections::HashMap;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

const NUL_REFUSED: &str = "contains a NUL character (\\u0000), which text cannot hold";

/// The query string, decoded. A parameter given twice keeps its last value.
#[derive(Debug, Default)]
pub struct Params(HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let params: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        // PostgreSQL text cannot hold a NUL character: refuse it here rather than fail the query.
        if let Some((name, _)) = params.iter().find(|(_, v)| v.contains('\0')) {
            return Err(ApiError::invalid(name, NUL_REFUSED));
        }
        Ok(Self(params))
    }
}

impl Params {
    /// A present, non-empty parameter.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn one_of(
        &self,
        name: &str,
        allowed: &[&'static str],
    ) -> Result<Option<&'static str>, ApiError> {
        let Some(value) = self.str(name) else {
            return Ok(None);
        };
        allowed
            .iter()
            .find(|a| **a == value)
            .map(|a| Some(*a))
            .ok_or_else(|| {
                ApiError::invalid(
                    name,
                    format!("`{value}` is not one of {}", allowed.join(", ")),
                )
            })
    }

    /// A non-negative integer that fits PostgreSQL's bigint.
    pub fn id(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.str(name).map(|v| parse_id(name, v)).transpose()
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.str(name) {
            None => Ok(None),
            Some("true" | "1") => Ok(Some(true)),
            Some("false" | "0") => Ok(Some(false)),
            Some(other) => Err(ApiError::invalid(
                name,
                format!("`{other}` is not true or false"),
            )),
        }
    }

    pub fn time(&self, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
        self.str(name)
            .map(|v| {
                DateTime::parse_from_rfc3339(v)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| ApiError::invalid(name, format!("`{v}` is not an RFC 3339 time")))
            })
            .transpose()
    }

    /// Free text, at most `max` characters.
    pub fn text(&self, name: &str, max: usize) -> Result<Option<&str>, ApiError> {
        match self.str(name) {
            Some(v) if v.chars().count() > max => Err(ApiError::invalid(
                name,
                format!("longer than {max} characters"),
            )),
            other => Ok(other),
        }
    }

    /// `limit`: 1-200, 50 by default.
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.str("limit") {
            None => Ok(50),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=200).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid("limit", format!("`{v}` is not a number from 1 to 200"))
                }),
        }
    }

    pub fn cursor(&self) -> Result<Option<Cursor>, ApiError> {
        self.str("cursor")
            .map(|c| {
                Cursor::decode(c)
                    .ok_or_else(|| ApiError::invalid("cursor", "not a cursor this API gave"))
            })
            .transpose()
    }
}

pub fn parse_id(name: &str, value: &str) -> Result<i64, ApiError> {
    value
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| ApiError::invalid(name, format!("`{value}` is not a non-negative integer")))
}

/// Where a page ended, in the list's order: a time (microseconds) and an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub at_micros: i64,
    pub id: i64,
}

impl Cursor {
    pub fn new(at: Option<DateTime<Utc>>, id: i64) -> Self {
        Self {
            at_micros: at.map_or(0, |t| t.timestamp_micros()),
            id,
        }
    }

    pub fn at(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.at_micros).unwrap_or_default()
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.at_micros, self.id))
    }

    pub fn decode(text: &str) -> Option<Self> {
        let raw = URL_SAFE_NO_PAD.decode(text).ok()?;
        let raw = std::str::from_utf8(&raw).ok()?;
        let (at, id) = raw.split_once(':')?;
        Some(Self {
            at_micros: at.parse().ok()?,
            id: id.parse().ok()?,
        })
    }
}

/// A JSON body; a member of the wrong type or an unknown member is refused with its path as the field.
pub fn json_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if let Some(field) = nul_in_strings(body) {
        return Err(ApiError::invalid(&field, NUL_REFUSED));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::invalid("body", format!("not valid JSON: {inner}"));
        }
        let message = inner.to_string();
        // serde reports a missing member at its parent's path: name the member itself.
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let field = match (missing, path.as_str()) {
            (Some(name), ".") => name.to_owned(),
            (Some(name), parent) => format!("{parent}.{name}"),
            (None, ".") => "body".to_owned(),
            (None, _) => path,
        };
        ApiError::Invalid {
            message,
            field: Some(field),
        }
    })
}

/// The path of a JSON string holding a NUL character (PostgreSQL text cannot hold one, and the worker would fail
/// on it long after the API said 202). Only bodies that spell `\u0000` are parsed twice.
fn nul_in_strings(body: &[u8]) -> Option<String> {
    fn walk(value: &serde_json::Value, path: &str) -> Option<String> {
        match value {
            serde_json::Value::String(s) if s.contains('\0') => Some(path.to_owned()),
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, v)| walk(v, &format!("{path}[{i}]"))),
            serde_json::Value::Object(members) => members.iter().find_map(|(k, v)| {
                let key = if k.contains('\0') { "body" } else { k };
                walk(
                    v,
                    &if path == "body" {
                        key.to_owned()
                    } else {
                        format!("{path}.{key}")
                    },
                )
            }),
            _ => None,
        }
    }
    let spelled = body.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000"));
    if !spelled {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    walk(&value, "body")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = Cursor {
            at_micros: 1_778_577_267_123_456,
            id: 1042,
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(Cursor::decode("nope!"), None);
        assert_eq!(Cursor::decode(&URL_SAFE_NO_PAD.encode("1:x")), None);
    }

    #[test]
    #[allow(clippy::unwrap_used)] // a test: a panic is the failure report
    fn bodies_name_the_member_at_fault() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Body {
            content: String,
            private: Option<bool>,
        }
        let error = json_body::<Body>(br#"{"content": "x", "private": "yes"}"#).unwrap_err();
        assert!(matches!(error, ApiError::Invalid { field: Some(f), .. } if f == "private"));
        let error = json_body::<Body>(br#"{"private": true}"#).unwrap_err();
        assert!(matches!(error, ApiError::Invalid { field: Some(f), .. } if f == "content"));
        let error = json_body::<Body>(b"{").unwrap_err();
        assert!(matches!(error, ApiError::Invalid { field: Some(f), .. } if f == "body"));
    }
    #[test]
    fn a_nul_character_is_refused_with_its_field() {
        let error = json_body::<serde_json::Value>(br#"{"content":"a\u0000b","private":false}"#)
            .err()
            .map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.contains("NUL")));
        assert_eq!(
            nul_in_strings(br#"{"grades":{"x":["ok","\u0000"]}}"#).as_deref(),
            Some("grades.x[1]")
        );
        assert_eq!(nul_in_strings(br#"{"content":"fine"}"#), None);
    }
}
