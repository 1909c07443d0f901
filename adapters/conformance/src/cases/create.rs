//! Opening cases: validation, what is stored, and idempotency keys.

use switchboard_core::cases::{CaseFilter, CaseState, CaseStore, NewCase, Priority};

use crate::Fixture;
use crate::support::{Form, expect_conflict, expect_invalid, ok, reread};

/// Invalid input is refused with the field at fault and writes nothing; a
/// valid case is stored as given and reads back the same everywhere.
pub async fn create_validates_and_stores(store: &dyn CaseStore, fx: &Fixture) {
    let (home, actor) = (fx.home.scope(), &fx.home.actor);
    let both = fx.both();
    let form = Form::of(store).await;
    let valid = form.new_case(&fx.home, "The uplink drops every hour.");
    let total = async || {
        ok(
            store.count_cases(&both, &CaseFilter::default()).await,
            "count_cases",
        )
    };
    let before = total().await;

    let invalid: [(&str, NewCase); 7] = [
        (
            "input.caseType",
            NewCase {
                case_type: "NO_SUCH_TYPE".into(),
                ..valid.clone()
            },
        ),
        (
            "input.category",
            NewCase {
                category: form.foreign_category.clone(),
                ..valid.clone()
            },
        ),
        (
            "input.description",
            NewCase {
                description: "   ".into(),
                ..valid.clone()
            },
        ),
        (
            "input.watchList",
            NewCase {
                watch_list: vec!["ok@example.com".into(), "not an email".into()],
                ..valid.clone()
            },
        ),
        (
            "input.locationId",
            NewCase {
                location_id: Some(fx.other.location_id.clone()),
                product_id: None,
                product_not_listed: true,
                ..valid.clone()
            },
        ),
        (
            "input.productId",
            NewCase {
                location_id: None,
                location_not_listed: true,
                product_id: Some(fx.other.product_id.clone()),
                ..valid.clone()
            },
        ),
        (
            "input.contactId",
            NewCase {
                contact_id: Some(fx.other.contact_id.clone()),
                ..valid.clone()
            },
        ),
    ];
    for (field, new) in invalid {
        expect_invalid(
            store.create_case(&home, actor, new).await,
            field,
            &format!("create_case with a bad {field}"),
        );
    }
    assert_eq!(total().await, before, "a refused create stored a case");

    let new = NewCase {
        description: "  The uplink drops every hour.  ".into(),
        priority: Some(Priority::High),
        watch_list: vec![" Watcher@Example.COM ".into()],
        ..valid.clone()
    };
    let created = ok(store.create_case(&home, actor, new).await, "create_case");
    assert!(
        !created.replayed,
        "a create without a key is reported as replayed"
    );
    let case = created.record;
    assert_eq!(
        total().await,
        before + 1,
        "a create stored other than one case"
    );
    let digits = case.number.strip_prefix("CS").unwrap_or_default();
    assert!(
        digits.len() == 11 && digits.chars().all(|c| c.is_ascii_digit()),
        "case number {} is not CS and 11 digits",
        case.number
    );
    assert_eq!(case.account_id, fx.home.account_id);
    assert_eq!(case.state, CaseState::New, "a new case starts NEW");
    assert_eq!(case.priority, Priority::High);
    assert_eq!(
        case.description, "The uplink drops every hour.",
        "the description is trimmed"
    );
    assert_eq!(case.title, valid.title.clone().unwrap_or_default());
    assert_eq!(case.case_type, form.case_type);
    assert_eq!(case.support_case_type, form.support_case_type);
    assert_eq!(case.category, form.category);
    assert_eq!(case.location_id.as_ref(), Some(&fx.home.location_id));
    assert_eq!(case.product_id.as_ref(), Some(&fx.home.product_id));
    assert_eq!(case.contact_id.as_ref(), Some(&fx.home.contact_id));
    assert!(!case.location_not_listed && !case.product_not_listed);
    assert_eq!(case.opened_by, actor.name, "opened_by is the actor's name");
    assert!(
        case.updated_at >= case.opened_at,
        "a new case was updated before it opened"
    );
    assert_eq!(case.resolved_at, None);

    assert_eq!(
        reread(store, &home, &case.id).await,
        case,
        "cases_by_ids differs from create"
    );
    let by_number = ok(
        store.case_by_number(&home, &case.number).await,
        "case_by_number",
    );
    assert_eq!(by_number, case, "case_by_number differs from create");
    let watchers = ok(
        store
            .watch_lists(&home, std::slice::from_ref(&case.id))
            .await,
        "watch_lists",
    );
    assert_eq!(
        watchers
            .iter()
            .map(|w| w.email.as_str())
            .collect::<Vec<_>>(),
        ["watcher@example.com"],
        "the watch list given on create is stored trimmed and lower-cased"
    );

    let unlisted = NewCase {
        location_id: None,
        location_not_listed: true,
        product_id: None,
        product_not_listed: true,
        contact_id: None,
        priority: None,
        title: None,
        ..valid.clone()
    };
    let case = ok(
        store.create_case(&home, actor, unlisted).await,
        "create_case",
    )
    .record;
    assert_eq!((case.location_id, case.product_id), (None, None));
    assert!(case.location_not_listed && case.product_not_listed);
    assert_eq!(case.priority, Priority::Low, "priority defaults to low");
    assert!(
        case.contact_id.is_some(),
        "the actor becomes the contact when none is named"
    );
    assert!(
        !case.title.trim().is_empty(),
        "the title defaults to the category's name"
    );
}

/// A key reused by the same actor with the same input returns the first
/// case and writes nothing; with other input it is a conflict; another
/// actor's keys are their own.
pub async fn idempotent_create(store: &dyn CaseStore, fx: &Fixture) {
    let (home, actor) = (fx.home.scope(), &fx.home.actor);
    let both = fx.both();
    let form = Form::of(store).await;
    let key = "conformance-idempotency-key-1".to_string();
    let new = NewCase {
        idempotency_key: Some(key.clone()),
        ..form.new_case(&fx.home, "Created once, whatever the retries.")
    };
    let total = async || {
        ok(
            store.count_cases(&both, &CaseFilter::default()).await,
            "count_cases",
        )
    };

    let first = ok(
        store.create_case(&home, actor, new.clone()).await,
        "create_case",
    );
    assert!(
        !first.replayed,
        "the first create with a key is reported as replayed"
    );
    let after_first = total().await;

    let again = ok(
        store.create_case(&home, actor, new.clone()).await,
        "create_case retried",
    );
    assert!(
        again.replayed,
        "a retry with the same key and input is not reported as replayed"
    );
    assert_eq!(
        again.record.id, first.record.id,
        "a retry opened another case"
    );
    assert_eq!(again.record.number, first.record.number);
    assert_eq!(total().await, after_first, "a retry stored a case");

    let changed = NewCase {
        description: "Different input under the same key.".into(),
        ..new.clone()
    };
    expect_conflict(
        store.create_case(&home, actor, changed).await,
        "the same key with different input",
    );
    assert_eq!(
        total().await,
        after_first,
        "a conflicting retry stored a case"
    );

    // Another actor, entitled to the same account, with the same key and input.
    let someone_else = &fx.other.actor;
    let theirs = ok(
        store.create_case(&both, someone_else, new.clone()).await,
        "create_case by another actor with the same key",
    );
    assert!(
        !theirs.replayed,
        "another actor's first use of a key is reported as replayed"
    );
    assert_ne!(
        theirs.record.id, first.record.id,
        "another actor's key returned my case"
    );
    let theirs_again = ok(
        store.create_case(&both, someone_else, new.clone()).await,
        "create_case retried by another actor",
    );
    assert!(theirs_again.replayed && theirs_again.record.id == theirs.record.id);
    assert_eq!(total().await, after_first + 1);

    // Retries racing each other still open one case.
    let raced = NewCase {
        idempotency_key: Some("conformance-idempotency-key-raced".into()),
        ..new.clone()
    };
    let retries = (0..6).map(|_| store.create_case(&home, actor, raced.clone()));
    let results = futures::future::join_all(retries).await;
    let raced: Vec<_> = results
        .into_iter()
        .map(|r| ok(r, "create_case retried concurrently"))
        .collect();
    let winner = &raced[0].record.id;
    assert!(
        raced.iter().all(|c| &c.record.id == winner),
        "concurrent retries with one key opened several cases"
    );
    assert_eq!(
        raced.iter().filter(|c| !c.replayed).count(),
        1,
        "exactly one of the concurrent retries must be the original"
    );
    assert_eq!(total().await, after_first + 2);

    // A different key, or none, opens a new case each time.
    let other_key = NewCase {
        idempotency_key: Some("conformance-idempotency-key-2".into()),
        ..new.clone()
    };
    let fresh = ok(
        store.create_case(&home, actor, other_key).await,
        "create_case",
    );
    assert!(!fresh.replayed && fresh.record.id != first.record.id);
    let keyless = NewCase {
        idempotency_key: None,
        ..new.clone()
    };
    let one = ok(
        store.create_case(&home, actor, keyless.clone()).await,
        "create_case",
    );
    let two = ok(
        store.create_case(&home, actor, keyless).await,
        "create_case",
    );
    assert!(
        !one.replayed && !two.replayed,
        "a create without a key is reported as replayed"
    );
    assert_ne!(
        one.record.id, two.record.id,
        "two creates without a key made one case"
    );
    assert_eq!(total().await, after_first + 5);
}
