//! Idempotency keys on comments and uploads: a retried write returns the
//! first record and writes nothing.

use bytes::Bytes;
use switchboard_core::Scope;
use switchboard_core::cases::{Attachment, Case, CaseStore, Created, NewAttachment, NewComment};
use switchboard_core::validate::MAX_IDEMPOTENCY_KEY_CHARS;

use crate::Fixture;
use crate::support::{
    BIG_PAGE, expect_conflict, expect_invalid, expect_not_found, ok, open_case, reread,
    walk_activity,
};

mod comments;
mod races;
mod uploads;

pub use comments::idempotent_comment;
pub use races::concurrent_keyed_writes;
pub use uploads::idempotent_attachment;

/// How many retries race each other in the concurrency checks.
const RACERS: usize = 6;

fn keyed_comment(body: &str, key: &str) -> NewComment {
    NewComment {
        body: body.to_string(),
        idempotency_key: Some(key.to_string()),
    }
}

fn keyed_file(name: &str, content: &'static [u8], key: &str) -> NewAttachment {
    NewAttachment {
        file_name: name.to_string(),
        content_type: "text/plain".into(),
        data: Bytes::from_static(content),
        idempotency_key: Some(key.to_string()),
    }
}

async fn activity_len(store: &dyn CaseStore, scope: &Scope, case: &Case) -> usize {
    walk_activity(store, scope, &case.id, BIG_PAGE).await.len()
}

async fn files(store: &dyn CaseStore, scope: &Scope, case: &Case) -> Vec<Attachment> {
    ok(
        store
            .attachments(scope, std::slice::from_ref(&case.id))
            .await,
        "attachments",
    )
}

/// Checks that concurrent retries made one record: all answered with it,
/// exactly one as the original.
#[track_caller]
fn assert_one_winner<T: PartialEq + std::fmt::Debug>(results: &[Created<T>], what: &str) {
    let first = &results[0].record;
    assert!(
        results.iter().all(|c| &c.record == first),
        "concurrent retries of {what} with one key answered with different records: {results:?}"
    );
    assert_eq!(
        results.iter().filter(|c| !c.replayed).count(),
        1,
        "exactly one of the concurrent retries of {what} must be the original"
    );
}
