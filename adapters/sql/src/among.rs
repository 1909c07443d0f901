//! `column IN (values)` that SQLite keeps prepared.
//!
//! diesel's `eq_any` with a list writes `column IN (?, ?, …)` on SQLite and
//! marks the whole statement as never to be cached, so SQLite parses and
//! plans it again on every run; on PostgreSQL it binds one array
//! (`column = ANY($1)`) and the statement is cached. [`among`] writes the
//! same SQL on PostgreSQL (but for one value, below), and on SQLite lets a
//! statement whose lists are
//! short be cached: a list is padded to the next power of two by repeating
//! its last value (which changes nothing an `IN` matches), so the lists of
//! up to [`CACHED_UP_TO`] values come in 8 lengths, each one entry of the
//! connection's statement cache; a longer list keeps its statement out of
//! the cache. For statements of a fixed shape only: diesel's cache has no
//! bound of its own, and a statement whose text also varies with optional
//! filters (search words, dates, several lists) would multiply the 8
//! lengths by every shape a client can ask for; those use [`among_once`],
//! which SQLite does not cache.
//!
//! On PostgreSQL a list of one value is written `column = $1`. Most
//! callers have one account, and PostgreSQL reads `= ANY` of one value
//! like a list: an index on `(account_id, updated_at)` then cannot give
//! rows in `updated_at` order, so a page sorted that way reads and sorts
//! every matching row of the account, where `=` reads the page's rows
//! from the index in order. Two texts per statement at most, each
//! prepared once per connection.

use diesel::QueryResult;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::is_nullable::{IsSqlTypeNullable, MaybeNullable};
use diesel::sql_types::{Array, Bool, HasSqlType, MaybeNullableType, SingleValue};
use diesel::sqlite::Sqlite;

/// The longest list a cached SQLite statement holds.
pub(crate) const CACHED_UP_TO: usize = 128;

/// `column IN (values)`; no values matches nothing.
#[derive(Debug, Clone)]
pub(crate) struct Among<C, T> {
    column: C,
    values: Vec<T>,
    /// Whether SQLite may keep the statement prepared.
    cached: bool,
}

/// `column IN (values)`, cached on SQLite while the list is short.
pub(crate) fn among<C, I>(column: C, values: I) -> Among<C, I::Item>
where
    I: IntoIterator,
{
    Among {
        column,
        values: values.into_iter().collect(),
        cached: true,
    }
}

/// `column IN (values)` in a statement SQLite must not cache (its text
/// varies with more than the list): the list is written as it is, like
/// diesel's `eq_any`; on PostgreSQL the same as [`among`].
pub(crate) fn among_once<C, I>(column: C, values: I) -> Among<C, I::Item>
where
    I: IntoIterator,
{
    Among {
        cached: false,
        ..among(column, values)
    }
}

impl<C, T> Expression for Among<C, T>
where
    C: Expression,
    C::SqlType: SingleValue,
    IsSqlTypeNullable<C::SqlType>: MaybeNullableType<Bool>,
{
    type SqlType = MaybeNullable<IsSqlTypeNullable<C::SqlType>, Bool>;
}

impl<C, T, QS> AppearsOnTable<QS> for Among<C, T>
where
    Self: Expression,
    C: AppearsOnTable<QS>,
{
}

impl<C, T, QS> SelectableExpression<QS> for Among<C, T>
where
    Self: AppearsOnTable<QS>,
    C: SelectableExpression<QS>,
{
}

impl<C, T, GB> ValidGrouping<GB> for Among<C, T>
where
    C: ValidGrouping<GB>,
{
    type IsAggregate = C::IsAggregate;
}

impl<C, T> QueryId for Among<C, T> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<C, T> QueryFragment<Sqlite> for Among<C, T>
where
    C: Expression + QueryFragment<Sqlite>,
    C::SqlType: SingleValue,
    Sqlite: HasSqlType<C::SqlType>,
    T: ToSql<C::SqlType, Sqlite>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        let n = self.values.len();
        let padded = self.cached && n <= CACHED_UP_TO;
        if !padded {
            out.unsafe_to_cache_prepared();
        }
        if n == 0 {
            out.push_sql("1=0");
            return Ok(());
        }
        let shown = if padded { n.next_power_of_two() } else { n };
        out.push_sql("(");
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (");
        for i in 0..shown {
            if i > 0 {
                out.push_sql(", ");
            }
            out.push_bind_param::<C::SqlType, T>(&self.values[i.min(n - 1)])?;
        }
        out.push_sql("))");
        Ok(())
    }
}

impl<C, T> QueryFragment<Pg> for Among<C, T>
where
    C: Expression + QueryFragment<Pg>,
    C::SqlType: SingleValue,
    Pg: HasSqlType<C::SqlType>,
    T: ToSql<C::SqlType, Pg>,
    Vec<T>: ToSql<Array<C::SqlType>, Pg>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("(");
        self.column.walk_ast(out.reborrow())?;
        if let [value] = self.values.as_slice() {
            out.push_sql(" = ");
            out.push_bind_param::<C::SqlType, T>(value)?;
            out.push_sql(")");
            return Ok(());
        }
        out.push_sql(" = ANY(");
        out.push_bind_param::<Array<C::SqlType>, Vec<T>>(&self.values)?;
        out.push_sql("))");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::cases;
    use diesel::debug_query;
    use diesel::prelude::*;

    fn sqlite_sql(ids: &[&str]) -> String {
        let q = cases::table
            .select(cases::id)
            .filter(among(cases::account_id, ids.iter().copied()));
        debug_query::<Sqlite, _>(&q).to_string()
    }

    #[test]
    fn sqlite_pads_a_list_to_a_power_of_two_with_its_last_value() {
        let sql = sqlite_sql(&["a", "b"]);
        assert!(sql.contains("(`cases`.`account_id` IN (?, ?))"), "{sql}");
        assert!(sql.contains(r#"binds: ["a", "b"]"#), "{sql}");
        let sql = sqlite_sql(&["a", "b", "c"]);
        assert!(sql.contains("IN (?, ?, ?, ?))"), "{sql}");
        assert!(sql.contains(r#"binds: ["a", "b", "c", "c"]"#), "{sql}");
    }

    #[test]
    fn a_long_list_is_written_as_it_is() {
        let ids: Vec<String> = (0..=CACHED_UP_TO).map(|i| i.to_string()).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let sql = sqlite_sql(&ids);
        assert_eq!(sql.matches('?').count(), CACHED_UP_TO + 1, "{sql}");
    }

    /// Runs a list query twice per length on a real SQLite connection and
    /// answers which statements went into its cache.
    fn cached_statements(lengths: &[usize], once: bool) -> Vec<String> {
        use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
        use std::sync::{Arc, Mutex};

        struct Cached(Arc<Mutex<Vec<String>>>);
        impl Instrumentation for Cached {
            fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
                if let InstrumentationEvent::CacheQuery { sql, .. } = event {
                    self.0.lock().unwrap().push(sql.to_string());
                }
            }
        }

        let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
        conn.batch_execute(
            "CREATE TABLE cases (id INTEGER PRIMARY KEY, account_id TEXT NOT NULL); \
             INSERT INTO cases (account_id) VALUES ('a'), ('b'), ('c');",
        )
        .unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        conn.set_instrumentation(Cached(seen.clone()));
        for &n in lengths {
            let ids: Vec<String> = ["a", "b", "c"]
                .iter()
                .cycle()
                .take(n)
                .map(|s| s.to_string())
                .collect();
            for _ in 0..2 {
                let list = if once {
                    among_once(cases::account_id, &ids)
                } else {
                    among(cases::account_id, &ids)
                };
                let found: Vec<i64> = cases::table
                    .select(cases::id)
                    .filter(list)
                    .order(cases::id)
                    .load(&mut conn)
                    .unwrap();
                assert_eq!(found, (1..=n.min(3) as i64).collect::<Vec<_>>());
            }
        }
        seen.lock().unwrap().clone()
    }

    #[test]
    fn sqlite_prepares_a_short_list_once_per_padded_length() {
        // 3 and 4 share the padded length 4; 1 and 2 have their own.
        assert_eq!(cached_statements(&[1, 2, 3, 4], false).len(), 3);
    }

    #[test]
    fn sqlite_keeps_a_long_list_out_of_its_cache() {
        assert!(cached_statements(&[CACHED_UP_TO + 1], false).is_empty());
    }

    #[test]
    fn a_list_for_once_stays_out_of_the_cache_and_unpadded() {
        assert!(cached_statements(&[0, 1, 2, 3], true).is_empty());
        let ids = ["a", "b", "c"];
        let q = cases::table
            .select(cases::id)
            .filter(among_once(cases::account_id, ids));
        let sql = debug_query::<Sqlite, _>(&q).to_string();
        assert!(sql.contains("IN (?, ?, ?))"), "{sql}");
    }

    #[test]
    fn an_empty_list_matches_nothing() {
        let sql = sqlite_sql(&[]);
        assert!(sql.contains("WHERE 1=0"), "{sql}");
    }

    #[test]
    fn postgres_binds_one_array() {
        let ids = vec!["a".to_string(), "b".to_string()];
        let q = cases::table
            .select(cases::id)
            .filter(among(cases::account_id, &ids));
        let sql = debug_query::<Pg, _>(&q).to_string();
        assert!(sql.contains(r#"("cases"."account_id" = ANY($1))"#), "{sql}");
    }

    #[test]
    fn postgres_compares_a_single_value_directly() {
        for list in [
            among(cases::account_id, ["a"]),
            among_once(cases::account_id, ["a"]),
        ] {
            let q = cases::table.select(cases::id).filter(list);
            let sql = debug_query::<Pg, _>(&q).to_string();
            assert!(sql.contains(r#"("cases"."account_id" = $1)"#), "{sql}");
            assert!(sql.contains(r#"binds: ["a"]"#), "{sql}");
        }
    }
}
