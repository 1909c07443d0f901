//! The toll-free port, its reads and writes apart, and [`ReadThrough`]:
//! a decorator that changes only writes implements [`TollFreeWrites`] and
//! names the store that answers its reads.

use async_trait::async_trait;

use super::{ChangeRequest, Decision, NewChangeRequest, TollFreeFilter, TollFreeNumber};
use crate::cases::Created;
use crate::{Actor, Page, PageRequest, Result, Scope};

/// The toll-free port: its reads and its writes.
///
/// Guarantees every implementation gives (checked by the conformance suite):
/// - every customer method filters by the [`Scope`]; an account, number or
///   request outside it is [`crate::Error::NotFound`] (or absent from a
///   batch). Roles are not the port's business;
/// - number lists are ordered by toll-free number, and a cursor resumes
///   right after its item; requests are listed newest first;
/// - [`TollFreeWrites::submit`] validates every line again inside its
///   transaction with [`super::preview()`] and writes nothing unless all are valid
///   (an [`crate::Error::InvalidInput`] on `changes` lists each bad line's
///   code); it marks the numbers [`super::NumberStatus::ChangePending`] and opens
///   the request's case: in the same transaction when cases live in the same
///   database, or beforehand through [`super::RequestCases`] when they live
///   elsewhere (then a refused submit resolves that case again);
/// - a retried submit with the same idempotency key and input returns the
///   first request (`replayed`), and with other input is a
///   [`crate::Error::Conflict`].
pub trait TollFreeStore: TollFreeReads + TollFreeWrites {}

impl<T: TollFreeReads + TollFreeWrites> TollFreeStore for T {}

/// Numbers and requests, read. Part of [`TollFreeStore`], whose rules apply.
#[async_trait]
pub trait TollFreeReads: Send + Sync {
    /// The backend's name for logs and errors.
    fn backend(&self) -> &'static str;

    /// One page of an account's toll-free numbers, by number.
    async fn list_numbers(
        &self,
        scope: &Scope,
        account_id: &str,
        filter: &TollFreeFilter,
        page: &PageRequest,
    ) -> Result<Page<TollFreeNumber>>;

    /// How many of an account's numbers match `filter`.
    async fn count_numbers(
        &self,
        scope: &Scope,
        account_id: &str,
        filter: &TollFreeFilter,
    ) -> Result<u64>;

    /// The account's numbers among `numbers` (10 digits each), in any order.
    async fn numbers(
        &self,
        scope: &Scope,
        account_id: &str,
        numbers: &[String],
    ) -> Result<Vec<TollFreeNumber>>;

    /// The requests with these ids that are in scope, in any order.
    async fn change_requests(&self, scope: &Scope, ids: &[String]) -> Result<Vec<ChangeRequest>>;

    /// One page of an account's requests, newest first.
    async fn list_change_requests(
        &self,
        scope: &Scope,
        account_id: &str,
        page: &PageRequest,
    ) -> Result<Page<ChangeRequest>>;
}

/// Submitting and deciding requests. Part of [`TollFreeStore`], whose rules apply.
#[async_trait]
pub trait TollFreeWrites: Send + Sync {
    /// Submits a batch: all lines valid, or nothing written.
    async fn submit(
        &self,
        scope: &Scope,
        actor: &Actor,
        request: NewChangeRequest,
    ) -> Result<Created<ChangeRequest>>;

    /// Completes or rejects a pending request, on any account: this is the
    /// provisioning side's action (the gateway's operators), so it takes no
    /// customer scope. Completing applies each line's ring-to; either way
    /// the numbers return to [`super::NumberStatus::Active`] and the case is
    /// resolved. A request that is not pending is a [`crate::Error::Conflict`].
    async fn decide(&self, operator: &Actor, id: &str, decision: Decision)
    -> Result<ChangeRequest>;
}

/// A toll-free decorator that changes only writes: every read goes
/// unchanged to [`ReadThrough::reads`].
pub trait ReadThrough: Send + Sync {
    /// The store that answers reads.
    fn reads(&self) -> &dyn TollFreeStore;
}

#[async_trait]
impl<T: ReadThrough> TollFreeReads for T {
    fn backend(&self) -> &'static str {
        self.reads().backend()
    }

    async fn list_numbers(
        &self,
        scope: &Scope,
        account_id: &str,
        filter: &TollFreeFilter,
        page: &PageRequest,
    ) -> Result<Page<TollFreeNumber>> {
        self.reads()
            .list_numbers(scope, account_id, filter, page)
            .await
    }

    async fn count_numbers(
        &self,
        scope: &Scope,
        account_id: &str,
        filter: &TollFreeFilter,
    ) -> Result<u64> {
        self.reads().count_numbers(scope, account_id, filter).await
    }

    async fn numbers(
        &self,
        scope: &Scope,
        account_id: &str,
        numbers: &[String],
    ) -> Result<Vec<TollFreeNumber>> {
        self.reads().numbers(scope, account_id, numbers).await
    }

    async fn change_requests(&self, scope: &Scope, ids: &[String]) -> Result<Vec<ChangeRequest>> {
        self.reads().change_requests(scope, ids).await
    }

    async fn list_change_requests(
        &self,
        scope: &Scope,
        account_id: &str,
        page: &PageRequest,
    ) -> Result<Page<ChangeRequest>> {
        self.reads()
            .list_change_requests(scope, account_id, page)
            .await
    }
}
