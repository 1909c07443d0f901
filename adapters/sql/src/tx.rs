//! Write transactions: [`TxError`], what fails inside one, and
//! [`transaction!`](crate::transaction), which runs one.

use switchboard_core::Error;

use crate::db_error;

/// What fails inside a transaction: the database, or a rule the store
/// enforces (which rolls the transaction back like any other error).
pub(crate) enum TxError {
    /// The database failed.
    Db(diesel::result::Error),
    /// A rule refused the write.
    Domain(Error),
}

impl From<diesel::result::Error> for TxError {
    fn from(e: diesel::result::Error) -> Self {
        TxError::Db(e)
    }
}

impl From<Error> for TxError {
    fn from(e: Error) -> Self {
        TxError::Domain(e)
    }
}

impl From<TxError> for Error {
    fn from(e: TxError) -> Self {
        match e {
            TxError::Db(e) => db_error(e),
            TxError::Domain(e) => e,
        }
    }
}

/// [`TxError`] as the port's error.
pub(crate) fn tx_error(e: TxError) -> Error {
    e.into()
}

/// Runs `$body` with `$conn` in a write transaction on `$db` (writers
/// serialised on SQLite); a [`TxError`] rolls it back and becomes the
/// port's error.
#[macro_export]
#[doc(hidden)]
macro_rules! transaction {
    ($db:expr, |$conn:ident| $body:expr) => {{
        let _guard = $db.write_guard().await;
        $crate::with_conn!($db, |conn| {
            diesel_async::AsyncConnection::transaction::<_, $crate::tx::TxError, _>(
                conn,
                async |$conn| $body,
            )
            .await
            .map_err($crate::tx::tx_error)
        })
    }};
}
