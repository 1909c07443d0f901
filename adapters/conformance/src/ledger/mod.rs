//! Behaviours of the [`WriteLedger`] port: claims, completion and release
//! of keyed writes (exactly one winner among concurrent claims, stale
//! claims resumed exactly once, fingerprints checked in every state, keys
//! separate per backend, kind and actor) and the authors of records.
//!
//! Each behaviour needs a ledger of its own (a fresh database). Those that
//! race take an `Arc`, because they claim from separately spawned tasks;
//! run them on a multi-thread runtime.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use switchboard_core::ledger::{Claim, KeyedWrite, WriteKind, WriteLedger};
use tokio::sync::Barrier;

use crate::support::ok;

pub use crate::ledger_kept::{
    activities_come_back_per_case_oldest_first, deliveries_are_first_once_until_forgotten,
};

mod authors;
mod claims;
mod races;

pub use authors::authors_keep_the_first_record;
pub use claims::{grant_then_done, mismatch_in_every_state};
pub use races::{
    concurrent_claims_grant_exactly_one, keys_are_separate_per_backend_kind_and_actor,
    release_lets_a_new_claim_win, stale_claims_resume_exactly_once,
};

/// The backend the behaviours write for.
const BACKEND: &str = "servicenow";

/// How many tasks race in the concurrent behaviours.
const RACERS: usize = 16;

/// A `stale_after` no behaviour waits out.
const LONG: Duration = Duration::from_secs(3600);

/// The `stale_after` of the resume race. The racers must all read the key
/// within this time after the winner moved its claim forward (or a second
/// racer would find the winner's claim stale too), so it is generous for a
/// loaded machine; the behaviour waits it out once.
const RESUME_STALE: Duration = Duration::from_millis(1500);

/// A keyed write of `actor` under `key` with input `fingerprint`.
fn keyed(kind: WriteKind, actor: &str, key: &str, fingerprint: &str) -> KeyedWrite {
    KeyedWrite {
        backend: BACKEND.to_string(),
        kind,
        actor_user_id: actor.to_string(),
        key: key.to_string(),
        fingerprint: fingerprint.to_string(),
    }
}

/// Claims `write` and checks the answer.
#[track_caller]
fn expect_claim(got: switchboard_core::Result<Claim>, want: &Claim, step: &str) {
    let got = ok(got, step);
    assert_eq!(&got, want, "{step}: expected {want:?}, got {got:?}");
}

/// Claims `write` from [`RACERS`] tasks at once; their answers.
async fn race(
    ledger: &Arc<dyn WriteLedger>,
    write: &KeyedWrite,
    stale_after: Duration,
) -> Vec<Claim> {
    let start = Arc::new(Barrier::new(RACERS));
    let tasks: Vec<_> = (0..RACERS)
        .map(|_| {
            let ledger = ledger.clone();
            let write = write.clone();
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                ledger.claim(&write, stale_after).await
            })
        })
        .collect();
    let mut claims = Vec::with_capacity(RACERS);
    for task in tasks {
        let claim = task.await.expect("a claiming task panicked");
        claims.push(ok(claim, "a concurrent claim"));
    }
    claims
}

/// Races on a key of its own, so that a pooled ledger has its connections
/// open and the racers of a behaviour really overlap (with connections
/// still opening, they would run one after another).
async fn warm_up(ledger: &Arc<dyn WriteLedger>) {
    let write = keyed(WriteKind::Case, "user-warm-up", "key-warm-up", "fp-warm-up");
    race(ledger, &write, LONG).await;
}

/// Checks that exactly one of `claims` matches `winner` and all others are
/// [`Claim::InFlight`].
#[track_caller]
fn expect_one_winner(claims: &[Claim], winner: impl Fn(&Claim) -> bool, step: &str) {
    let winners = claims.iter().filter(|c| winner(c)).count();
    let in_flight = claims.iter().filter(|c| **c == Claim::InFlight).count();
    assert!(
        winners == 1 && in_flight == claims.len() - 1,
        "{step}: expected one winner and {} InFlight, got {claims:?}",
        claims.len() - 1
    );
}
