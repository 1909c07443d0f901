//! Writing the generated rows in bulk.

use super::*;

pub(super) fn write_sqlite(path: &str, d: &Data) -> Result<()> {
    use diesel::RunQueryDsl;
    let mut conn = diesel::SqliteConnection::establish(path).map_err(|e| {
        tracing::error!(error = %e, "cannot open the SQLite database to seed");
        Error::unavailable(crate::BACKEND)
    })?;
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        diesel::insert_into(accounts::table)
            .values(&d.accounts)
            .execute(conn)?;
        for chunk in d.locations.chunks(500) {
            diesel::insert_into(locations::table)
                .values(chunk)
                .execute(conn)?;
        }
        for chunk in d.products.chunks(500) {
            diesel::insert_into(products::table)
                .values(chunk)
                .execute(conn)?;
        }
        for chunk in d.contacts.chunks(500) {
            diesel::insert_into(contacts::table)
                .values(chunk)
                .execute(conn)?;
        }
        for (id, email, name) in &d.users {
            diesel::insert_into(users::table)
                .values((
                    users::id.eq(id),
                    users::email.eq(email),
                    users::name.eq(name),
                ))
                .execute(conn)?;
        }
        for (user, account, role) in &d.entitlements {
            diesel::insert_into(user_entitlements::table)
                .values((
                    user_entitlements::user_id.eq(user),
                    user_entitlements::account_id.eq(account),
                    user_entitlements::role.eq(role),
                ))
                .execute(conn)?;
        }
        for user in &d.operators {
            diesel::insert_into(operators::table)
                .values(operators::user_id.eq(user))
                .execute(conn)?;
        }
        for chunk in d.cases.chunks(500) {
            diesel::insert_into(cases::table)
                .values(chunk)
                .execute(conn)?;
        }
        for chunk in d.activities.chunks(1000) {
            diesel::insert_into(case_activities::table)
                .values(chunk)
                .execute(conn)?;
        }
        for chunk in d.watchers.chunks(1000) {
            diesel::insert_into(case_watchers::table)
                .values(chunk)
                .execute(conn)?;
        }
        crate::write_demo_identity!(conn, d.identity);
        crate::write_demo_billing!(conn, d.billing);
        crate::write_demo_library!(conn, d.library);
        crate::write_demo_inventory!(conn, d.inventory);
        crate::write_demo_tollfree!(conn, d.tollfree);
        Ok(())
    })
    .map_err(crate::db_error)?;
    // Fresh statistics let the planner pick the right index for each scope.
    diesel::connection::SimpleConnection::batch_execute(&mut conn, "ANALYZE")
        .map_err(crate::db_error)
}

pub(super) async fn write_postgres(url: &str, d: &Data) -> Result<()> {
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
    let mut conn = AsyncPgConnection::establish(url).await.map_err(|e| {
        tracing::error!(error = %e, "cannot connect to PostgreSQL to seed");
        Error::unavailable(crate::BACKEND)
    })?;
    conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        diesel::insert_into(accounts::table).values(&d.accounts).execute(conn).await?;
        for chunk in d.locations.chunks(500) {
            diesel::insert_into(locations::table).values(chunk).execute(conn).await?;
        }
        for chunk in d.products.chunks(500) {
            diesel::insert_into(products::table).values(chunk).execute(conn).await?;
        }
        for chunk in d.contacts.chunks(500) {
            diesel::insert_into(contacts::table).values(chunk).execute(conn).await?;
        }
        for (id, email, name) in &d.users {
            diesel::insert_into(users::table).values((users::id.eq(id), users::email.eq(email), users::name.eq(name))).execute(conn).await?;
        }
        for (user, account, role) in &d.entitlements {
            diesel::insert_into(user_entitlements::table)
                .values((user_entitlements::user_id.eq(user), user_entitlements::account_id.eq(account), user_entitlements::role.eq(role)))
                .execute(conn)
                .await?;
        }
        for user in &d.operators {
            diesel::insert_into(operators::table).values(operators::user_id.eq(user)).execute(conn).await?;
        }
        for chunk in d.cases.chunks(500) {
            diesel::insert_into(cases::table).values(chunk).execute(conn).await?;
        }
        for chunk in d.activities.chunks(1000) {
            diesel::insert_into(case_activities::table).values(chunk).execute(conn).await?;
        }
        for chunk in d.watchers.chunks(1000) {
            diesel::insert_into(case_watchers::table).values(chunk).execute(conn).await?;
        }
        crate::write_demo_identity!(conn, d.identity, await);
        crate::write_demo_billing!(conn, d.billing, await);
        crate::write_demo_library!(conn, d.library, await);
        crate::write_demo_inventory!(conn, d.inventory, await);
        crate::write_demo_tollfree!(conn, d.tollfree, await);
        // Explicit ids were written: move the identity sequences past them.
        conn.batch_execute(
            "SELECT setval(pg_get_serial_sequence('locations', 'id'), (SELECT MAX(id) FROM locations));
             SELECT setval(pg_get_serial_sequence('products', 'id'), (SELECT MAX(id) FROM products));
             SELECT setval(pg_get_serial_sequence('contacts', 'id'), (SELECT MAX(id) FROM contacts));
             SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT MAX(id) FROM users));
             SELECT setval(pg_get_serial_sequence('cases', 'id'), GREATEST((SELECT MAX(id) FROM cases), 1));
             SELECT setval(pg_get_serial_sequence('invoices', 'id'), GREATEST((SELECT MAX(id) FROM invoices), 1));
             SELECT setval(pg_get_serial_sequence('invoice_charges', 'id'), GREATEST((SELECT MAX(id) FROM invoice_charges), 1));
             SELECT setval(pg_get_serial_sequence('usage_records', 'id'), GREATEST((SELECT MAX(id) FROM usage_records), 1));",
        )
        .await?;
        conn.batch_execute(
            "SELECT setval(pg_get_serial_sequence('resource_categories', 'id'), GREATEST((SELECT MAX(id) FROM resource_categories), 1));
             SELECT setval(pg_get_serial_sequence('resources', 'id'), GREATEST((SELECT MAX(id) FROM resources), 1));
             SELECT setval(pg_get_serial_sequence('portal_apps', 'id'), GREATEST((SELECT MAX(id) FROM portal_apps), 1));
             SELECT setval(pg_get_serial_sequence('services', 'id'), GREATEST((SELECT MAX(id) FROM services), 1));
             SELECT setval(pg_get_serial_sequence('assets', 'id'), GREATEST((SELECT MAX(id) FROM assets), 1));",
        )
        .await?;
        Ok(())
    })
    .await
    .map_err(crate::db_error)?;
    // VACUUM sets the visibility map, so counts can be answered from indexes alone.
    conn.batch_execute("VACUUM ANALYZE")
        .await
        .map_err(crate::db_error)
}
