//! The identity behaviours of the conformance suite on the Okta adapter
//! over the fake org, with an API token and as a service app. The
//! recovery-link behaviours do not apply: Okta sends and redeems its own
//! links.

mod common;

use common::{OTHER_USER, USER, harness, service_app_harness};
use switchboard_conformance::{IdentityFixture, identity};
use switchboard_core::Result;
use switchboard_core::demo::DEMO_ACCOUNTS;
use switchboard_core::demo::DEMO_PASSWORD;
use switchboard_core::identity::Identity;

fn fixture(h: &common::Harness) -> IdentityFixture {
    let [(home, _), (other, _)] = DEMO_ACCOUNTS;
    IdentityFixture {
        home: home.into(),
        other: other.into(),
        user_id: h.id(USER),
        login: USER.into(),
        password: DEMO_PASSWORD.into(),
        other_user_id: h.id(OTHER_USER),
    }
}

macro_rules! behaviours {
    ($harness:ident: $($behaviour:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread")]
            async fn $behaviour() -> Result<()> {
                let h = $harness().await?;
                identity::$behaviour(&h.okta, &fixture(&h)).await;
                Ok(())
            }
        )*
    };
}

mod api_token {
    use super::*;

    behaviours!(harness:
        account_users_are_scoped,
        account_team_is_scoped,
        factors_belong_to_their_user,
        password_changes,
        recovery_does_not_enumerate,
        principals_by_id_and_email,
    );
}

mod service_app {
    use super::*;

    behaviours!(service_app_harness:
        account_users_are_scoped,
        account_team_is_scoped,
        factors_belong_to_their_user,
        password_changes,
        recovery_does_not_enumerate,
        principals_by_id_and_email,
    );
}

#[tokio::test]
async fn okta_sends_and_redeems_its_own_links() -> Result<()> {
    let h = harness().await?;
    assert_eq!(h.okta.backend(), "okta");
    assert!(h.okta.outbox().is_none());
    assert!(h.okta.recovery_links().is_none());
    // The link behaviours return at once without the capability.
    let f = fixture(&h);
    identity::reset_links_set_a_new_password(&h.okta, &f).await;
    identity::racing_redemptions_have_one_winner(&h.okta, &f).await;
    assert_eq!(h.fake.requests().count(), 0, "nothing was asked of Okta");
    Ok(())
}
