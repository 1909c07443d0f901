//! [`Outbox`] on SQL: the messages the gateway would have sent, newest
//! first.

use super::*;

#[async_trait]
impl Outbox for SqlStore {
    async fn messages(&self, page: &PageRequest) -> Result<Page<OutboxMessage>> {
        let before = before(page, OUTBOX_ORDER)?;
        type Row = (
            i64,
            String,
            String,
            String,
            String,
            NaiveDateTime,
            NaiveDateTime,
        );
        let rows: Vec<Row> = with_conn!(self.db(), |conn| {
            outbox::table
                .filter(outbox::id.lt(before))
                .order_by(outbox::id.desc())
                .limit(page.first as i64 + 1)
                .select((
                    outbox::id,
                    outbox::recipient,
                    outbox::kind,
                    outbox::subject,
                    outbox::body,
                    outbox::created_at,
                    outbox::expires_at,
                ))
                .load(conn)
                .await
                .map_err(db_error)
        })?;
        let messages = rows
            .into_iter()
            .map(|(id, recipient, kind, subject, body, created, expires)| {
                let kind = RecoveryKind::parse(&kind).ok_or(Error::Internal)?;
                Ok((
                    id,
                    OutboxMessage {
                        id: id.to_string(),
                        recipient,
                        kind,
                        subject,
                        body,
                        created_at: utc(created),
                        expires_at: utc(expires),
                    },
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(page_of(messages, page.first, OUTBOX_ORDER))
    }
}
