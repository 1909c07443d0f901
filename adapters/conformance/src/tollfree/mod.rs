//! Behaviours of the [`TollFreeStore`] port: scoping, number lists in
//! number order with filters, counts and keyset pages, atomic and
//! idempotent submits, operators' decisions, and the events the
//! publishing decorator announces.

use crate::support::every_item;
use switchboard_core::tollfree::{
    ChangeStatus, Decision, NewChangeRequest, NumberStatus, Rates, RingToChange, TollFreeFilter,
    TollFreeNumber, TollFreeStore, TollFreeWrites as _,
};
use switchboard_core::{Actor, Error, PageRequest, Scope};

mod decisions;
mod events;
mod numbers;
mod retries;

pub use decisions::{rejecting_changes_nothing, submit_then_complete_applies_the_changes};
pub use events::writes_are_announced_once;
pub use numbers::{
    numbers_are_ordered_filtered_and_paged, scoping_hides_other_accounts, submit_is_all_or_nothing,
};
pub use retries::retried_submits_are_idempotent;

/// What the toll-free behaviours need: two accounts with at least a dozen
/// numbers each (some that can be changed online and some that cannot),
/// a user of the first account, and an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TollFreeFixture {
    /// The account the behaviours read and write.
    pub home: String,
    /// Another account, whose numbers must stay out of `home`'s reach.
    pub other: String,
    /// A user of `home`.
    pub actor: Actor,
    /// Who decides requests.
    pub operator: Actor,
}

impl TollFreeFixture {
    fn scope(&self) -> Scope {
        Scope::new([self.home.clone()])
    }
}

/// Every number of `account` matching `filter`, read `size` at a time.
async fn every_number(
    store: &dyn TollFreeStore,
    scope: &Scope,
    account: &str,
    filter: &TollFreeFilter,
    size: usize,
) -> Vec<TollFreeNumber> {
    every_item("toll-free numbers", size, |page| async move {
        store.list_numbers(scope, account, filter, &page).await
    })
    .await
}

/// A ring-to number in the same area code as `n`'s current one, so it
/// satisfies every rule the current one does.
fn nearby(n: &TollFreeNumber, line: u32) -> String {
    format!("{}555{line:04}", &n.ring_to[..3])
}

async fn changeable(store: &dyn TollFreeStore, f: &TollFreeFixture) -> Vec<TollFreeNumber> {
    every_number(store, &f.scope(), &f.home, &TollFreeFilter::default(), 100)
        .await
        .into_iter()
        .filter(|n| n.changeable_online && n.status == NumberStatus::Active)
        .collect()
}

fn request(f: &TollFreeFixture, changes: Vec<RingToChange>, key: Option<&str>) -> NewChangeRequest {
    NewChangeRequest {
        account_id: f.home.clone(),
        changes,
        rates: Rates::default(),
        idempotency_key: key.map(str::to_string),
    }
}

fn change(n: &TollFreeNumber, ring_to: String) -> RingToChange {
    RingToChange {
        number: n.number.clone(),
        ring_to,
    }
}
