//! Keys per backend, kind and actor; concurrent, released and stale claims.

use super::*;

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
