//! Behaviours of the [`AuditLog`] port: every field of an entry comes back
//! as it was recorded, newest first, at most as many as asked for.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use switchboard_core::audit::{AuditEntry, AuditLog};

use crate::support::ok;

/// An entry `offset` seconds after `base`, its fields named after `tag`.
fn entry(base: DateTime<Utc>, offset: i64, tag: &str) -> AuditEntry {
    AuditEntry {
        at: base + Duration::seconds(offset),
        user_id: format!("user-{tag}"),
        issuer: "https://issuer.example".into(),
        client: None,
        operation: format!("Operation{tag}"),
        fields: vec![format!("field{tag}")],
        targets: vec![],
        outcome: "OK".into(),
        key: format!("{tag}-{}", base.timestamp()),
    }
}

/// A base time after anything the dataset may hold, in whole seconds
/// (the precision every backend keeps).
fn later_than_anything() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0) + Duration::days(1)
}

/// Entries come back whole (optional client, several fields and targets,
/// an error code as outcome, no fields or targets at all), newest first,
/// and `limit` bounds the list.
pub async fn entries_come_back_whole_newest_first(log: &dyn AuditLog) {
    let base = later_than_anything();
    let plain = entry(base, 0, "A");
    let full = AuditEntry {
        client: Some("portal-spa".into()),
        fields: vec!["createCase".into(), "addCaseComment".into()],
        targets: vec!["case-1".into(), "attachment-2".into(), "1234567890".into()],
        outcome: "NOT_FOUND".into(),
        ..entry(base, 1, "B")
    };
    let anonymous = AuditEntry {
        operation: "anonymous".into(),
        fields: vec![],
        ..entry(base, 2, "C")
    };
    for e in [&plain, &full, &anonymous] {
        ok(log.record(e).await, "record an entry");
    }
    let newest = ok(log.recent(3).await, "the three newest entries");
    assert_eq!(
        newest,
        [anonymous.clone(), full.clone(), plain],
        "entries changed on the way, or are not newest first"
    );
    let two = ok(log.recent(2).await, "the two newest entries");
    assert_eq!(two, [anonymous, full], "limit 2 did not bound the list");
    assert!(
        ok(log.recent(0).await, "no entries").is_empty(),
        "limit 0 listed entries"
    );
}

/// Entries recorded at the same instant come back newest-recorded first,
/// and none is lost when many are recorded at once.
pub async fn concurrent_entries_are_all_kept(log: &dyn AuditLog) {
    let base = later_than_anything() + Duration::days(1);
    let first = entry(base, 0, "first");
    let second = entry(base, 0, "second");
    ok(log.record(&first).await, "record the first entry");
    ok(log.record(&second).await, "record the second entry");
    let tie = ok(log.recent(2).await, "two entries of one instant");
    assert_eq!(
        tie,
        [second, first],
        "entries of one instant are not newest-recorded first"
    );

    let later = base + Duration::seconds(10);
    let many: Vec<AuditEntry> = (0..16).map(|i| entry(later, i, &format!("n{i}"))).collect();
    let writes = many.iter().map(|e| log.record(e));
    for result in futures::future::join_all(writes).await {
        ok(result, "record one of many entries at once");
    }
    let mut kept = ok(log.recent(16).await, "the entries recorded at once");
    kept.reverse();
    assert_eq!(
        kept, many,
        "an entry recorded concurrently was lost or changed"
    );
}

/// An entry recorded twice (a retry after a lost answer) is stored once.
pub async fn an_entry_recorded_again_is_stored_once(log: &dyn AuditLog) {
    let base = later_than_anything() + Duration::days(1);
    let once = entry(base, 0, "Again");
    ok(log.record(&once).await, "record an entry");
    ok(log.record(&once).await, "record it again");
    let newest = ok(log.recent(2).await, "the newest entries");
    assert_eq!(
        newest.iter().filter(|e| e.key == once.key).count(),
        1,
        "the entry was stored twice: {newest:?}"
    );
}
