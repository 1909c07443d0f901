//! Opaque keyset cursors: the sort key of the last row seen and its id,
//! tagged with the ordering they belong to.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::backend::Backend;
use diesel::expression::{AppearsOnTable, Expression, ValidGrouping, is_aggregate};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::result::QueryResult;
use diesel::sql_types::Bool;
use serde::{Deserialize, Serialize};
use switchboard_core::{Error, Page};

/// A decoded cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Cursor {
    /// The ordering it was made for, e.g. `UPDATED_DESC`.
    pub o: String,
    /// The sort key, as text (timestamps in microseconds since the epoch).
    pub k: String,
    /// The row's id.
    pub i: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Decodes `raw`, which must have been made for `ordering`.
    pub fn decode(raw: &str, ordering: &str) -> Result<Self, Error> {
        let bad = || {
            Error::invalid(
                "after",
                "this cursor is not valid for this list; start again without `after`",
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if cursor.o != ordering {
            return Err(bad());
        }
        Ok(cursor)
    }

    pub fn key_i64(&self) -> Result<i64, Error> {
        self.k
            .parse()
            .map_err(|_| Error::invalid("after", "this cursor is not valid for this list"))
    }
}

/// The page of at most `first` items out of `rows` (read one beyond
/// `first`), each with the cursor `cursor` makes of its row.
pub(crate) fn page_of<R, T>(
    rows: Vec<R>,
    first: usize,
    cursor: impl Fn(&R) -> Cursor,
    convert: impl FnMut(R) -> T,
) -> Page<T> {
    Page::from_lookahead(rows, first, |row| cursor(row).encode(), convert)
}

/// `(col, id) > (key, id)`, or `<` when `descending`: the keyset condition
/// of [`seek!`] as one row-value comparison. A diesel expression rather than
/// SQL text so the statement stays cacheable as a prepared statement (SQL
/// text would make PostgreSQL parse and plan every page after the first).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowAfter<C, I, K, J> {
    col: C,
    id: I,
    key: K,
    at: J,
    descending: bool,
}

impl<C, I, K, J> RowAfter<C, I, K, J> {
    pub(crate) fn new(col: C, id: I, key: K, at: J, descending: bool) -> Self {
        Self {
            col,
            id,
            key,
            at,
            descending,
        }
    }
}

impl<C, I, K, J> Expression for RowAfter<C, I, K, J> {
    type SqlType = Bool;
}

impl<C, I, K, J, QS> AppearsOnTable<QS> for RowAfter<C, I, K, J>
where
    C: AppearsOnTable<QS>,
    I: AppearsOnTable<QS>,
    K: AppearsOnTable<QS>,
    J: AppearsOnTable<QS>,
{
}

impl<C, I, K, J, GB> ValidGrouping<GB> for RowAfter<C, I, K, J> {
    type IsAggregate = is_aggregate::Never;
}

/// No static id: the two directions write different SQL, so statements are
/// cached by their text.
impl<C, I, K, J> QueryId for RowAfter<C, I, K, J> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<C, I, K, J, DB> QueryFragment<DB> for RowAfter<C, I, K, J>
where
    DB: Backend,
    C: QueryFragment<DB>,
    I: QueryFragment<DB>,
    K: QueryFragment<DB>,
    J: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("(");
        self.col.walk_ast(out.reborrow())?;
        out.push_sql(", ");
        self.id.walk_ast(out.reborrow())?;
        out.push_sql(if self.descending { ") < (" } else { ") > (" });
        self.key.walk_ast(out.reborrow())?;
        out.push_sql(", ");
        self.at.walk_ast(out.reborrow())?;
        out.push_sql(")");
        Ok(())
    }
}

/// Orders `$q` by `$table::$col` then `$table::id` in `$dir` (a core
/// `Direction`) and, when `$key` is a cursor's `Some((key, id))`, keeps only
/// the rows after it.
///
/// The condition is one row-value comparison, `(col, id) > (key, id)` (`<`
/// descending, [`RowAfter`]), which PostgreSQL answers by seeking into the
/// matching composite index, so a deep page costs what the second one does.
/// The equivalent `col > key OR (col = key AND id > id)` makes PostgreSQL
/// read the index from its start instead. SQLite enters an index with the
/// row value's first column only: fine for keys with many distinct values;
/// see [`load_in_groups!`] for the others.
macro_rules! seek {
    ($q:ident, $table:ident :: $col:ident, $dir:expr, $key:expr) => {{
        let direction: switchboard_core::cases::Direction = $dir;
        let descending = direction == switchboard_core::cases::Direction::Desc;
        if let Some((key, id)) = $key {
            $q = $q.filter($crate::cursor::RowAfter::new(
                $table::$col,
                $table::id,
                diesel::IntoSql::into_sql::<<$table::$col as diesel::Expression>::SqlType>(key),
                diesel::IntoSql::into_sql::<diesel::sql_types::BigInt>(id),
                descending,
            ));
        }
        $q = if descending {
            $q.order_by(($table::$col.desc(), $table::id.desc()))
        } else {
            $q.order_by(($table::$col.asc(), $table::id.asc()))
        };
    }};
}
pub(crate) use seek;

/// Loads the page after a cursor's `($key, $id)` of `$query` (a boxed query,
/// written out twice) ordered by `$table::$col` then `$table::id` in `$dir`,
/// at most `$limit` rows, as two exact seeks instead of one [`seek!`]: the
/// rest of the cursor's group (`col = key AND id > id`), then, when that runs
/// short, the groups after it (`col > key`). For orderings with few
/// distinct keys on SQLite, whose planner enters an index with only the
/// first column of a row value and would skip the group's earlier rows one
/// by one.
macro_rules! load_in_groups {
    ($conn:ident, $query:expr, $table:ident :: $col:ident, $dir:expr, ($key:expr, $id:expr), $limit:expr) => {{
        let direction: switchboard_core::cases::Direction = $dir;
        let (key, id, limit): (_, i64, i64) = ($key, $id, $limit);
        let rest = $query.filter($table::$col.eq(key));
        let rest = match direction {
            switchboard_core::cases::Direction::Asc => {
                rest.filter($table::id.gt(id)).order_by($table::id.asc())
            }
            switchboard_core::cases::Direction::Desc => {
                rest.filter($table::id.lt(id)).order_by($table::id.desc())
            }
        };
        let mut rows: Vec<_> = rest.limit(limit).load($conn).await.map_err(db_error)?;
        let short = limit - rows.len() as i64;
        if short > 0 {
            let next = match direction {
                switchboard_core::cases::Direction::Asc => $query
                    .filter($table::$col.gt(key))
                    .order_by(($table::$col.asc(), $table::id.asc())),
                switchboard_core::cases::Direction::Desc => $query
                    .filter($table::$col.lt(key))
                    .order_by(($table::$col.desc(), $table::id.desc())),
            };
            rows.extend(next.limit(short).load($conn).await.map_err(db_error)?);
        }
        Ok::<_, Error>(rows)
    }};
}
pub(crate) use load_in_groups;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_ordering_check() {
        let c = Cursor {
            o: "UPDATED_DESC".into(),
            k: "17".into(),
            i: 4,
        };
        let raw = c.encode();
        assert_eq!(Cursor::decode(&raw, "UPDATED_DESC").unwrap(), c);
        assert!(Cursor::decode(&raw, "NUMBER_ASC").is_err());
        assert!(Cursor::decode("not-a-cursor", "UPDATED_DESC").is_err());
    }
}
