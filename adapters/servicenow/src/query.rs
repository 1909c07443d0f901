//! Encoded queries (`sysparm_query`) and Table API URLs.
//!
//! ServiceNow has no escape for `^` inside a value, so user text loses its
//! `^` characters (see [`clean`]), and ids used in `IN` lists lose `,` and `^`.

use chrono::{DateTime, Utc};

/// Percent-encodes a query parameter value.
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// User text made safe inside a condition value: `^` removed.
pub(crate) fn clean(text: &str) -> String {
    text.replace('^', "")
}

/// Ids safe inside an `IN` list (no `,`, no `^`, not empty), de-duplicated.
pub(crate) fn id_list(ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = ids
        .iter()
        .map(|id| id.trim())
        .filter(|id| !id.is_empty() && !id.contains([',', '^']))
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// A date-time as ServiceNow writes it.
pub(crate) fn datetime(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The smallest whole second at or after `t` (second-resolution bounds).
pub(crate) fn ceil_second(t: DateTime<Utc>) -> DateTime<Utc> {
    let floor = DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t);
    if floor < t {
        floor + chrono::Duration::seconds(1)
    } else {
        floor
    }
}

/// A Table API list URL.
pub(crate) struct ListUrl<'a> {
    pub table: &'a str,
    pub query: String,
    pub fields: &'a [&'a str],
    pub limit: usize,
    pub count: bool,
}

impl ListUrl<'_> {
    pub(crate) fn build(&self) -> String {
        let mut url = format!(
            "/api/now/table/{}?sysparm_query={}&sysparm_fields={}&sysparm_limit={}&sysparm_exclude_reference_link=true&sysparm_display_value=false",
            self.table,
            encode(&self.query),
            encode(&self.fields.join(",")),
            self.limit.max(1),
        );
        if !self.count {
            url.push_str("&sysparm_no_count=true");
        }
        url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_and_cleans() {
        assert_eq!(encode("a=b^c d"), "a%3Db%5Ec%20d");
        assert_eq!(clean("x^ORy"), "xORy");
        assert_eq!(
            id_list(&["b".into(), "a,c".into(), "".into(), "b".into()]),
            ["b"]
        );
        let t = DateTime::parse_from_rfc3339("2026-01-01T00:00:00.5Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(datetime(ceil_second(t)), "2026-01-01 00:00:01");
    }
}
