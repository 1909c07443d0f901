//! The insert of a new case: references checked against its account,
//! the contact found or made, the number assigned, in one transaction.

use super::*;

impl SqlStore {
    pub(super) async fn insert_case(
        &self,
        actor: &Actor,
        new: &NewCase,
        hash: &str,
    ) -> Result<Case> {
        let title = new.title.clone().unwrap_or_default();
        let row = transaction!(self.db, |conn| {
            let location_id = match &new.location_id {
                None => None,
                Some(raw) => {
                    let id = parse_id(raw);
                    let found: Option<i64> = locations::table
                        .filter(locations::id.eq(id.unwrap_or(-1)))
                        .filter(locations::account_id.eq(&new.account_id))
                        .select(locations::id)
                        .first(conn)
                        .await
                        .optional()?;
                    Some(found.ok_or_else(|| {
                        Error::invalid("input.locationId", "no such location on this account")
                    })?)
                }
            };
            let product_id = match &new.product_id {
                None => None,
                Some(raw) => {
                    let found: Option<(i64, Option<i64>)> = products::table
                        .filter(products::id.eq(parse_id(raw).unwrap_or(-1)))
                        .filter(products::account_id.eq(&new.account_id))
                        .select((products::id, products::location_id))
                        .first(conn)
                        .await
                        .optional()?;
                    let (id, at_location) = found.ok_or_else(|| {
                        Error::invalid("input.productId", "no such product on this account")
                    })?;
                    if let (Some(chosen), Some(at)) = (location_id, at_location)
                        && chosen != at
                    {
                        return Err(TxError::Domain(Error::invalid(
                            "input.productId",
                            "this product is not at the chosen location",
                        )));
                    }
                    Some(id)
                }
            };
            let contact_id = match &new.contact_id {
                Some(raw) => {
                    let found: Option<i64> = contacts::table
                        .filter(contacts::id.eq(parse_id(raw).unwrap_or(-1)))
                        .filter(contacts::account_id.eq(&new.account_id))
                        .select(contacts::id)
                        .first(conn)
                        .await
                        .optional()?;
                    found.ok_or_else(|| {
                        Error::invalid("input.contactId", "no such contact on this account")
                    })?
                }
                None => {
                    let email = actor.email.to_ascii_lowercase();
                    let found: Option<i64> = contacts::table
                        .filter(contacts::account_id.eq(&new.account_id))
                        .filter(contacts::email.eq(&email))
                        .select(contacts::id)
                        .first(conn)
                        .await
                        .optional()?;
                    match found {
                        Some(id) => id,
                        None => {
                            diesel::insert_into(contacts::table)
                                .values((
                                    contacts::account_id.eq(&new.account_id),
                                    contacts::name.eq(&actor.name),
                                    contacts::email.eq(&email),
                                ))
                                .returning(contacts::id)
                                .get_result(conn)
                                .await?
                        }
                    }
                }
            };
            let at = now();
            let placeholder = format!("PENDING-{}-{}", actor.user_id, hash);
            let id: i64 = diesel::insert_into(cases::table)
                .values((
                    cases::number.eq(&placeholder),
                    cases::account_id.eq(&new.account_id),
                    cases::state.eq(CaseState::New.rank()),
                    cases::priority.eq(new.priority.unwrap_or(Priority::Low).level()),
                    cases::title.eq(&title),
                    cases::description.eq(&new.description),
                    cases::case_type.eq(&new.case_type),
                    cases::support_case_type
                        .eq(new.support_case_type.as_deref().unwrap_or_default()),
                    cases::category.eq(&new.category),
                    cases::location_id.eq(location_id),
                    cases::location_not_listed.eq(new.location_not_listed),
                    cases::product_id.eq(product_id),
                    cases::product_not_listed.eq(new.product_not_listed),
                    cases::contact_id.eq(Some(contact_id)),
                    cases::opened_by.eq(&actor.name),
                    cases::opened_by_subject.eq(&actor.user_id),
                    cases::opened_at.eq(at),
                    cases::updated_at.eq(at),
                    cases::idempotency_key.eq(&new.idempotency_key),
                    cases::request_hash.eq(hash),
                ))
                .returning(cases::id)
                .get_result(conn)
                .await?;
            diesel::update(cases::table.filter(cases::id.eq(id)))
                .set(cases::number.eq(case_number(id)))
                .execute(conn)
                .await?;
            let watchers: Vec<WatcherRow> = new
                .watch_list
                .iter()
                .map(|e| WatcherRow {
                    case_id: id,
                    email: e.clone(),
                    added_at: at,
                })
                .collect();
            if !watchers.is_empty() {
                insert_each!(conn, case_watchers::table, &watchers);
            }
            diesel::insert_into(case_activities::table)
                .values(NewActivityRow::new(
                    id,
                    &new.account_id,
                    ActivityKind::System,
                    "System",
                    "Case created",
                    at,
                ))
                .execute(conn)
                .await?;
            let row: CaseRow = cases::table
                .filter(cases::id.eq(id))
                .select(CaseRow::as_select())
                .first(conn)
                .await?;
            Ok(row)
        })?;
        Ok(row.into_domain())
    }
}
