//! [`CaseFiles`] on SQL: attachments stored in chunks, streamed back.

use super::*;

#[async_trait]
impl CaseFiles for SqlStore {
    async fn attachments(&self, scope: &Scope, case_ids: &[String]) -> Result<Vec<Attachment>> {
        let ids = parse_ids(case_ids);
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<AttachmentRow> = with_conn!(self.db, |conn| {
            attachments::table
                .inner_join(cases::table)
                .filter(among(attachments::case_id, &ids))
                .filter(among(cases::account_id, scope.accounts()))
                .order_by((attachments::case_id, attachments::id))
                .select(AttachmentRow::as_select())
                .load(conn)
                .await
                .map_err(db_error)
        })?;
        Ok(rows.into_iter().map(AttachmentRow::into_domain).collect())
    }

    async fn attachment_content(
        &self,
        scope: &Scope,
        attachment_id: &str,
    ) -> Result<(Attachment, ByteStream)> {
        let row = with_conn!(self.db, |conn| {
            scoped_attachment!(conn, scope, attachment_id).map_err(tx_error)
        })?
        .0;
        let db = self.db.clone();
        let id = row.id;
        let stream = futures::stream::try_unfold(0i32, move |seq| {
            let db = db.clone();
            async move {
                let chunk: Option<Vec<u8>> = with_conn!(db, |conn| {
                    attachment_chunks::table
                        .filter(attachment_chunks::attachment_id.eq(id))
                        .filter(attachment_chunks::seq.eq(seq))
                        .select(attachment_chunks::data)
                        .first(conn)
                        .await
                        .optional()
                        .map_err(db_error)
                })?;
                Ok(chunk.map(|c| (Bytes::from(c), seq + 1)))
            }
        });
        Ok((row.into_domain(), Box::pin(stream)))
    }
}

#[async_trait]
impl CaseFileWrites for SqlStore {
    async fn add_attachment(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        file: NewAttachment,
    ) -> Result<Created<Attachment>> {
        let checked = file.checked()?;
        let key = file.idempotency_key.as_deref();
        let case_key = parse_id(case_id).ok_or_else(|| case_not_found(case_id))?;
        let hash = checked.fingerprint(&case_key.to_string());
        let CheckedFile {
            file_name,
            content_type,
            sha256,
        } = checked;
        if let Some(key) = key
            && let Some(attachment) = self.attachment_replay(scope, actor, key, &hash).await?
        {
            return Ok(Created::replayed(attachment));
        }
        let data = file.data;
        let result = transaction!(self.db, |conn| {
            let case = locked_case!(conn, self, scope, case_id)?;
            ensure_writable(&case.number, case.state())?;
            let at = now();
            let row: AttachmentRow = diesel::insert_into(attachments::table)
                .values((
                    attachments::case_id.eq(case.id),
                    attachments::file_name.eq(&file_name),
                    attachments::content_type.eq(&content_type),
                    attachments::size_bytes.eq(data.len() as i64),
                    attachments::sha256.eq(&sha256),
                    attachments::uploaded_by.eq(&actor.name),
                    attachments::created_at.eq(at),
                ))
                .returning(AttachmentRow::as_returning())
                .get_result(conn)
                .await?;
            if let Some(key) = key {
                // Before the content: a losing concurrent retry stops here.
                diesel::insert_into(write_keys::table)
                    .values(key_row(
                        actor,
                        KeyedWrite::Attachment,
                        key,
                        &hash,
                        case.id,
                        row.id,
                        at,
                    ))
                    .execute(conn)
                    .await?;
            }
            for (seq, chunk) in data.chunks(CHUNK_BYTES).enumerate() {
                diesel::insert_into(attachment_chunks::table)
                    .values((
                        attachment_chunks::attachment_id.eq(row.id),
                        attachment_chunks::seq.eq(seq as i32),
                        attachment_chunks::data.eq(chunk),
                    ))
                    .execute(conn)
                    .await?;
            }
            record!(
                conn,
                case,
                ActivityKind::Attachment,
                &actor.name,
                format!("Attached {file_name}"),
                at
            );
            Ok(row.into_domain())
        });
        match (result, key) {
            // A concurrent retry under the same key committed first: answer with its file.
            (Err(error @ Error::Conflict(_)), Some(key)) => self
                .attachment_replay(scope, actor, key, &hash)
                .await?
                .map(Created::replayed)
                .ok_or(error),
            (result, _) => result.map(Created::fresh),
        }
    }

    async fn rename_attachment(
        &self,
        scope: &Scope,
        actor: &Actor,
        attachment_id: &str,
        file_name: &str,
    ) -> Result<Attachment> {
        let file_name = validate::file_name("fileName", file_name)?;
        let row = transaction!(self.db, |conn| {
            let (mut row, case) = scoped_attachment!(conn, scope, attachment_id)?;
            ensure_writable(&case.number, case.state())?;
            let at = now();
            diesel::update(attachments::table.filter(attachments::id.eq(row.id)))
                .set(attachments::file_name.eq(&file_name))
                .execute(conn)
                .await?;
            record!(
                conn,
                case,
                ActivityKind::Attachment,
                &actor.name,
                format!("Renamed {} to {file_name}", row.file_name),
                at
            );
            row.file_name = file_name.clone();
            Ok(row)
        })?;
        Ok(row.into_domain())
    }

    async fn delete_attachment(
        &self,
        scope: &Scope,
        actor: &Actor,
        attachment_id: &str,
    ) -> Result<Attachment> {
        let row = transaction!(self.db, |conn| {
            let (row, case) = scoped_attachment!(conn, scope, attachment_id)?;
            ensure_writable(&case.number, case.state())?;
            let at = now();
            diesel::delete(
                attachment_chunks::table.filter(attachment_chunks::attachment_id.eq(row.id)),
            )
            .execute(conn)
            .await?;
            diesel::delete(attachments::table.filter(attachments::id.eq(row.id)))
                .execute(conn)
                .await?;
            record!(
                conn,
                case,
                ActivityKind::Attachment,
                &actor.name,
                format!("Removed {}", row.file_name),
                at
            );
            Ok(row)
        })?;
        Ok(row.into_domain())
    }
}
