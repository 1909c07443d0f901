//! [`CaseActivity`] on SQL: activity streams and the updates feed.

use super::*;

#[async_trait]
impl CaseActivity for SqlStore {
    async fn activity(
        &self,
        scope: &Scope,
        case_id: &str,
        page: &PageRequest,
    ) -> Result<Page<Activity>> {
        let cursor = page
            .after
            .as_deref()
            .map(|raw| Cursor::decode(raw, "ACTIVITY"))
            .transpose()?;
        let key = cursor
            .as_ref()
            .map(|c| from_micros(c).map(|k| (k, c.i)))
            .transpose()?;
        let limit = page.first as i64 + 1;
        let (number, rows) = with_conn!(self.db, |conn| {
            let row = scoped_case!(conn, scope, case_id).map_err(tx_error)?;
            let mut q = case_activities::table
                .filter(case_activities::case_id.eq(row.id))
                .select(ActivityRow::as_select())
                .into_boxed();
            seek!(q, case_activities::created_at, Direction::Desc, key);
            let rows: Vec<ActivityRow> = q.limit(limit).load(conn).await.map_err(db_error)?;
            Ok::<_, Error>((row.number, rows))
        })?;
        Ok(page_of(
            rows,
            page.first,
            |a| activity_cursor("ACTIVITY", a),
            |a| a.into_domain(number.clone()),
        ))
    }

    async fn latest_activity(&self, scope: &Scope, case_ids: &[String]) -> Result<Vec<Activity>> {
        let ids = parse_ids(case_ids);
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(ActivityRow, String)> = with_conn!(self.db, |conn| {
            let newest = diesel::alias!(case_activities as newest);
            let latest = newest
                .filter(among(newest.field(case_activities::case_id), &ids))
                .group_by(newest.field(case_activities::case_id))
                .select(diesel::dsl::max(newest.field(case_activities::id)));
            case_activities::table
                .inner_join(cases::table)
                .filter(case_activities::id.nullable().eq_any(latest))
                .filter(among(cases::account_id, scope.accounts()))
                .select((ActivityRow::as_select(), cases::number))
                .load(conn)
                .await
                .map_err(db_error)
        })?;
        Ok(rows
            .into_iter()
            .map(|(a, number)| a.into_domain(number))
            .collect())
    }

    async fn recent_updates(&self, scope: &Scope, page: &PageRequest) -> Result<Page<Activity>> {
        let cursor = page
            .after
            .as_deref()
            .map(|raw| Cursor::decode(raw, "UPDATES"))
            .transpose()?;
        let key = cursor
            .as_ref()
            .map(|c| from_micros(c).map(|k| (k, c.i)))
            .transpose()?;
        let limit = page.first as i64 + 1;
        let rows: Vec<(ActivityRow, String)> = with_conn!(self.db, |conn| {
            let mut q = case_activities::table
                .inner_join(cases::table)
                .filter(among(case_activities::account_id, scope.accounts()))
                .select((ActivityRow::as_select(), cases::number))
                .into_boxed();
            seek!(q, case_activities::created_at, Direction::Desc, key);
            q.limit(limit).load(conn).await.map_err(db_error)
        })?;
        Ok(page_of(
            rows,
            page.first,
            |(a, _)| activity_cursor("UPDATES", a),
            |(a, n)| a.into_domain(n),
        ))
    }
}
