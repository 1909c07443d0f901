//! Opening a case with files ([`create_with_files`]) as one retry-safe
//! operation on the adapter's own writes.

use bytes::Bytes;
use switchboard_core::cases::{CaseFilter, CaseStore, NewAttachment, create_with_files};

use crate::Fixture;
use crate::support::{Form, expect_invalid, ok};

fn file(name: &str, content: &'static [u8]) -> NewAttachment {
    NewAttachment {
        file_name: name.to_string(),
        content_type: "text/plain".into(),
        data: Bytes::from_static(content),
        idempotency_key: None,
    }
}

/// A create with files retried under its key opens one case and attaches
/// each file once; a file deleted between the attempts is not attached
/// again; a bad file name refuses the whole create before anything is
/// written.
pub async fn create_with_files_is_retry_safe(store: &dyn CaseStore, fx: &Fixture) {
    let (scope, actor) = (fx.home.scope(), &fx.home.actor);
    let form = Form::of(store).await;
    let count = async || {
        ok(
            store.count_cases(&scope, &CaseFilter::default()).await,
            "count_cases",
        )
    };
    let files = vec![file("a.txt", b"first file"), file("b.txt", b"second file")];

    let before = count().await;
    let mut bad = files.clone();
    bad[1].file_name = "  ".into();
    let mut new = form.new_case(&fx.home, "Refused with a bad file name.");
    new.idempotency_key = Some("conformance-with-files-bad".into());
    expect_invalid(
        create_with_files(store, &scope, actor, new, bad).await,
        "input.attachments[1]",
        "create_with_files with a blank file name",
    );
    assert_eq!(count().await, before, "a refused create left a case behind");

    let mut new = form.new_case(&fx.home, "Opened with two files, then retried.");
    new.idempotency_key = Some("conformance-with-files-1".into());
    let first = ok(
        create_with_files(store, &scope, actor, new.clone(), files.clone()).await,
        "create_with_files",
    );
    assert!(
        !first.case.replayed,
        "a first create is reported as replayed"
    );
    let names: Vec<&str> = first
        .attachments
        .iter()
        .map(|a| a.file_name.as_str())
        .collect();
    assert_eq!(
        names,
        ["a.txt", "b.txt"],
        "the files were not attached in order"
    );

    let again = ok(
        create_with_files(store, &scope, actor, new.clone(), files.clone()).await,
        "create_with_files retried",
    );
    assert!(again.case.replayed, "a retry is not reported as replayed");
    assert_eq!(
        again.case.record.id, first.case.record.id,
        "a retry opened another case"
    );
    assert_eq!(
        again.attachments, first.attachments,
        "a retry attached the files again"
    );

    ok(
        store
            .delete_attachment(&scope, actor, &first.attachments[1].id)
            .await,
        "delete_attachment",
    );
    let late = ok(
        create_with_files(store, &scope, actor, new, files).await,
        "create_with_files retried after a file was deleted",
    );
    assert_eq!(
        late.attachments,
        first.attachments[..1],
        "a deleted file came back"
    );
    let stored = ok(
        store
            .attachments(&scope, std::slice::from_ref(&first.case.record.id))
            .await,
        "attachments",
    );
    assert_eq!(
        stored,
        first.attachments[..1],
        "a retry stored a file twice"
    );
    assert_eq!(
        count().await,
        before + 1,
        "retries opened more than one case"
    );
}
