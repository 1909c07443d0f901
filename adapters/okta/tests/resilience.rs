//! The adapter under Okta's rate limits and failures: it waits for a
//! reset within its budget, gives up beyond it, retries reads and deletes
//! after 5xx and transport errors, and never retries a password change.

mod common;

use std::time::Duration;

use common::{USER, harness, harness_with};
use reqwest::Method;
use switchboard_core::demo::DEMO_PASSWORD;
use switchboard_core::identity::{Identity, PasswordChange};
use switchboard_core::{Error, Result};
use switchboard_fakes::faults::{Fault, Rule};
use switchboard_fakes::okta::OktaDirectory;

fn unavailable<T: std::fmt::Debug>(result: Result<T>) {
    match result {
        Err(Error::Unavailable { backend }) => assert_eq!(backend, "okta"),
        other => panic!("expected okta to be unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn an_exhausted_rate_limit_is_waited_out() -> Result<()> {
    // Two requests a second: the third waits for the next window.
    let h = harness_with(OktaDirectory::demo().with_rate_limit(2, 1), |_| {}).await?;
    let pat = h.id(USER);
    for _ in 0..5 {
        assert_eq!(h.okta.factors(&pat).await?.len(), 5);
    }
    assert_eq!(
        h.fake.requests().count(),
        5,
        "no request was refused and sent again"
    );
    Ok(())
}

#[tokio::test]
async fn a_429_is_waited_out_then_the_call_succeeds() -> Result<()> {
    let h = harness().await?;
    let pat = h.id(USER);
    h.fake.faults().inject(Rule::new(Fault::RateLimited {
        retry_after: Duration::from_secs(1),
    }));
    assert_eq!(h.okta.factors(&pat).await?.len(), 5);
    assert_eq!(h.fake.requests().count(), 2);
    Ok(())
}

#[tokio::test]
async fn a_rate_limit_beyond_the_cap_is_unavailable_at_once() -> Result<()> {
    let h = harness().await?;
    let pat = h.id(USER);
    h.fake.faults().inject(Rule::new(Fault::RateLimited {
        retry_after: Duration::from_secs(30),
    }));
    unavailable(h.okta.factors(&pat).await);
    assert_eq!(
        h.fake.requests().count(),
        1,
        "it did not wait and try again"
    );
    // The reset is remembered: the next call does not hammer Okta either.
    unavailable(h.okta.factors(&pat).await);
    assert_eq!(h.fake.requests().count(), 1);
    Ok(())
}

#[tokio::test]
async fn a_burst_of_server_errors_is_retried_for_reads() -> Result<()> {
    let h = harness().await?;
    let pat = h.id(USER);
    h.fake
        .faults()
        .inject(Rule::new(Fault::Status(503)).times(1));
    h.fake.faults().inject(Rule::new(Fault::Reset).times(1));
    assert_eq!(
        h.okta.factors(&pat).await?.len(),
        5,
        "two retries cover a 503 and a reset"
    );
    assert_eq!(h.fake.requests().count(), 3);
    h.fake
        .faults()
        .inject(Rule::new(Fault::Status(500)).times(3));
    unavailable(h.okta.factors(&pat).await);
    assert_eq!(h.fake.faults().pending(), 0, "one try and two retries");
    assert_eq!(h.okta.factors(&pat).await?.len(), 5, "and it recovers");
    Ok(())
}

#[tokio::test]
async fn a_stalled_okta_times_out() -> Result<()> {
    let h = harness().await?;
    let okta = h.adapter(|s| {
        s.timeout_ms = 200;
        s.retries = 0;
    })?;
    h.fake
        .faults()
        .inject(Rule::new(Fault::Stall(Duration::from_secs(3))));
    unavailable(okta.factors(&h.id(USER)).await);
    Ok(())
}

#[tokio::test]
async fn a_password_change_is_never_retried_blindly() -> Result<()> {
    let h = harness().await?;
    let pat = h.id(USER);
    let change = PasswordChange {
        old_password: DEMO_PASSWORD.into(),
        new_password: "Switch-Board-77".into(),
    };
    // The change happens but the answer is lost.
    h.fake.faults().inject(
        Rule::new(Fault::Status(502))
            .method(Method::POST)
            .after_handler(),
    );
    unavailable(h.okta.change_password(&pat, &change).await);
    let posts = h
        .fake
        .requests()
        .entries()
        .into_iter()
        .filter(|r| r.method == Method::POST)
        .count();
    assert_eq!(posts, 1, "sent once");
    // It did happen: the old password no longer works.
    match h.okta.change_password(&pat, &change).await {
        Err(Error::InvalidInput { field, .. }) => assert_eq!(field, "oldPassword"),
        other => panic!("expected the old password to be refused, got {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn a_delete_whose_answer_was_lost_is_retried_and_succeeds() -> Result<()> {
    let h = harness().await?;
    let pat = h.id(USER);
    let sms = h
        .okta
        .factors(&pat)
        .await?
        .into_iter()
        .find(|f| f.label() == "SMS authentication")
        .expect("sms");
    h.fake.faults().inject(
        Rule::new(Fault::Status(502))
            .method(Method::DELETE)
            .after_handler(),
    );
    assert_eq!(
        h.okta.reset_factor(&pat, &sms.id).await?,
        std::slice::from_ref(&sms.id)
    );
    let deletes = h
        .fake
        .requests()
        .entries()
        .into_iter()
        .filter(|r| r.method == Method::DELETE)
        .count();
    assert_eq!(deletes, 2, "the retry found it gone");
    assert_eq!(h.okta.factors(&pat).await?.len(), 4);
    Ok(())
}
