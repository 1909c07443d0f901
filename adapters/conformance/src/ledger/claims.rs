//! A key claimed, completed, and refused with other input.

use super::*;

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
