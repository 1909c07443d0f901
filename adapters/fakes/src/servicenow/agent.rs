//! Changes made by agents inside ServiceNow (not through the adapter):
//! journal entries, state changes with audit rows, edits of reference
//! records, and the webhook.

use serde_json::json;

use super::AppState;
use super::schema::{self, CASE};
use super::store::{get, set};
use super::writes::{Writer, state_effects, writer_now};

/// What an agent does.
pub(crate) enum Action<'a> {
    /// A customer-visible comment.
    Comment(&'a str),
    /// An internal work note.
    WorkNote(&'a str),
    /// A new state value.
    State(&'a str),
}

/// Applies `action` to the case `number`; sends the webhook when
/// configured; returns the case's sys_id.
pub(crate) async fn act(
    state: &AppState,
    number: &str,
    agent: &str,
    action: Action<'_>,
) -> Option<String> {
    let event = {
        let mut db = state.db();
        let now = writer_now(db.clock.now());
        let w = Writer {
            user: agent,
            now: now.clone(),
        };
        let tables = &mut db.tables;
        let old = tables.find_by(CASE, "number", number)?.clone();
        let sys_id = get(&old, "sys_id").to_owned();
        let mut row = old.clone();
        let mut changed: Vec<&str> = Vec::new();
        match action {
            Action::Comment(text) => {
                tables.journal(CASE, &sys_id, "comments", text, &w);
                changed.push("comments");
            }
            Action::WorkNote(text) => {
                tables.journal(CASE, &sys_id, "work_notes", text, &w);
                changed.push("work_notes");
            }
            Action::State(value) => {
                set(&mut row, "state", value);
                if matches!(value, "3" | "7") {
                    if get(&row, "close_notes").is_empty() {
                        set(&mut row, "close_notes", format!("Closed by {agent}"));
                        changed.push("close_notes");
                    }
                    if get(&row, "resolution_code").is_empty() {
                        set(&mut row, "resolution_code", "Solved (Permanently)");
                        changed.push("resolution_code");
                    }
                }
                state_effects(&mut row, Some(&old), &now);
                if get(&old, "state") != value {
                    tables.audit(CASE, &sys_id, "state", get(&old, "state"), value, &w);
                }
                changed.insert(0, "state");
            }
        }
        let count = get(&old, "sys_mod_count").parse::<u64>().unwrap_or(0) + 1;
        set(&mut row, "sys_mod_count", count.to_string());
        set(&mut row, "sys_updated_on", now.clone());
        set(&mut row, "sys_updated_by", agent);
        let def = schema::table(CASE)?;
        *tables.find_mut(def.name, &sys_id)? = row;
        json!({
            "table": CASE,
            "sys_id": sys_id,
            "number": number,
            "operation": "update",
            "changed": changed,
            "sys_updated_on": now,
        })
    };
    let sys_id = event["sys_id"].as_str().map(str::to_owned);
    notify(state, &event).await;
    sys_id
}

/// Sets `field` of the record `sys_id` of `table`, as an administrator's
/// form would, and sends the webhook; false when there is no such record.
pub(crate) async fn edit(
    state: &AppState,
    table: &str,
    sys_id: &str,
    field: &str,
    value: &str,
) -> bool {
    let event = {
        let mut db = state.db();
        let now = writer_now(db.clock.now());
        let Some(row) = db.tables.find_mut(table, sys_id) else {
            return false;
        };
        set(row, field, value);
        set(row, "sys_updated_on", now.clone());
        set(row, "sys_updated_by", "admin");
        json!({
            "table": table,
            "sys_id": sys_id,
            "operation": "update",
            "changed": [field],
            "sys_updated_on": now,
        })
    };
    notify(state, &event).await;
    true
}

/// Posts `event` to the webhook, when one is configured.
async fn notify(state: &AppState, event: &serde_json::Value) {
    if let Some((url, secret)) = &state.options.webhook {
        super::webhook::send(&state.http, url, secret, event).await;
    }
}
