//! Opaque keyset cursors: the sort key of the last row seen and its id,
//! tagged with the ordering they belong to.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
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

/// Orders `$q` by `$table::$col` then `$table::id` in `$dir` (a core
/// `Direction`) and, when `$key` is a cursor's `Some((key, id))`, keeps only
/// the rows after it.
///
/// The condition is one row-value comparison, `(col, id) > (key, id)` (`<`
/// descending), which SQLite and PostgreSQL both answer by seeking into the
/// matching composite index, so a deep page costs what the first one does.
/// The equivalent `col > key OR (col = key AND id > id)` makes PostgreSQL
/// read the index from its start instead.
macro_rules! seek {
    ($q:ident, $table:ident :: $col:ident, $dir:expr, $key:expr) => {{
        let direction: switchboard_core::cases::Direction = $dir;
        if let Some((key, id)) = $key {
            let after = match direction {
                switchboard_core::cases::Direction::Asc => ") > (",
                switchboard_core::cases::Direction::Desc => ") < (",
            };
            $q = $q.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>(concat!(
                    "(",
                    stringify!($table),
                    ".",
                    stringify!($col),
                    ", ",
                    stringify!($table),
                    ".id"
                ))
                .sql(after)
                .bind::<<$table::$col as diesel::Expression>::SqlType, _>(key)
                .sql(", ")
                .bind::<diesel::sql_types::BigInt, _>(id)
                .sql(")"),
            );
        }
        $q = match direction {
            switchboard_core::cases::Direction::Asc => {
                $q.order_by(($table::$col.asc(), $table::id.asc()))
            }
            switchboard_core::cases::Direction::Desc => {
                $q.order_by(($table::$col.desc(), $table::id.desc()))
            }
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
