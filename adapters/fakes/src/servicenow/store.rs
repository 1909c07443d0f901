//! The in-memory tables, the fake's clock, reading (dot-walk, table
//! inheritance of `sys_user`) and rendering records on the wire.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::query::FieldSource;
use super::schema::{self, CONTACT, Kind, TableDef, USER};

/// A record: every field a string.
pub(crate) type Record = Map<String, Value>;

/// The wire format of date-times: `YYYY-MM-DD HH:MM:SS`, UTC.
pub(crate) const DATE_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Formats a date-time the way the Table API does.
pub(crate) fn format_time(t: DateTime<Utc>) -> String {
    t.format(DATE_FORMAT).to_string()
}

/// A new random sys_id (32 lowercase hex digits).
pub(crate) fn new_sys_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Whether `s` looks like a sys_id.
pub(crate) fn is_sys_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The string a field of `row` holds ("" when absent).
pub(crate) fn get<'a>(row: &'a Record, field: &str) -> &'a str {
    row.get(field).and_then(Value::as_str).unwrap_or("")
}

/// Sets a field of `row` to a string.
pub(crate) fn set(row: &mut Record, field: &str, value: impl Into<String>) {
    row.insert(field.to_owned(), Value::String(value.into()));
}

/// The rows of every table and the attachments' content.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tables {
    /// Rows by table name.
    pub(crate) rows: BTreeMap<String, Vec<Record>>,
    /// Attachment content by sys_attachment sys_id.
    pub(crate) content: HashMap<String, Bytes>,
}

impl Tables {
    /// A blank row of `def` (every field "") with the given sys_id.
    pub(crate) fn blank(def: &TableDef, sys_id: &str) -> Record {
        let mut row = Record::new();
        for (field, _) in def.all_fields() {
            set(&mut row, field, "");
        }
        set(&mut row, "sys_id", sys_id);
        set(&mut row, "sys_mod_count", "0");
        row
    }

    /// Appends a row to `table`.
    pub(crate) fn push(&mut self, table: &str, row: Record) {
        self.rows.entry(table.to_owned()).or_default().push(row);
    }

    /// The physical table and index of the row `sys_id` of `table`
    /// (`sys_user` also finds `customer_contact` rows).
    pub(crate) fn locate(&self, table: &str, sys_id: &str) -> Option<(&'static str, usize)> {
        let candidates: &[&'static str] = if table == USER {
            &[USER, CONTACT]
        } else {
            match schema::table(table) {
                Some(def) => std::slice::from_ref(&def.name),
                None => return None,
            }
        };
        candidates.iter().find_map(|t| {
            self.rows
                .get(*t)?
                .iter()
                .position(|r| get(r, "sys_id") == sys_id)
                .map(|i| (*t, i))
        })
    }

    /// The row `sys_id` of `table`.
    pub(crate) fn find(&self, table: &str, sys_id: &str) -> Option<&Record> {
        let (t, i) = self.locate(table, sys_id)?;
        self.rows.get(t)?.get(i)
    }

    /// The row `sys_id` of `table`, mutable.
    pub(crate) fn find_mut(&mut self, table: &str, sys_id: &str) -> Option<&mut Record> {
        let (t, i) = self.locate(table, sys_id)?;
        self.rows.get_mut(t)?.get_mut(i)
    }

    /// Every row a query on `table` sees (`sys_user` includes contacts).
    pub(crate) fn scan(&self, table: &str) -> impl Iterator<Item = &Record> {
        let extra = if table == USER { Some(CONTACT) } else { None };
        self.rows
            .get(table)
            .into_iter()
            .chain(extra.and_then(|t| self.rows.get(t)))
            .flatten()
    }

    /// The first row of `table` whose `field` equals `value`.
    pub(crate) fn find_by(&self, table: &str, field: &str, value: &str) -> Option<&Record> {
        self.scan(table).find(|r| get(r, field) == value)
    }
}

impl FieldSource for Tables {
    fn value(&self, table: &TableDef, row: &Record, field: &str) -> Option<String> {
        match field.split_once('.') {
            None => match table.kind(field)? {
                Kind::Journal => Some(String::new()),
                _ => Some(get(row, field).to_owned()),
            },
            Some((head, tail)) => {
                let Kind::Ref(target) = table.kind(head)? else {
                    return None;
                };
                let target_def = schema::table(target)?;
                if tail.contains('.') || target_def.kind(tail)?.eq(&Kind::Journal) {
                    return if tail.contains('.') {
                        None
                    } else {
                        Some(String::new())
                    };
                }
                Some(
                    self.find(target, get(row, head))
                        .map(|r| get(r, tail).to_owned())
                        .unwrap_or_default(),
                )
            }
        }
    }

    fn kind(&self, table: &TableDef, field: &str) -> Option<Kind> {
        match field.split_once('.') {
            None => table.kind(field),
            Some((head, tail)) => {
                let Kind::Ref(target) = table.kind(head)? else {
                    return None;
                };
                if tail.contains('.') {
                    return None;
                }
                schema::table(target)?.kind(tail)
            }
        }
    }
}

/// How a record is rendered: which fields, and references with or without links.
pub(crate) struct RenderOptions<'a> {
    /// `sysparm_fields` (None = every field).
    pub(crate) fields: Option<&'a [String]>,
    /// `sysparm_exclude_reference_link=true`.
    pub(crate) exclude_reference_link: bool,
    /// The instance URL, for reference links.
    pub(crate) base_url: &'a str,
}

impl Tables {
    /// `row` of `def` as the Table API returns it.
    pub(crate) fn render(&self, def: &TableDef, row: &Record, o: &RenderOptions<'_>) -> Record {
        let mut out = Record::new();
        let mut put = |key: &str, kind: Kind, value: String| {
            let v = match kind {
                Kind::Ref(target) if !value.is_empty() && !o.exclude_reference_link => {
                    serde_json::json!({
                        "link": format!("{}/api/now/table/{target}/{value}", o.base_url),
                        "value": value,
                    })
                }
                Kind::Journal => Value::String(String::new()),
                _ => Value::String(value),
            };
            out.insert(key.to_owned(), v);
        };
        match o.fields {
            None => {
                for (field, kind) in def.all_fields() {
                    put(field, kind, get(row, field).to_owned());
                }
            }
            Some(fields) => {
                for field in fields {
                    if let (Some(kind), Some(value)) =
                        (self.kind(def, field), self.value(def, row, field))
                    {
                        put(field, kind, value);
                    }
                }
            }
        }
        out
    }
}

/// The fake's notion of "now": the real time, shifted, or frozen.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Clock {
    fixed: Option<DateTime<Utc>>,
    offset: chrono::Duration,
}

impl Clock {
    /// Now, at one-second resolution.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        let t = self.fixed.unwrap_or_else(|| Utc::now() + self.offset);
        DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
    }

    /// Freezes the clock at `now`.
    pub(crate) fn set(&mut self, now: DateTime<Utc>) {
        self.fixed = Some(now);
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub(crate) fn advance(&mut self, by: chrono::Duration) {
        match &mut self.fixed {
            Some(t) => *t += by,
            None => self.offset += by,
        }
    }
}
