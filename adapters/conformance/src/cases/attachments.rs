//! Attachments: metadata, content round trips, renames, deletes, file names.

use bytes::Bytes;
use sha2::{Digest, Sha256};
use switchboard_core::cases::{ActivityKind, Attachment, CaseStore, NewAttachment};
use switchboard_core::validate::MAX_FILE_NAME_CHARS;

use crate::Fixture;
use crate::support::{
    BIG_PAGE, expect_invalid, expect_not_found, ok, open_case, read_all, reread, walk_activity,
};

/// Larger than the 256 KiB a backend may use as its chunk size, and not a
/// multiple of it.
const BIG_FILE_BYTES: usize = 600 * 1024 + 123;

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Deterministic bytes that differ from chunk to chunk.
fn pattern(len: usize) -> Vec<u8> {
    let mut state: u32 = 0x9e37_79b9;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 24) as u8
        })
        .collect()
}

async fn content(store: &dyn CaseStore, fx: &Fixture, file: &Attachment) -> Vec<u8> {
    let (meta, stream) = ok(
        store.attachment_content(&fx.home.scope(), &file.id).await,
        "attachment_content",
    );
    assert_eq!(
        &meta, file,
        "attachment_content's metadata differs from the listing"
    );
    read_all(stream).await
}

/// Files are stored with their size, SHA-256 and uploader, listed oldest
/// first, stream back byte-identical (a large file too), can be renamed,
/// and once deleted are not found.
pub async fn attachments_round_trip(store: &dyn CaseStore, fx: &Fixture) {
    let (scope, actor) = (fx.home.scope(), &fx.home.actor);
    let case = open_case(store, &fx.home, "Attachment round trip.").await;
    let history = walk_activity(store, &scope, &case.id, BIG_PAGE).await;
    let small_data = b"hello, attachments\n".to_vec();
    let big_data = pattern(BIG_FILE_BYTES);

    let small = ok(
        store
            .add_attachment(
                &scope,
                actor,
                &case.id,
                NewAttachment {
                    file_name: "  notes.txt ".into(),
                    content_type: "text/plain".into(),
                    data: Bytes::from(small_data.clone()),
                    ..NewAttachment::default()
                },
            )
            .await,
        "add_attachment of a small file",
    )
    .record;
    assert_eq!(
        small.file_name, "notes.txt",
        "the file name is stored trimmed"
    );
    assert_eq!(small.content_type, "text/plain");
    assert_eq!(small.size_bytes, small_data.len() as u64);
    assert_eq!(
        small.sha256,
        sha256_hex(&small_data),
        "sha256 is the hex digest of the content"
    );
    assert_eq!(
        (&small.case_id, &small.uploaded_by),
        (&case.id, &actor.name)
    );
    let activity = walk_activity(store, &scope, &case.id, BIG_PAGE).await;
    assert!(
        activity.len() > history.len(),
        "an attachment left no activity entry"
    );
    let after = reread(store, &scope, &case.id).await;
    assert!(
        after.updated_at >= activity[0].created_at && after.updated_at >= case.updated_at,
        "an attachment did not bump updated_at"
    );

    let big = ok(
        store
            .add_attachment(
                &scope,
                actor,
                &case.id,
                NewAttachment {
                    file_name: "capture.pcap".into(),
                    content_type: "application/vnd.tcpdump.pcap".into(),
                    data: Bytes::from(big_data.clone()),
                    ..NewAttachment::default()
                },
            )
            .await,
        "add_attachment of a file larger than 256 KiB",
    )
    .record;
    assert_eq!(big.size_bytes, BIG_FILE_BYTES as u64);
    assert_eq!(big.sha256, sha256_hex(&big_data));

    let ids = [case.id.clone()];
    let listed = ok(store.attachments(&scope, &ids).await, "attachments");
    assert_eq!(
        listed,
        [small.clone(), big.clone()],
        "attachments are not listed oldest first"
    );

    let read = content(store, fx, &big).await;
    assert!(
        read == big_data,
        "the large file streams back different bytes ({} of {})",
        read.len(),
        big_data.len()
    );
    assert_eq!(sha256_hex(&read), big.sha256);
    assert_eq!(content(store, fx, &small).await, small_data);

    let renamed = ok(
        store
            .rename_attachment(&scope, actor, &small.id, " renamed notes.txt ")
            .await,
        "rename_attachment",
    );
    assert_eq!(
        renamed,
        Attachment {
            file_name: "renamed notes.txt".into(),
            ..small.clone()
        },
        "a rename changed more than the name"
    );
    let listed = ok(store.attachments(&scope, &ids).await, "attachments");
    assert_eq!(
        listed,
        [renamed.clone(), big.clone()],
        "the listing misses the rename"
    );
    assert_eq!(
        content(store, fx, &renamed).await,
        small_data,
        "a rename changed the content"
    );

    let deleted = ok(
        store.delete_attachment(&scope, actor, &small.id).await,
        "delete_attachment",
    );
    assert_eq!(
        deleted, renamed,
        "delete_attachment does not return what was deleted"
    );
    let listed = ok(store.attachments(&scope, &ids).await, "attachments");
    assert_eq!(
        listed,
        std::slice::from_ref(&big),
        "a deleted file is still listed"
    );
    expect_not_found(
        store
            .attachment_content(&scope, &small.id)
            .await
            .map(|(meta, _)| meta),
        "attachment_content of a deleted file",
    );
    expect_not_found(
        store
            .rename_attachment(&scope, actor, &small.id, "again.txt")
            .await,
        "rename_attachment of a deleted file",
    );
    expect_not_found(
        store.delete_attachment(&scope, actor, &small.id).await,
        "delete_attachment of a deleted file",
    );
    assert_eq!(
        content(store, fx, &big).await,
        big_data,
        "a delete changed another file"
    );

    // The story survives the file: its upload under the first name, the
    // rename and the removal, by the actor, newest first.
    let story: Vec<(String, String)> = walk_activity(store, &scope, &case.id, BIG_PAGE)
        .await
        .into_iter()
        .filter(|a| a.kind == ActivityKind::Attachment && a.body.contains("notes.txt"))
        .map(|a| (a.body, a.author))
        .collect();
    let by = |body: &str| (body.to_string(), actor.name.clone());
    assert_eq!(
        story,
        [
            by("Removed renamed notes.txt"),
            by("Renamed notes.txt to renamed notes.txt"),
            by("Attached notes.txt"),
        ],
        "the activity does not tell the attachment's story"
    );
}

/// Empty names, path separators, control characters and overlong names
/// are refused on upload and on rename, and nothing changes.
pub async fn attachment_file_names(store: &dyn CaseStore, fx: &Fixture) {
    let (scope, actor) = (fx.home.scope(), &fx.home.actor);
    let case = open_case(store, &fx.home, "Attachment names.").await;
    let overlong = "x".repeat(MAX_FILE_NAME_CHARS + 1);
    let bad = [
        "",
        "   ",
        ".",
        "..",
        "../etc/passwd",
        "dir/file.txt",
        "dir\\file.txt",
        "bell\u{7}.txt",
        "line\nbreak.txt",
        &overlong,
    ];
    for name in bad {
        let result = store
            .add_attachment(
                &scope,
                actor,
                &case.id,
                NewAttachment {
                    file_name: name.to_string(),
                    content_type: "text/plain".into(),
                    data: Bytes::from_static(b"x"),
                    ..NewAttachment::default()
                },
            )
            .await;
        expect_invalid(result, "", &format!("uploading a file named {name:?}"));
    }
    let ids = [case.id.clone()];
    let listed = ok(store.attachments(&scope, &ids).await, "attachments");
    assert!(listed.is_empty(), "a refused upload stored a file");

    let file = ok(
        store
            .add_attachment(
                &scope,
                actor,
                &case.id,
                NewAttachment {
                    file_name: "good.txt".into(),
                    content_type: "text/plain".into(),
                    data: Bytes::from_static(b"x"),
                    ..NewAttachment::default()
                },
            )
            .await,
        "add_attachment",
    )
    .record;
    for name in bad {
        expect_invalid(
            store.rename_attachment(&scope, actor, &file.id, name).await,
            "",
            &format!("renaming a file to {name:?}"),
        );
    }
    let listed = ok(store.attachments(&scope, &ids).await, "attachments");
    assert_eq!(listed, [file], "a refused rename changed the file");
}
