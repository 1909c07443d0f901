//! Inserts, updates and deletes through the Table API, with the fake's
//! business rules and data policies on cases, journal appends and audit rows.

use serde_json::Value;

use super::schema::{self, AUDIT, CASE, JOURNAL, Kind, TableDef, USER};
use super::store::{Record, Tables, format_time, get, is_sys_id, new_sys_id, set};

/// Why a write was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WriteError {
    /// No such record.
    NotFound,
    /// A business rule or data policy refused it (403).
    Policy(String),
}

/// The case fields whose changes are audited.
const AUDITED: &[&str] = &["state", "priority", "watch_list"];

/// Case states that end a case's life.
fn is_closed(state: &str) -> bool {
    matches!(state, "3" | "7")
}

/// A JSON value of a request body as the string the field stores.
fn as_field_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Object(o) => o
            .get("value")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| v.to_string()),
        Value::Array(_) => v.to_string(),
    }
}

/// Who is writing and when.
pub(crate) struct Writer<'a> {
    /// The authenticated user's user_name.
    pub(crate) user: &'a str,
    /// Now, formatted.
    pub(crate) now: String,
}

impl Tables {
    /// Appends a journal entry to a record.
    pub(crate) fn journal(&mut self, table: &str, id: &str, element: &str, text: &str, w: &Writer) {
        let def = schema::table(JOURNAL).expect("the journal table is defined");
        let mut row = Tables::blank(def, &new_sys_id());
        for (f, v) in [
            ("element", element),
            ("element_id", id),
            ("name", table),
            ("value", text),
        ] {
            set(&mut row, f, v);
        }
        stamp_new(&mut row, w);
        self.push(JOURNAL, row);
    }

    /// Appends an audit row for a change of `field`.
    pub(crate) fn audit(
        &mut self,
        table: &str,
        id: &str,
        field: &str,
        old: &str,
        new: &str,
        w: &Writer,
    ) {
        let def = schema::table(AUDIT).expect("the audit table is defined");
        let mut row = Tables::blank(def, &new_sys_id());
        for (f, v) in [
            ("tablename", table),
            ("documentkey", id),
            ("fieldname", field),
            ("oldvalue", old),
            ("newvalue", new),
            ("user", w.user),
        ] {
            set(&mut row, f, v);
        }
        stamp_new(&mut row, w);
        self.push(AUDIT, row);
    }

    /// The number the next new case gets: one more than the highest.
    fn next_case_number(&self) -> String {
        let highest = self
            .scan(CASE)
            .filter_map(|r| get(r, "number").strip_prefix("CS")?.parse::<u64>().ok())
            .max()
            .unwrap_or(1_600_000);
        format!("CS{:011}", highest + 1)
    }

    /// Inserts a record from a request body; returns the stored row.
    pub(crate) fn insert(
        &mut self,
        def: &TableDef,
        body: &Record,
        w: &Writer,
    ) -> Result<Record, WriteError> {
        let sys_id = body
            .get("sys_id")
            .and_then(Value::as_str)
            .filter(|s| is_sys_id(s) && self.find(def.name, s).is_none())
            .map(str::to_owned)
            .unwrap_or_else(new_sys_id);
        let mut row = Tables::blank(def, &sys_id);
        let journals = apply_body(def, &mut row, body);
        if def.name == CASE {
            if get(&row, "account").is_empty() {
                return Err(mandatory(&["account"]));
            }
            check_closing(&row)?;
            if get(&row, "state").is_empty() {
                set(&mut row, "state", "1");
            }
            if get(&row, "priority").is_empty() {
                set(&mut row, "priority", "4");
            }
            set(&mut row, "number", self.next_case_number());
            set(&mut row, "opened_at", w.now.clone());
            if get(&row, "opened_by").is_empty()
                && let Some(user) = self.find_by(USER, "user_name", w.user)
            {
                let id = get(user, "sys_id").to_owned();
                set(&mut row, "opened_by", id);
            }
            for flag in ["u_location_not_listed", "u_product_not_listed"] {
                if get(&row, flag).is_empty() {
                    set(&mut row, flag, "false");
                }
            }
            state_effects(&mut row, None, &w.now);
        }
        stamp_new(&mut row, w);
        self.push(def.name, row.clone());
        for (element, text) in journals {
            self.journal(def.name, &sys_id, &element, &text, w);
        }
        Ok(row)
    }

    /// Updates a record from a request body; returns the stored row.
    pub(crate) fn update(
        &mut self,
        def: &TableDef,
        sys_id: &str,
        body: &Record,
        w: &Writer,
    ) -> Result<Record, WriteError> {
        let old = self
            .find(def.name, sys_id)
            .ok_or(WriteError::NotFound)?
            .clone();
        let mut row = old.clone();
        let journals = apply_body(def, &mut row, body);
        if def.name == CASE {
            if is_closed(get(&old, "state")) {
                return Err(WriteError::Policy(
                    "Data Policy Exception: a closed case cannot be updated".into(),
                ));
            }
            check_closing(&row)?;
            state_effects(&mut row, Some(&old), &w.now);
        }
        let count = get(&old, "sys_mod_count").parse::<u64>().unwrap_or(0) + 1;
        set(&mut row, "sys_mod_count", count.to_string());
        set(&mut row, "sys_updated_on", w.now.clone());
        set(&mut row, "sys_updated_by", w.user);
        if def.name == CASE {
            for field in AUDITED {
                let (before, after) = (get(&old, field), get(&row, field));
                if before != after {
                    let (before, after) = (before.to_owned(), after.to_owned());
                    self.audit(def.name, sys_id, field, &before, &after, w);
                }
            }
        }
        for (element, text) in journals {
            self.journal(def.name, sys_id, &element, &text, w);
        }
        *self
            .find_mut(def.name, sys_id)
            .ok_or(WriteError::NotFound)? = row.clone();
        Ok(row)
    }

    /// Deletes a record.
    pub(crate) fn delete(&mut self, def: &TableDef, sys_id: &str) -> Result<(), WriteError> {
        let (table, index) = self.locate(def.name, sys_id).ok_or(WriteError::NotFound)?;
        if let Some(rows) = self.rows.get_mut(table) {
            rows.remove(index);
        }
        if table == schema::ATTACHMENT {
            self.content.remove(sys_id);
        }
        Ok(())
    }
}

/// Copies the writable fields of `body` into `row`; returns the journal
/// entries (element, text) to append. Unknown and system fields are ignored.
fn apply_body(def: &TableDef, row: &mut Record, body: &Record) -> Vec<(String, String)> {
    let mut journals = Vec::new();
    for (field, value) in body {
        if field.starts_with("sys_") || (def.name == CASE && field == "number") {
            continue;
        }
        match def.kind(field) {
            None => {}
            Some(Kind::Journal) => {
                let text = as_field_string(value);
                if !text.is_empty() {
                    journals.push((field.clone(), text));
                }
            }
            Some(_) => set(row, field, as_field_string(value)),
        }
    }
    journals
}

/// A 403 naming mandatory fields.
fn mandatory(fields: &[&str]) -> WriteError {
    WriteError::Policy(format!(
        "Data Policy Exception: The following fields are mandatory: {}",
        fields.join(", ")
    ))
}

/// Closing or canceling needs close notes and a resolution code.
fn check_closing(row: &Record) -> Result<(), WriteError> {
    if !is_closed(get(row, "state")) {
        return Ok(());
    }
    let missing: Vec<&str> = ["close_notes", "resolution_code"]
        .into_iter()
        .filter(|f| get(row, f).trim().is_empty())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(mandatory(&missing))
    }
}

/// What a state change does to `active`, `resolved_at` and `closed_at`.
pub(crate) fn state_effects(row: &mut Record, old: Option<&Record>, now: &str) {
    let state = get(row, "state").to_owned();
    if old.is_some_and(|o| get(o, "state") == state) {
        return;
    }
    set(
        row,
        "active",
        if is_closed(&state) { "false" } else { "true" },
    );
    if (state == "6" || state == "3") && get(row, "resolved_at").is_empty() {
        set(row, "resolved_at", now);
    }
    if is_closed(&state) {
        set(row, "closed_at", now);
    }
}

/// Sets the creation and update stamps of a new row.
fn stamp_new(row: &mut Record, w: &Writer) {
    set(row, "sys_created_on", w.now.clone());
    set(row, "sys_updated_on", w.now.clone());
    set(row, "sys_created_by", w.user);
    set(row, "sys_updated_by", w.user);
    set(row, "sys_mod_count", "0");
}

/// `now` formatted for a writer.
pub(crate) fn writer_now(now: chrono::DateTime<chrono::Utc>) -> String {
    format_time(now)
}
