//! Who each record was made for.

use super::*;

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
