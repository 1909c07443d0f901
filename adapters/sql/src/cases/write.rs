//! [`CaseWrites`] on SQL: create (see [`create`](super::create) for the
//! insert), comment and cancel, each retry-safe under its key.

use super::*;

impl SqlStore {
    async fn find_replay(&self, actor: &Actor, key: &str, hash: &str) -> Result<Option<Case>> {
        let row: Option<CaseRow> = with_conn!(self.db, |conn| {
            cases::table
                .filter(cases::opened_by_subject.eq(&actor.user_id))
                .filter(cases::idempotency_key.eq(key))
                .select(CaseRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(db_error)
        })?;
        match row {
            None => Ok(None),
            Some(row) if row.request_hash.as_deref() == Some(hash) => Ok(Some(row.into_domain())),
            Some(row) => Err(Error::Conflict(format!(
                "idempotency key already used for case {} with different input",
                row.number
            ))),
        }
    }
}

#[async_trait]
impl CaseWrites for SqlStore {
    async fn create_case(
        &self,
        scope: &Scope,
        actor: &Actor,
        new: NewCase,
    ) -> Result<Created<Case>> {
        let catalog = self.catalog().await?;
        let new = validate::new_case(&catalog, new)?;
        if !scope.contains(&new.account_id) {
            return Err(Error::not_found(format!("account {}", new.account_id)));
        }
        let hash = new.fingerprint();
        if let Some(key) = &new.idempotency_key
            && let Some(case) = self.find_replay(actor, key, &hash).await?
        {
            return Ok(Created::replayed(case));
        }
        let result = self.insert_case(actor, &new, &hash).await;
        match (result, &new.idempotency_key) {
            // A concurrent retry with the same key won the race: answer with its case.
            (Err(Error::Conflict(_)), Some(key)) => {
                match self.find_replay(actor, key, &hash).await? {
                    Some(case) => Ok(Created::replayed(case)),
                    None => Err(Error::Conflict(
                        "the case could not be created; retry".into(),
                    )),
                }
            }
            (result, _) => result.map(Created::fresh),
        }
    }

    async fn add_comment(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        comment: NewComment,
    ) -> Result<Created<Activity>> {
        let body = comment.checked_body()?;
        let key = comment.idempotency_key.as_deref();
        let case_key = parse_id(case_id).ok_or_else(|| case_not_found(case_id))?;
        let hash = fingerprint([&case_key.to_string(), &body]);
        if let Some(key) = key
            && let Some(activity) = self.comment_replay(scope, actor, key, &hash).await?
        {
            return Ok(Created::replayed(activity));
        }
        let result = transaction!(self.db, |conn| {
            let row = locked_case!(conn, self, scope, case_id)?;
            ensure_writable(&row.number, row.state())?;
            let at = now();
            let activity: ActivityRow = diesel::insert_into(case_activities::table)
                .values(NewActivityRow::new(
                    row.id,
                    &row.account_id,
                    ActivityKind::Comment,
                    &actor.name,
                    body.clone(),
                    at,
                ))
                .returning(ActivityRow::as_returning())
                .get_result(conn)
                .await?;
            if let Some(key) = key {
                diesel::insert_into(write_keys::table)
                    .values(key_row(
                        actor,
                        KeyedWrite::Comment,
                        key,
                        &hash,
                        row.id,
                        activity.id,
                        at,
                    ))
                    .execute(conn)
                    .await?;
            }
            touch!(conn, row.id, at);
            Ok(activity.into_domain(row.number))
        });
        match (result, key) {
            // A concurrent retry under the same key committed first: answer with its comment.
            (Err(error @ Error::Conflict(_)), Some(key)) => self
                .comment_replay(scope, actor, key, &hash)
                .await?
                .map(Created::replayed)
                .ok_or(error),
            (result, _) => result.map(Created::fresh),
        }
    }

    async fn cancel_case(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        reason: Option<&str>,
    ) -> Result<Case> {
        let reason = cancel_reason(reason)?;
        let row = transaction!(self.db, |conn| {
            let mut row = locked_case!(conn, self, scope, case_id)?;
            let state = row.state();
            ensure_cancelable(&row.number, state).map_err(TxError::Domain)?;
            let at = now();
            let mut entries = vec![NewActivityRow::new(
                row.id,
                &row.account_id,
                ActivityKind::StateChange,
                &actor.name,
                format!(
                    "State changed from {} to {}",
                    state.label(),
                    CaseState::Canceled.label()
                ),
                at,
            )];
            if let Some(reason) = &reason {
                entries.push(NewActivityRow::new(
                    row.id,
                    &row.account_id,
                    ActivityKind::Comment,
                    &actor.name,
                    format!("Cancel reason: {reason}"),
                    at,
                ));
            }
            insert_each!(conn, case_activities::table, &entries);
            diesel::update(cases::table.filter(cases::id.eq(row.id)))
                .set((
                    cases::state.eq(CaseState::Canceled.rank()),
                    cases::updated_at.eq(at),
                ))
                .execute(conn)
                .await?;
            row.state = CaseState::Canceled.rank();
            row.updated_at = at;
            Ok(row)
        })?;
        Ok(row.into_domain())
    }
}
