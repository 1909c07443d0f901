//! The adapter against the fake org: paging, entitlements from groups and
//! from a profile attribute, operators, factors, recovery emails, unlock,
//! and errors and logs that never carry the token.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{Harness, OTHER_USER, TOKEN, USER, harness, harness_with};
use switchboard_core::demo::DEMO_ACCOUNTS;
use switchboard_core::identity::{Identity, RecoveryKind, UserStatus};
use switchboard_core::{Error, Result, Role, Scope, UserDirectory};
use switchboard_fakes::okta::{DEMO_ENTITLEMENTS_ATTRIBUTE, DEMO_OPERATOR_GROUP, OktaDirectory};
use switchboard_okta::{EntitlementSource, Settings};

const HOME: &str = DEMO_ACCOUNTS[0].0;
const OTHER: &str = DEMO_ACCOUNTS[1].0;
const MORGAN: &str = "morgan.multi@partner.example";
const OLIVE: &str = "olive.operator@switchboard.example";

fn attribute_source(s: &mut Settings) {
    s.entitlements = EntitlementSource::ProfileAttribute {
        attribute: DEMO_ENTITLEMENTS_ATTRIBUTE.into(),
        operator_group: Some(DEMO_OPERATOR_GROUP.into()),
    };
}

#[tokio::test]
async fn account_users_follow_next_links_across_pages() -> Result<()> {
    let mut dir = OktaDirectory::demo();
    for i in 0..7 {
        let id = dir.add_user(
            &format!("extra{i}@harborfreight.example"),
            "Extra",
            &format!("User {i}"),
            "Pass-Word-1",
        );
        dir.add_member(
            &switchboard_fakes::okta::group_name(HOME, Role::Standard),
            &id,
        );
    }
    let h = harness_with(dir, |s| s.page_size = 3).await?;
    let users = h
        .okta
        .account_users(&Scope::new([HOME.to_string()]), HOME)
        .await?;
    assert_eq!(users.len(), 12, "5 demo users and 7 extra");
    let names: Vec<&str> = users.iter().map(|u| u.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let morgan = users.iter().find(|u| u.email == MORGAN).expect("morgan");
    assert_eq!(
        (morgan.role, morgan.status),
        (Role::AlternateAuthority, UserStatus::Active)
    );
    let pages = h
        .fake
        .requests()
        .entries()
        .into_iter()
        .filter(|r| {
            r.path.ends_with("/users") && r.path.contains("/groups/") && r.query.contains("after=")
        })
        .count();
    assert_eq!(pages, 2, "the standard group's 8 members take 3 pages of 3");
    assert!(
        h.fake
            .requests()
            .entries()
            .iter()
            .all(|r| !r.query.contains("limit=200")),
        "the configured page size is sent"
    );
    Ok(())
}

#[tokio::test]
async fn principals_take_entitlements_from_groups() -> Result<()> {
    let h = harness().await?;
    let morgan = h
        .okta
        .principal_by_email(&MORGAN.to_uppercase())
        .await?
        .expect("morgan");
    let ents: Vec<(&str, Role)> = morgan
        .entitlements
        .iter()
        .map(|e| (e.account_id.as_str(), e.role))
        .collect();
    assert_eq!(
        ents,
        [(HOME, Role::AlternateAuthority), (OTHER, Role::Billing)]
    );
    let names: Vec<&str> = morgan.accounts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, [DEMO_ACCOUNTS[0].1, DEMO_ACCOUNTS[1].1]);
    assert_eq!(
        (morgan.user.name.as_str(), morgan.operator),
        ("Morgan Multi", false)
    );
    let by_id = h
        .okta
        .principal_by_id(&morgan.user.id)
        .await?
        .expect("by id");
    assert_eq!(by_id, morgan);
    let by_login = h.okta.principal_by_id(MORGAN).await?.expect("by login");
    assert_eq!(by_login, morgan);
    assert_eq!(h.okta.principal_by_id("00uNoSuchUser").await?, None);
    assert_eq!(
        h.okta.principal_by_email("nobody@nowhere.example").await?,
        None
    );
    let olive = h.okta.principal_by_email(OLIVE).await?.expect("olive");
    assert!(
        !olive.operator,
        "no operator group is configured by default"
    );
    assert!(olive.entitlements.is_empty());
    Ok(())
}

#[tokio::test]
async fn the_operator_group_makes_operators() -> Result<()> {
    let h = harness().await?;
    let okta = h.adapter(|s| {
        s.entitlements = EntitlementSource::Groups {
            pattern: "acct-{account}-{role}".into(),
            operator_group: Some(DEMO_OPERATOR_GROUP.into()),
        }
    })?;
    assert!(
        okta.principal_by_email(OLIVE)
            .await?
            .expect("olive")
            .operator
    );
    assert!(!okta.principal_by_email(USER).await?.expect("pat").operator);
    Ok(())
}

#[tokio::test]
async fn principals_and_account_users_from_a_profile_attribute() -> Result<()> {
    let h = harness().await?;
    let okta = h.adapter(attribute_source)?;
    let morgan = okta.principal_by_email(MORGAN).await?.expect("morgan");
    let ents: Vec<(&str, Role)> = morgan
        .entitlements
        .iter()
        .map(|e| (e.account_id.as_str(), e.role))
        .collect();
    assert_eq!(
        ents,
        [(HOME, Role::AlternateAuthority), (OTHER, Role::Billing)]
    );
    assert!(
        okta.principal_by_email(OLIVE)
            .await?
            .expect("olive")
            .operator
    );
    let scope = Scope::new([OTHER.to_string()]);
    let from_attribute = okta.account_users(&scope, OTHER).await?;
    let from_groups = h.okta.account_users(&scope, OTHER).await?;
    assert_eq!(from_attribute, from_groups);
    assert_eq!(from_attribute.len(), 3);
    Ok(())
}

#[tokio::test]
async fn suspended_users_have_no_principal() -> Result<()> {
    let h = harness().await?;
    h.fake.set_status(&h.id(USER), "SUSPENDED");
    assert_eq!(h.okta.principal_by_email(USER).await?, None);
    h.fake.set_status(&h.id(USER), "LOCKED_OUT");
    assert!(h.okta.principal_by_email(USER).await?.is_some());
    Ok(())
}

#[tokio::test]
async fn resetting_okta_verify_reports_every_linked_factor() -> Result<()> {
    let h = harness().await?;
    let pat = h.id(USER);
    let before = h.okta.factors(&pat).await?;
    assert_eq!(before.len(), 5);
    assert!(
        before
            .windows(2)
            .all(|w| w[0].enrolled_at <= w[1].enrolled_at),
        "oldest first"
    );
    let push = before
        .iter()
        .find(|f| f.label() == "Okta Verify (push)")
        .expect("push");
    assert_eq!(push.detail.as_deref(), Some("Pat's iPhone"));
    let mut removed = h.okta.reset_factor(&pat, &push.id).await?;
    removed.sort();
    let mut verify: Vec<String> = before
        .iter()
        .filter(|f| f.label().starts_with("Okta Verify"))
        .map(|f| f.id.clone())
        .collect();
    verify.sort();
    assert_eq!(removed, verify);
    assert_eq!(removed.len(), 3);
    let labels: Vec<String> = h
        .okta
        .factors(&pat)
        .await?
        .iter()
        .map(|f| f.label())
        .collect();
    assert_eq!(labels, ["Google Authenticator", "SMS authentication"]);
    assert!(matches!(
        h.okta.factors("00uNoSuchUser").await,
        Err(Error::NotFound { .. })
    ));
    Ok(())
}

async fn recoveries(h: &Harness, login: &str, kind: RecoveryKind) -> Result<()> {
    h.okta
        .request_recovery(login, kind, "https://portal.example")
        .await
}

#[tokio::test]
async fn recovery_sends_one_email_for_a_known_login_and_none_for_unknown() -> Result<()> {
    let h = harness().await?;
    recoveries(
        &h,
        "nobody.at.all@nowhere.example",
        RecoveryKind::ResetPassword,
    )
    .await?;
    assert!(h.fake.emails_sent().is_empty());
    recoveries(&h, &USER.to_uppercase(), RecoveryKind::ResetPassword).await?;
    assert_eq!(
        h.fake.emails_sent(),
        [(USER.to_string(), "reset_password".to_string())]
    );
    // Unlock: nothing to do for an active user; a locked-out one gets the
    // reset email, never a direct unlock.
    recoveries(&h, OTHER_USER, RecoveryKind::UnlockAccount).await?;
    assert_eq!(h.fake.emails_sent().len(), 1);
    let dana = h.id(OTHER_USER);
    h.fake.set_status(&dana, "LOCKED_OUT");
    recoveries(&h, OTHER_USER, RecoveryKind::UnlockAccount).await?;
    assert_eq!(
        h.fake.emails_sent()[1],
        (OTHER_USER.to_string(), "reset_password".to_string())
    );
    assert!(
        h.fake
            .requests()
            .entries()
            .iter()
            .all(|r| !r.path.ends_with("/unlock"))
    );
    assert_eq!(h.fake.user(&dana).expect("dana")["status"], "RECOVERY");
    Ok(())
}

#[tokio::test]
async fn unlock_is_an_administrators_action() -> Result<()> {
    let h = harness().await?;
    let pat = h.id(USER);
    assert!(matches!(h.okta.unlock(&pat).await, Err(Error::Conflict(_))));
    h.fake.set_status(&pat, "LOCKED_OUT");
    h.okta.unlock(&pat).await?;
    assert_eq!(h.fake.user(&pat).expect("pat")["status"], "ACTIVE");
    assert!(matches!(
        h.okta.unlock("00uNoSuchUser").await,
        Err(Error::NotFound { .. })
    ));
    Ok(())
}

/// A writer collecting every log line.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_rejected_token_is_unavailable_and_never_printed() -> Result<()> {
    let h = harness().await?;
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let wrong = format!("{TOKEN}-wrong");
    let okta = h.adapter(|s| {
        s.auth = switchboard_okta::Auth::ApiToken {
            token: wrong.clone(),
        }
    })?;
    let error = okta
        .factors(&h.id(USER))
        .await
        .expect_err("a rejected token");
    assert_eq!(error, Error::unavailable("okta"));
    let settings = common::settings(&h.fake);
    let printed = format!("{error} {error:?} {settings:?} {okta:?}");
    let logged = String::from_utf8(logs.0.lock().expect("log buffer").clone()).unwrap_or_default();
    assert!(logged.contains("okta rejected the API token"), "{logged}");
    for text in [&printed, &logged] {
        assert!(!text.contains(TOKEN), "the token leaked: {text}");
    }
    Ok(())
}

#[tokio::test]
async fn bad_settings_are_refused_naming_the_setting() -> Result<()> {
    let h = harness().await?;
    let field = |r: Result<switchboard_okta::Okta>| match r {
        Err(Error::InvalidInput { field, message }) => {
            assert!(!message.contains(TOKEN));
            field
        }
        other => panic!("expected a refused setting, got {other:?}"),
    };
    assert_eq!(
        field(h.adapter(|s| s.org_url = "example.okta.com".into())),
        "okta.org_url"
    );
    assert_eq!(
        field(h.adapter(|s| s.org_url = format!("{}/api", s.org_url))),
        "okta.org_url"
    );
    assert_eq!(field(h.adapter(|s| s.page_size = 500)), "okta.page_size");
    assert_eq!(
        field(h.adapter(|s| s.entitlements = EntitlementSource::Groups {
            pattern: "acct-{account}".into(),
            operator_group: None
        })),
        "okta.entitlements.pattern"
    );
    assert_eq!(
        field(
            h.adapter(|s| s.entitlements = EntitlementSource::ProfileAttribute {
                attribute: "a\" or x".into(),
                operator_group: None
            })
        ),
        "okta.entitlements.attribute"
    );
    Ok(())
}
