//! [`WatchLists`] on SQL.

use super::*;

#[async_trait]
impl WatchLists for SqlStore {
    async fn watch_lists(&self, scope: &Scope, case_ids: &[String]) -> Result<Vec<WatchEntry>> {
        let ids = parse_ids(case_ids);
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<WatcherRow> = with_conn!(self.db, |conn| {
            case_watchers::table
                .inner_join(cases::table)
                .filter(among(case_watchers::case_id, &ids))
                .filter(among(cases::account_id, scope.accounts()))
                .order_by((
                    case_watchers::case_id,
                    case_watchers::added_at,
                    case_watchers::email,
                ))
                .select(WatcherRow::as_select())
                .load(conn)
                .await
                .map_err(db_error)
        })?;
        Ok(rows.into_iter().map(WatcherRow::into_domain).collect())
    }
}

#[async_trait]
impl WatchListWrites for SqlStore {
    async fn add_watchers(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        emails: &[String],
    ) -> Result<Vec<WatchEntry>> {
        let emails = validate::watch_list("emails", emails)?;
        if emails.is_empty() {
            return Err(Error::invalid("emails", "name at least one address"));
        }
        transaction!(self.db, |conn| {
            let row = locked_case!(conn, self, scope, case_id)?;
            ensure_writable(&row.number, row.state())?;
            let at = now();
            let existing: Vec<String> = case_watchers::table
                .filter(case_watchers::case_id.eq(row.id))
                .select(case_watchers::email)
                .load(conn)
                .await?;
            let added: Vec<WatcherRow> = emails
                .iter()
                .filter(|e| !existing.contains(e))
                .map(|e| WatcherRow {
                    case_id: row.id,
                    email: e.clone(),
                    added_at: at,
                })
                .collect();
            if existing.len() + added.len() > validate::MAX_WATCH_LIST {
                return Err(TxError::Domain(Error::invalid(
                    "emails",
                    format!(
                        "a watch list holds at most {} addresses",
                        validate::MAX_WATCH_LIST
                    ),
                )));
            }
            if !added.is_empty() {
                insert_each!(conn, case_watchers::table, &added);
                let names: Vec<&str> = added.iter().map(|w| w.email.as_str()).collect();
                record!(
                    conn,
                    row,
                    ActivityKind::WatchList,
                    &actor.name,
                    format!("Added {} to the watch list", names.join(", ")),
                    at
                );
            }
            Ok(watch_list_of!(conn, row.id))
        })
    }

    async fn remove_watchers(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        emails: &[String],
    ) -> Result<Vec<WatchEntry>> {
        let emails = validate::watch_list("emails", emails)?;
        transaction!(self.db, |conn| {
            let row = locked_case!(conn, self, scope, case_id)?;
            ensure_writable(&row.number, row.state())?;
            let at = now();
            let present: Vec<String> = case_watchers::table
                .filter(case_watchers::case_id.eq(row.id))
                .filter(among(case_watchers::email, &emails))
                .order_by(case_watchers::email)
                .select(case_watchers::email)
                .load(conn)
                .await?;
            if !present.is_empty() {
                diesel::delete(
                    case_watchers::table
                        .filter(case_watchers::case_id.eq(row.id))
                        .filter(among(case_watchers::email, &present)),
                )
                .execute(conn)
                .await?;
                record!(
                    conn,
                    row,
                    ActivityKind::WatchList,
                    &actor.name,
                    format!("Removed {} from the watch list", present.join(", ")),
                    at
                );
            }
            Ok(watch_list_of!(conn, row.id))
        })
    }
}
