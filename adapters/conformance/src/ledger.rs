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

/// A new key is granted once; while held it is in flight; once completed
/// every claim answers with the record, however old the claim is; a
/// release after completion changes nothing; completing a key that was
/// never claimed records it too.
pub async fn grant_then_done(ledger: &dyn WriteLedger) {
    let write = keyed(WriteKind::Comment, "user-1", "key-grant", "fp-1");
    expect_claim(
        ledger.claim(&write, LONG).await,
        &Claim::Granted,
        "first claim of a new key",
    );
    expect_claim(
        ledger.claim(&write, LONG).await,
        &Claim::InFlight,
        "claim of a held key",
    );
    ok(ledger.complete(&write, "rec-1").await, "complete");
    let done = Claim::Done {
        record_id: "rec-1".into(),
    };
    expect_claim(
        ledger.claim(&write, LONG).await,
        &done,
        "claim of a completed key",
    );
    expect_claim(
        ledger.claim(&write, Duration::ZERO).await,
        &done,
        "claim of a completed key with stale_after zero (a done key never goes stale)",
    );
    ok(ledger.release(&write).await, "release of a completed key");
    expect_claim(
        ledger.claim(&write, LONG).await,
        &done,
        "claim after releasing a completed key",
    );

    let unclaimed = keyed(WriteKind::Attachment, "user-1", "key-unclaimed", "fp-2");
    ok(
        ledger.complete(&unclaimed, "rec-2").await,
        "complete without a claim",
    );
    expect_claim(
        ledger.claim(&unclaimed, LONG).await,
        &Claim::Done {
            record_id: "rec-2".into(),
        },
        "claim of a key completed without a claim",
    );
}

/// Another fingerprint under a key is a mismatch while the key is held,
/// when its claim is stale (and the mismatched claim takes nothing over)
/// and when it is done; a released key remembers no fingerprint.
pub async fn mismatch_in_every_state(ledger: &dyn WriteLedger) {
    let first = keyed(WriteKind::Case, "user-1", "key-mismatch", "fp-first");
    let other = KeyedWrite {
        fingerprint: "fp-other".into(),
        ..first.clone()
    };
    expect_claim(
        ledger.claim(&first, LONG).await,
        &Claim::Granted,
        "first claim",
    );
    expect_claim(
        ledger.claim(&other, LONG).await,
        &Claim::Mismatch,
        "other input while held",
    );

    tokio::time::sleep(Duration::from_millis(20)).await;
    expect_claim(
        ledger.claim(&other, Duration::from_millis(1)).await,
        &Claim::Mismatch,
        "other input while the claim is stale",
    );
    expect_claim(
        ledger.claim(&first, LONG).await,
        &Claim::InFlight,
        "the first input after a mismatched claim of a stale key (it must take nothing over)",
    );

    ok(ledger.complete(&first, "rec-case").await, "complete");
    expect_claim(
        ledger.claim(&other, LONG).await,
        &Claim::Mismatch,
        "other input once done",
    );
    expect_claim(
        ledger.claim(&other, Duration::ZERO).await,
        &Claim::Mismatch,
        "other input once done, stale_after zero",
    );
    expect_claim(
        ledger.claim(&first, LONG).await,
        &Claim::Done {
            record_id: "rec-case".into(),
        },
        "the first input once done",
    );

    let released = keyed(WriteKind::Comment, "user-1", "key-released", "fp-first");
    expect_claim(
        ledger.claim(&released, LONG).await,
        &Claim::Granted,
        "claim before release",
    );
    ok(ledger.release(&released).await, "release");
    let retry = KeyedWrite {
        fingerprint: "fp-other".into(),
        ..released
    };
    expect_claim(
        ledger.claim(&retry, LONG).await,
        &Claim::Granted,
        "other input after a release (a released key is free)",
    );
}

/// The same key of another backend, kind or actor is a key of its own: it
/// is granted (whatever its input) and leaves the first key as it was.
pub async fn keys_are_separate_per_backend_kind_and_actor(ledger: &dyn WriteLedger) {
    let base = keyed(WriteKind::Comment, "user-1", "key-shared", "fp-base");
    expect_claim(
        ledger.claim(&base, LONG).await,
        &Claim::Granted,
        "claim of the base key",
    );
    ok(
        ledger.complete(&base, "rec-base").await,
        "complete the base key",
    );

    let variants = [
        (
            "another backend",
            KeyedWrite {
                backend: "okta".into(),
                fingerprint: "fp-variant".into(),
                ..base.clone()
            },
        ),
        (
            "another kind",
            KeyedWrite {
                kind: WriteKind::Attachment,
                fingerprint: "fp-variant".into(),
                ..base.clone()
            },
        ),
        (
            "another actor",
            KeyedWrite {
                actor_user_id: "user-2".into(),
                fingerprint: "fp-variant".into(),
                ..base.clone()
            },
        ),
        (
            "another key",
            KeyedWrite {
                key: "key-other".into(),
                fingerprint: "fp-variant".into(),
                ..base.clone()
            },
        ),
    ];
    for (what, variant) in &variants {
        expect_claim(
            ledger.claim(variant, LONG).await,
            &Claim::Granted,
            &format!("the same key for {what}"),
        );
    }
    for (what, variant) in &variants {
        ok(
            ledger.release(variant).await,
            &format!("release for {what}"),
        );
    }
    expect_claim(
        ledger.claim(&base, LONG).await,
        &Claim::Done {
            record_id: "rec-base".into(),
        },
        "the base key after its variants were claimed and released",
    );
}

/// Of [`RACERS`] concurrent claims of a new key exactly one is granted;
/// the others are in flight.
pub async fn concurrent_claims_grant_exactly_one(ledger: Arc<dyn WriteLedger>) {
    warm_up(&ledger).await;
    let write = keyed(WriteKind::Case, "user-1", "key-race", "fp-race");
    let claims = race(&ledger, &write, LONG).await;
    expect_one_winner(
        &claims,
        |c| *c == Claim::Granted,
        "concurrent claims of a new key",
    );
}

/// A released claim lets exactly one of [`RACERS`] concurrent new claims
/// win.
pub async fn release_lets_a_new_claim_win(ledger: Arc<dyn WriteLedger>) {
    let write = keyed(WriteKind::Attachment, "user-1", "key-release", "fp-release");
    expect_claim(
        ledger.claim(&write, LONG).await,
        &Claim::Granted,
        "first claim",
    );
    warm_up(&ledger).await;
    ok(ledger.release(&write).await, "release");
    let claims = race(&ledger, &write, LONG).await;
    expect_one_winner(
        &claims,
        |c| *c == Claim::Granted,
        "concurrent claims after a release",
    );
}

/// An unfinished claim older than `stale_after` is resumed by exactly one
/// of [`RACERS`] concurrent claims, which learns when the first attempt
/// claimed the key; the others are in flight, and the resumer can complete.
pub async fn stale_claims_resume_exactly_once(ledger: Arc<dyn WriteLedger>) {
    let write = keyed(WriteKind::Comment, "user-1", "key-stale", "fp-stale");
    let before = Utc::now();
    expect_claim(
        ledger.claim(&write, LONG).await,
        &Claim::Granted,
        "first claim",
    );
    let after = Utc::now();
    warm_up(&ledger).await;
    tokio::time::sleep(RESUME_STALE + Duration::from_millis(100)).await;

    let claims = race(&ledger, &write, RESUME_STALE).await;
    expect_one_winner(
        &claims,
        |c| matches!(c, Claim::Resumed { .. }),
        "concurrent claims of a stale key",
    );
    let since = claims
        .iter()
        .find_map(|c| match c {
            Claim::Resumed { since } => Some(*since),
            _ => None,
        })
        .expect("one claim resumed");
    // Databases keep microseconds; allow for the rounding.
    let slack = TimeDelta::milliseconds(1);
    assert!(
        before - slack <= since && since <= after + slack,
        "Resumed.since must be when the first attempt claimed the key \
         (between {before} and {after}), got {since}"
    );

    ok(
        ledger.complete(&write, "rec-resumed").await,
        "complete after resuming",
    );
    expect_claim(
        ledger.claim(&write, Duration::ZERO).await,
        &Claim::Done {
            record_id: "rec-resumed".into(),
        },
        "claim once the resumer completed",
    );
}

/// Recording a record's author again (in a later batch or the same one)
/// keeps the first; lookups return only recorded ids of the backend asked.
pub async fn authors_keep_the_first_record(ledger: &dyn WriteLedger) {
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(id, who)| (id.to_string(), who.to_string()))
            .collect()
    };
    ok(
        ledger
            .record_authors(
                BACKEND,
                &pairs(&[("r1", "Ada Lovelace"), ("r2", "Grace Hopper")]),
            )
            .await,
        "record the first authors",
    );
    ok(
        ledger
            .record_authors(
                BACKEND,
                &pairs(&[
                    ("r1", "Mallory"),
                    ("r3", "Linus"),
                    ("r4", "First"),
                    ("r4", "Second"),
                ]),
            )
            .await,
        "record again, with a repeat inside the batch",
    );
    ok(
        ledger
            .record_authors("okta", &pairs(&[("r1", "Other Backend")]))
            .await,
        "record the same id on another backend",
    );
    ok(ledger.record_authors(BACKEND, &[]).await, "record nothing");

    let ids: Vec<String> = ["r1", "r2", "r3", "r4", "r-unknown"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let found = ok(ledger.authors(BACKEND, &ids).await, "look up a batch");
    let want: HashMap<String, String> = pairs(&[
        ("r1", "Ada Lovelace"),
        ("r2", "Grace Hopper"),
        ("r3", "Linus"),
        ("r4", "First"),
    ])
    .into_iter()
    .collect();
    assert_eq!(
        found, want,
        "authors keep the first record; unknown ids are absent"
    );

    let other = ok(
        ledger.authors("okta", &ids).await,
        "look up on another backend",
    );
    assert_eq!(
        other,
        pairs(&[("r1", "Other Backend")])
            .into_iter()
            .collect::<HashMap<_, _>>(),
        "authors are separate per backend"
    );
    let none = ok(ledger.authors(BACKEND, &[]).await, "look up nothing");
    assert!(
        none.is_empty(),
        "an empty lookup finds nothing, got {none:?}"
    );
}
