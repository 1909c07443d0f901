//! The portal's profile features: an account's users and team, the
//! caller's sign-in factors and password, account recovery and portal
//! access requests (public, rate-limited), feedback, and the operators'
//! view of the outbox and the access requests.

mod nodes;
mod public;

use async_graphql::{Context, ID, Object, Result};
use switchboard_core::cases::NewCase;
use switchboard_core::identity::{
    AccessRequest, PasswordChange, RecoveryCompletion, RecoveryKind, check_password,
    invalid_recovery_link,
};
use switchboard_core::{Actor, Error, PageRequest, Scope};

use super::cases::CaseNode;
use super::context::{Ports, request};
use super::errors::{Code, IntoGql, error};
use super::guards::{Require, Rule};
use super::pagination::PageInfo;

pub use nodes::*;
pub use public::{ClientAddr, PUBLIC_FIELDS, ProfileLimits, is_public, rate_limited};

/// What a recovery request answers, whether or not the login exists.
const RECOVERY_ANSWER: &str = "If an account with this login exists, we sent it an email \
     with a link that works for one hour.";

/// What an access request answers (also when the honeypot caught it).
const ACCESS_ANSWER: &str = "Thank you. We will email you an activation link once we \
     have handled your request.";

/// The longest login accepted.
const MAX_LOGIN_CHARS: usize = 254;

/// The ports and client address of a request that may have no caller.
fn public_request<'a>(ctx: &Context<'a>) -> Result<(&'a Ports, ClientAddr)> {
    let ports = ctx
        .data_opt::<Ports>()
        .ok_or_else(|| error(Code::Internal, "internal error"))?;
    let client = ctx
        .data_opt::<ClientAddr>()
        .copied()
        .unwrap_or(ClientAddr(std::net::IpAddr::from([0, 0, 0, 0])));
    Ok((ports, client))
}

/// Profile queries.
#[derive(Default)]
pub struct ProfileQuery;

#[Object]
impl ProfileQuery {
    /// The portal users of an account, by name (the "User List"). Needs the
    /// PRIMARY_AUTHORITY or ALTERNATE_AUTHORITY role on the account.
    #[graphql(guard = "Require::on(Rule::AccountAdmin, account_id.as_str())")]
    async fn account_users(
        &self,
        ctx: &Context<'_>,
        account_id: ID,
    ) -> Result<Option<Vec<AccountUserNode>>> {
        let (caller, ports, _) = request(ctx)?;
        let users = ports
            .identity
            .account_users(&caller.scope, &account_id)
            .await
            .gql()?;
        Ok(Some(users.into_iter().map(Into::into).collect()))
    }

    /// The provider's team for an account ("My Account Team"): account
    /// manager, sales engineer, customer success and support contacts.
    #[graphql(guard = "Require::on(Rule::SignedIn, account_id.as_str())")]
    async fn account_team(
        &self,
        ctx: &Context<'_>,
        account_id: ID,
    ) -> Result<Option<Vec<TeamMemberNode>>> {
        let (caller, ports, _) = request(ctx)?;
        let team = ports
            .identity
            .account_team(&caller.scope, &account_id)
            .await
            .gql()?;
        Ok(Some(team.into_iter().map(Into::into).collect()))
    }

    /// The caller's enrolled sign-in factors, oldest first.
    #[graphql(guard = "Require::signed_in()")]
    async fn my_factors(&self, ctx: &Context<'_>) -> Result<Vec<FactorNode>> {
        let (caller, ports, _) = request(ctx)?;
        let factors = ports.identity.factors(&caller.actor.user_id).await.gql()?;
        Ok(factors.into_iter().map(Into::into).collect())
    }

    /// Messages the gateway wrote for delivery (recovery links), newest
    /// first. Operators only; empty when the identity backend sends its
    /// own messages.
    #[graphql(guard = "Require::operator()")]
    async fn outbox(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<OutboxConnection> {
        let (_, ports, _) = request(ctx)?;
        let page = PageRequest::new(first, after).gql()?;
        let Some(outbox) = ports.identity.outbox() else {
            return Ok(OutboxConnection {
                nodes: Vec::new(),
                page_info: PageInfo::of::<OutboxMessageNode>(&switchboard_core::Page {
                    items: Vec::new(),
                    has_next_page: false,
                }),
            });
        };
        let page = outbox.messages(&page).await.gql()?;
        Ok(OutboxConnection {
            page_info: PageInfo::of(&page),
            nodes: page.into_items().into_iter().map(Into::into).collect(),
        })
    }

    /// Requests for portal access, newest first. Operators only.
    #[graphql(guard = "Require::operator()")]
    async fn access_requests(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<AccessRequestConnection> {
        let (_, ports, _) = request(ctx)?;
        let page = PageRequest::new(first, after).gql()?;
        let page = ports.access_requests.access_requests(&page).await.gql()?;
        Ok(AccessRequestConnection {
            page_info: PageInfo::of(&page),
            nodes: page.into_items().into_iter().map(Into::into).collect(),
        })
    }
}

/// Profile mutations.
#[derive(Default)]
pub struct ProfileMutation;

#[Object]
impl ProfileMutation {
    /// Removes one of the caller's sign-in factors, so it is set up again
    /// at the next sign-in. Another user's factor is NOT_FOUND.
    #[graphql(guard = "Require::writer()")]
    async fn reset_factor(&self, ctx: &Context<'_>, factor_id: ID) -> Result<ResetFactorPayload> {
        let (caller, ports, _) = request(ctx)?;
        let user = &caller.actor.user_id;
        let removed = ports.identity.reset_factor(user, &factor_id).await.gql()?;
        let factors = ports.identity.factors(user).await.gql()?;
        Ok(ResetFactorPayload {
            removed_factor_ids: removed.into_iter().map(ID).collect(),
            factors: factors.into_iter().map(Into::into).collect(),
        })
    }

    /// Changes the caller's password. A wrong `oldPassword` is
    /// BAD_USER_INPUT on `oldPassword` (too many attempts: RATE_LIMITED); a
    /// weak `newPassword` is BAD_USER_INPUT on `newPassword` naming every
    /// broken rule.
    #[graphql(guard = "Require::writer()")]
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        old_password: String,
        new_password: String,
    ) -> Result<bool> {
        let (caller, ports, _) = request(ctx)?;
        let limits = &ports.profile;
        let user = &caller.actor.user_id;
        // A weak new password is refused before it counts as an attempt.
        check_password(&caller.actor.email, &new_password).gql()?;
        limits
            .password_attempts
            .hit(user)
            .await
            .map_err(rate_limited)?;
        let change = PasswordChange {
            old_password,
            new_password,
        };
        match ports.identity.change_password(user, &change).await {
            Ok(()) => Ok(true),
            Err(e) => Err(e).gql(),
        }
    }

    /// Asks for a password-reset email ("Forgot password?"). Needs no
    /// token; answers the same whether or not the login exists;
    /// RATE_LIMITED per login and per client address.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        login: String,
    ) -> Result<RecoveryRequested> {
        recover(ctx, &login, RecoveryKind::ResetPassword).await
    }

    /// Asks for an account-unlock email ("Unlock account?"). Needs no
    /// token; answers the same whether or not the login exists;
    /// RATE_LIMITED per login and per client address.
    async fn request_account_unlock(
        &self,
        ctx: &Context<'_>,
        login: String,
    ) -> Result<RecoveryRequested> {
        recover(ctx, &login, RecoveryKind::UnlockAccount).await
    }

    /// Sets a new password with the token of a password-reset link. Needs
    /// no token of a caller; RATE_LIMITED per client address. A weak
    /// `newPassword` is BAD_USER_INPUT on `newPassword` naming every broken
    /// rule (the link still works); an unknown, expired, used or
    /// unlock link is BAD_USER_INPUT on `token`.
    async fn complete_password_reset(
        &self,
        ctx: &Context<'_>,
        token: String,
        new_password: String,
    ) -> Result<bool> {
        let completion = RecoveryCompletion::ResetPassword { new_password };
        redeem(ctx, &token, &completion).await
    }

    /// Unlocks an account with the token of an unlock link. Needs no token
    /// of a caller; RATE_LIMITED per client address. An unknown, expired,
    /// used or reset link is BAD_USER_INPUT on `token`.
    async fn complete_account_unlock(&self, ctx: &Context<'_>, token: String) -> Result<bool> {
        redeem(ctx, &token, &RecoveryCompletion::UnlockAccount).await
    }

    /// Requests a portal account ("Request a Customer Portal Account").
    /// Needs no token; validated; RATE_LIMITED per client address.
    async fn request_portal_access(
        &self,
        ctx: &Context<'_>,
        input: PortalAccessInput,
    ) -> Result<PortalAccessRequested> {
        let (ports, client) = public_request(ctx)?;
        ports
            .profile
            .access_address
            .hit(&client.0.to_string())
            .await
            .map_err(rate_limited)?;
        let answer = PortalAccessRequested {
            message: ACCESS_ANSWER.into(),
        };
        if input
            .website
            .as_deref()
            .is_some_and(|w| !w.trim().is_empty())
        {
            tracing::warn!(client.addr = %client.0, "an access request filled the honeypot; dropped");
            return Ok(answer);
        }
        let request = input.request().validated().gql()?;
        let case_number = match &ports.profile.intake_account {
            Some(account) => intake_case(ports, account, &request).await,
            None => None,
        };
        ports
            .access_requests
            .record_access_request(&request, case_number.as_deref())
            .await
            .gql()?;
        Ok(answer)
    }

    /// Sends feedback about the portal: opens a Customer Portal Feedback
    /// case on one of the caller's accounts.
    #[graphql(guard = "Require::on(Rule::Writer, input.account_id.as_str())")]
    async fn send_feedback(&self, ctx: &Context<'_>, input: FeedbackInput) -> Result<CaseNode> {
        let (caller, ports, _) = request(ctx)?;
        let new = NewCase {
            account_id: input.account_id.to_string(),
            case_type: "CUSTOMER_PORTAL_FEEDBACK".into(),
            support_case_type: Some("PORTAL_FEEDBACK".into()),
            category: input.kind.category().into(),
            title: input.title,
            description: input.description,
            location_not_listed: true,
            product_not_listed: true,
            ..NewCase::default()
        };
        let created = ports
            .cases
            .create_case(&caller.scope, &caller.actor, new)
            .await
            .gql()?;
        Ok(CaseNode(created.record))
    }
}

/// The shared path of the two recovery requests: check the limits before
/// anything is looked up, so known and unknown logins are limited alike.
async fn recover(ctx: &Context<'_>, login: &str, kind: RecoveryKind) -> Result<RecoveryRequested> {
    let (ports, client) = public_request(ctx)?;
    let login = login.trim().to_lowercase();
    if login.is_empty() || login.chars().count() > MAX_LOGIN_CHARS {
        return Err(Error::invalid(
            "login",
            "enter your email address or username",
        ))
        .gql();
    }
    let limits = &ports.profile;
    limits
        .recovery_address
        .hit(&client.0.to_string())
        .await
        .map_err(rate_limited)?;
    limits
        .recovery_login
        .hit(&login)
        .await
        .map_err(rate_limited)?;
    let link_base = limits
        .recovery_link_base
        .as_deref()
        .unwrap_or(&ports.public_url);
    ports
        .identity
        .request_recovery(&login, kind, link_base)
        .await
        .gql()?;
    Ok(RecoveryRequested {
        message: RECOVERY_ANSWER.into(),
    })
}

/// The shared path of the two redemptions: the limit first, then the
/// backend's links; a backend whose identity provider handles its own links
/// knows none of ours, so every token is refused like an unknown one.
async fn redeem(ctx: &Context<'_>, token: &str, completion: &RecoveryCompletion) -> Result<bool> {
    let (ports, client) = public_request(ctx)?;
    ports
        .profile
        .redemption_address
        .hit(&client.0.to_string())
        .await
        .map_err(rate_limited)?;
    let Some(links) = ports.identity.recovery_links() else {
        return Err(invalid_recovery_link()).gql();
    };
    links
        .complete_recovery(token.trim(), completion)
        .await
        .gql()?;
    Ok(true)
}

/// Opens the access-request case on the intake account; its number, or
/// `None` (logged) when it could not be opened: the request is kept anyway.
async fn intake_case(ports: &Ports, account: &str, request: &AccessRequest) -> Option<String> {
    let actor = Actor {
        user_id: "access-request".into(),
        email: request.email.clone(),
        name: request.name.clone(),
    };
    let details = format!(
        "Portal access request\nName: {}\nPhone: {}\nEmail: {}\nAccount name: {}\n\
         Account number: {}\nService address: {}\n\n{}",
        request.name,
        request.phone,
        request.email,
        request.account_name,
        request.account_number,
        request.service_address,
        request.description,
    );
    let new = NewCase {
        account_id: account.to_string(),
        case_type: "CUSTOMER_PORTAL_FEEDBACK".into(),
        support_case_type: Some("PORTAL_FEEDBACK".into()),
        category: "PORTAL_ACCESS_REQUEST".into(),
        title: Some(truncate(&format!("Portal access: {}", request.name), 160)),
        description: truncate(&details, switchboard_core::validate::MAX_DESCRIPTION_CHARS),
        location_not_listed: true,
        product_not_listed: true,
        ..NewCase::default()
    };
    let scope = Scope::new([account.to_string()]);
    match ports.cases.create_case(&scope, &actor, new).await {
        Ok(created) => Some(created.record.number),
        Err(error) => {
            tracing::error!(%error, intake.account = account, "the access-request case could not be opened");
            None
        }
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}
