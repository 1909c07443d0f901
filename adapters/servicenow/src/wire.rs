//! Reading Table API records: `{"result": …}` envelopes, string fields,
//! strict dates. Anything off-contract is an error naming the field.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Map, Value};

use crate::http::{HttpError, Resp};

/// One record: field name to string value.
pub(crate) type Record = Map<String, Value>;

/// The records of a list answer.
pub(crate) fn list(resp: &Resp) -> Result<Vec<Record>, HttpError> {
    let value: Value = serde_json::from_slice(&resp.body)
        .map_err(|_| HttpError::Payload("a list answer is not JSON".into()))?;
    match value.get("result") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::Object(map) => Ok(map.clone()),
                _ => Err(HttpError::Payload("a list item is not an object".into())),
            })
            .collect(),
        _ => Err(HttpError::Payload(
            "a list answer has no result array".into(),
        )),
    }
}

/// The record of a single-record answer.
pub(crate) fn one(resp: &Resp) -> Result<Record, HttpError> {
    let value: Value = serde_json::from_slice(&resp.body)
        .map_err(|_| HttpError::Payload("a record answer is not JSON".into()))?;
    match value.get("result") {
        Some(Value::Object(map)) => Ok(map.clone()),
        _ => Err(HttpError::Payload(
            "a record answer has no result object".into(),
        )),
    }
}

/// A string field ("" when absent); a reference object gives its `value`.
pub(crate) fn s(record: &Record, field: &str) -> String {
    match record.get(field) {
        Some(Value::String(v)) => v.clone(),
        Some(Value::Object(o)) => o
            .get("value")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// A non-empty string field, or None.
pub(crate) fn opt(record: &Record, field: &str) -> Option<String> {
    Some(s(record, field)).filter(|v| !v.is_empty())
}

/// A "true"/"false" field.
pub(crate) fn flag(record: &Record, field: &str) -> Result<bool, HttpError> {
    match s(record, field).as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" | "" => Ok(false),
        other => Err(HttpError::Payload(format!(
            "field `{field}` holds `{other}`, not true/false"
        ))),
    }
}

/// A required date-time field, strictly `YYYY-MM-DD HH:MM:SS` (UTC).
pub(crate) fn date(record: &Record, field: &str) -> Result<DateTime<Utc>, HttpError> {
    opt_date(record, field)?.ok_or_else(|| HttpError::Payload(format!("field `{field}` is empty")))
}

/// An optional date-time field: "" is None.
pub(crate) fn opt_date(record: &Record, field: &str) -> Result<Option<DateTime<Utc>>, HttpError> {
    let raw = s(record, field);
    if raw.is_empty() {
        return Ok(None);
    }
    parse_date(&raw).map(Some).ok_or_else(|| {
        HttpError::Payload(format!(
            "field `{field}` holds `{raw}`, not YYYY-MM-DD HH:MM:SS"
        ))
    })
}

/// Parses `YYYY-MM-DD HH:MM:SS` exactly.
pub(crate) fn parse_date(raw: &str) -> Option<DateTime<Utc>> {
    if raw.len() != 19 {
        return None;
    }
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|t| t.and_utc())
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_strict() {
        assert!(parse_date("2026-01-02 03:04:05").is_some());
        for bad in [
            "2026-01-02T03:04:05",
            "2026-01-02 03:04",
            "2026-1-2 03:04:05",
            "",
        ] {
            assert!(parse_date(bad).is_none(), "{bad}");
        }
        let mut r = Record::new();
        r.insert("d".into(), Value::String("".into()));
        assert_eq!(opt_date(&r, "d").unwrap(), None);
        r.insert("d".into(), Value::String("yesterday".into()));
        assert!(opt_date(&r, "d").is_err());
    }
}
