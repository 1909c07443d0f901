//! GraphiQL's "sign in as": in development, a newcomer picks a demo user
//! and gets a cookie session with a token the embedded issuer mints, so no
//! token needs pasting. Offered only when `Config::sign_in_as` allows it
//! (never in production mode; by default only on a loopback listener with
//! demo data), and only for the demo users.
//!
//! `POST /graphiql/sign-in-as` takes the form field `email`. The form must
//! come from the gateway's own origin (browsers send `Origin` on POST), so
//! another site cannot sign a visitor in.

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::AppState;
use super::session::{self, Failure};

/// The form.
#[derive(Debug, Deserialize)]
pub struct SignInAs {
    email: String,
}

/// `POST /graphiql/sign-in-as`.
pub async fn sign_in_as(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SignInAs>,
) -> Response {
    let sessions = &state.sessions;
    if !super::same_origin(&state, &headers) {
        return session::failure_page(Failure::new(
            StatusCode::FORBIDDEN,
            "sign in from this gateway's own GraphiQL page",
        ));
    }
    if !sessions.demo_users().iter().any(|u| u.email == form.email) {
        return session::failure_page(Failure::new(
            StatusCode::BAD_REQUEST,
            "pick one of the demo users",
        ));
    }
    let unavailable = |what: &str| {
        tracing::warn!("sign in as: {what}");
        session::failure_page(Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the user directory is unavailable; try again shortly",
        ))
    };
    let principal = match state
        .callers
        .directory()
        .principal_by_email(&form.email)
        .await
    {
        Ok(Some(principal)) => principal,
        Ok(None) => {
            return session::failure_page(Failure::new(
                StatusCode::NOT_FOUND,
                "this demo user is not in the directory (is demo data off?)",
            ));
        }
        Err(_) => return unavailable("the directory failed"),
    };
    let token = match state
        .issuer
        .mint(&principal.user, state.config.auth.token_ttl_secs)
    {
        Ok(token) => token,
        Err(e) => {
            tracing::error!(error = %e, "sign in as: cannot mint a token");
            return session::failure_page(Failure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error",
            ));
        }
    };
    let caller = match state.callers.authenticate(&token).await {
        Ok(caller) => caller,
        Err(_) => return unavailable("the minted token was refused"),
    };
    tracing::info!(user.id = %caller.actor.user_id, "signed in to GraphiQL as a demo user");
    session::demo_session(sessions, &caller, token).await
}
