//! Behaviours of the [`WriteLedger`] port for what it keeps besides keyed
//! writes: the entries of a case's story a backend forgets, and the signed
//! deliveries already accepted from a backend.

use chrono::{DateTime, TimeDelta, Utc};
use switchboard_core::cases::ActivityKind;
use switchboard_core::ledger::{LedgerActivity, WriteLedger};

use crate::support::ok;

/// An entry of `case` at `at`.
fn entry(case: &str, body: &str, at: DateTime<Utc>) -> LedgerActivity {
    LedgerActivity {
        id: String::new(),
        case_id: case.to_string(),
        kind: ActivityKind::Attachment,
        author: "Ada Lovelace".to_string(),
        body: body.to_string(),
        at,
    }
}

/// Kept entries come back for their cases and backend only, oldest first,
/// with ids of their own and every field as recorded (to the microsecond).
pub async fn activities_come_back_per_case_oldest_first(ledger: &dyn WriteLedger) {
    let base = DateTime::from_timestamp_micros(Utc::now().timestamp_micros())
        .expect("now is a valid time");
    let later = base + TimeDelta::milliseconds(1500);
    let records = [
        ("c1", "Renamed a.txt to b.txt", later),
        ("c1", "Attached a.txt", base),
        ("c2", "Removed c.txt", base + TimeDelta::microseconds(7)),
    ];
    let mut ids = Vec::new();
    for (case, body, at) in records {
        let id = ok(
            ledger
                .record_activity("servicenow", &entry(case, body, at))
                .await,
            "record an entry",
        );
        assert!(!id.is_empty(), "a recorded entry has an id");
        ids.push(id);
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "entry ids are distinct: {ids:?}");
    ok(
        ledger
            .record_activity("okta", &entry("c1", "Elsewhere", base))
            .await,
        "record on another backend",
    );

    let both = ok(
        ledger
            .activities("servicenow", &["c1".to_string(), "c2".to_string()])
            .await,
        "read two cases",
    );
    let bodies: Vec<&str> = both.iter().map(|e| e.body.as_str()).collect();
    assert_eq!(
        bodies,
        ["Attached a.txt", "Removed c.txt", "Renamed a.txt to b.txt"],
        "entries come oldest first, of this backend only"
    );
    let renamed = &both[2];
    assert_eq!(renamed.id, ids[0], "the entry keeps the id it was given");
    assert_eq!(renamed.case_id, "c1");
    assert_eq!(renamed.kind, ActivityKind::Attachment);
    assert_eq!(renamed.author, "Ada Lovelace");
    assert_eq!(renamed.at, later, "the time is kept to the microsecond");

    let one = ok(
        ledger.activities("servicenow", &["c2".to_string()]).await,
        "read one case",
    );
    assert_eq!(one.len(), 1, "only the case asked for: {one:?}");
    let none = ok(ledger.activities("servicenow", &[]).await, "read no case");
    assert!(none.is_empty(), "no case, no entries: {none:?}");
}

/// A delivery is first once and a replay after that; sources are separate;
/// a delivery older than `forget_before`, or forgotten on purpose, is first
/// again.
pub async fn deliveries_are_first_once_until_forgotten(ledger: &dyn WriteLedger) {
    let long_ago = Utc::now() - TimeDelta::hours(1);
    let first = ok(
        ledger.first_delivery("servicenow", "sig-1", long_ago).await,
        "first delivery",
    );
    assert!(first, "a new delivery is first");
    let again = ok(
        ledger.first_delivery("servicenow", "sig-1", long_ago).await,
        "the same delivery again",
    );
    assert!(!again, "a repeated delivery is a replay");
    let other = ok(
        ledger.first_delivery("statuspage", "sig-1", long_ago).await,
        "the same digest from another source",
    );
    assert!(other, "sources are separate");

    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let forget = Utc::now();
    let after = ok(
        ledger.first_delivery("servicenow", "sig-1", forget).await,
        "the delivery once forgotten",
    );
    assert!(after, "a forgotten delivery is first again");
    let replay = ok(
        ledger.first_delivery("servicenow", "sig-1", forget).await,
        "and repeated",
    );
    assert!(!replay, "and a replay after that");

    ok(
        ledger.forget_delivery("servicenow", "sig-1").await,
        "forget the delivery",
    );
    let retried = ok(
        ledger.first_delivery("servicenow", "sig-1", long_ago).await,
        "the sender's retry",
    );
    assert!(retried, "a forgotten delivery is first again");
    ok(
        ledger.forget_delivery("servicenow", "never-seen").await,
        "forget an unknown delivery",
    );
}
