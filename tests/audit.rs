//! Every mutation leaves an audit entry: who, what, which ids, how it ended.
//! Queries leave none.

mod common;

use common::{Gateway, PRIMARY_A};
use serde_json::json;
use switchboard_core::UserDirectory;
use switchboard_core::audit::AuditLog;

async fn mutations_are_audited(gw: Gateway) {
    let token = gw.token(PRIMARY_A).await;
    let user = gw
        .store
        .principal_by_email(PRIMARY_A)
        .await
        .unwrap()
        .unwrap()
        .user
        .id;
    let before = gw.store.recent(100).await.unwrap().len();

    let list = gw
        .data(
            &token,
            "{ cases(filter: { states: [NEW] }, first: 1) { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        gw.store.recent(100).await.unwrap().len(),
        before,
        "a query was audited"
    );

    let id = list["cases"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let cancel = "mutation Cancel($id: ID!) { cancelCase(caseId: $id) { state } }";
    gw.data(&token, cancel, json!({ "id": id })).await;
    let code = gw.error_code(&token, cancel, json!({ "id": id })).await;
    assert_eq!(code, "CONFLICT");
    let watch = format!(
        "mutation {{ addToWatchList(caseId: \"{id}\", emails: [\"x@y.example\"]) {{ id }} }}"
    );
    gw.post(&token, &watch, json!({})).await;

    let entries = gw.store.recent(100).await.unwrap();
    assert_eq!(entries.len(), before + 3, "{entries:#?}");
    let (watch, refused, canceled) = (&entries[0], &entries[1], &entries[2]);
    assert_eq!(canceled.operation, "Cancel");
    assert_eq!(canceled.fields, ["cancelCase"]);
    assert_eq!(canceled.targets, [id.as_str()]);
    assert_eq!(canceled.outcome, "OK");
    assert_eq!(canceled.user_id, user);
    assert_eq!(canceled.issuer, "urn:switchboard:embedded");
    assert_eq!(refused.outcome, "CONFLICT");
    // Literal arguments count as well as variables; an anonymous operation is named so.
    assert_eq!(watch.operation, "anonymous");
    assert_eq!(watch.fields, ["addToWatchList"]);
    assert_eq!(watch.targets, [id.as_str()]);
    // The watch list write was refused (the case is canceled) and says so.
    assert_eq!(watch.outcome, "CONFLICT");

    // A mutation refused before it runs (validation; several operations and
    // none named) leaves no entry: nothing was attempted.
    let invalid = "mutation { cancelCase(caseId: 1, noSuchArgument: true) { state } }";
    assert_eq!(
        gw.error_code(&token, invalid, json!({})).await,
        "BAD_USER_INPUT"
    );
    let two = "mutation A { cancelCase(caseId: \"1\") { state } } mutation B { cancelCase(caseId: \"2\") { state } }";
    assert_eq!(
        gw.error_code(&token, two, json!({})).await,
        "BAD_USER_INPUT"
    );
    assert_eq!(gw.store.recent(100).await.unwrap().len(), before + 3);
}

on_both_backends!(mutations_are_audited);
