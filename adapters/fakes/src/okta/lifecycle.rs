//! Writes: factors (list, delete), `reset_password`, `unlock` and
//! `change_password`, with Okta's status rules and errors.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Value, json};
use switchboard_core::identity::username_parts;

use super::handlers::find_user;
use super::{Shared, wire};

fn user_index(shared: &Shared, key: &str) -> Option<usize> {
    let data = shared.lock();
    let id = find_user(&data.dir.users, key)?.id.clone();
    data.dir.users.iter().position(|u| u.id == id)
}

fn no_user(key: &str) -> Response {
    wire::not_found(&format!("{key} (User)"))
}

/// `GET /api/v1/users/{id}/factors`, oldest first.
pub(crate) async fn list_factors(State(shared): State<Shared>, Path(id): Path<String>) -> Response {
    let Some(index) = user_index(&shared, &id) else {
        return no_user(&id);
    };
    let data = shared.lock();
    let user_id = &data.dir.users[index].id;
    let mut factors: Vec<_> = data
        .dir
        .factors
        .iter()
        .filter(|f| f.user_id == *user_id)
        .collect();
    factors.sort_by_key(|f| f.created);
    let body: Vec<Value> = factors
        .into_iter()
        .map(|f| wire::factor(&shared.base, f))
        .collect();
    axum::Json(body).into_response()
}

/// `DELETE /api/v1/users/{id}/factors/{factor}`: 204; Okta Verify's
/// factors go together.
pub(crate) async fn delete_factor(
    State(shared): State<Shared>,
    Path((id, factor)): Path<(String, String)>,
) -> Response {
    let Some(index) = user_index(&shared, &id) else {
        return no_user(&id);
    };
    let mut data = shared.lock();
    let user_id = data.dir.users[index].id.clone();
    let Some(target) = data
        .dir
        .factors
        .iter()
        .find(|f| f.id == factor && f.user_id == user_id)
        .cloned()
    else {
        return wire::not_found(&format!("{factor} (UserFactor)"));
    };
    data.dir.factors.retain(|f| {
        let linked = target.is_okta_verify() && f.is_okta_verify();
        !(f.user_id == user_id && (f.id == target.id || linked))
    });
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /api/v1/users/{id}/lifecycle/reset_password?sendEmail=…`.
pub(crate) async fn reset_password(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    Query(params): Query<BTreeMap<String, String>>,
) -> Response {
    let Some(index) = user_index(&shared, &id) else {
        return no_user(&id);
    };
    let send_email = params
        .get("sendEmail")
        .is_none_or(|v| !v.eq_ignore_ascii_case("false"));
    let mut data = shared.lock();
    let user = &mut data.dir.users[index];
    if !matches!(
        user.status.as_str(),
        "ACTIVE" | "RECOVERY" | "LOCKED_OUT" | "PASSWORD_EXPIRED"
    ) {
        return wire::wrong_status();
    }
    user.status = "RECOVERY".into();
    user.status_changed = Utc::now();
    let login = user.login().to_string();
    let token = format!("XE6w{}", &user.id[3..]);
    if send_email {
        data.emails.push((login, "reset_password".into()));
        return axum::Json(json!({})).into_response();
    }
    axum::Json(json!({"resetPasswordUrl": format!("{}/reset_password/{token}", shared.base)}))
        .into_response()
}

/// `POST /api/v1/users/{id}/lifecycle/unlock`: LOCKED_OUT becomes ACTIVE;
/// another status is 403 E0000038.
pub(crate) async fn unlock(State(shared): State<Shared>, Path(id): Path<String>) -> Response {
    let Some(index) = user_index(&shared, &id) else {
        return no_user(&id);
    };
    let mut data = shared.lock();
    let user = &mut data.dir.users[index];
    if user.status != "LOCKED_OUT" {
        return wire::wrong_status();
    }
    user.status = "ACTIVE".into();
    user.status_changed = Utc::now();
    axum::Json(json!({})).into_response()
}

/// The parts of Okta's default policy `password` breaks for `login`.
fn broken_parts(login: &str, password: &str) -> Vec<&'static str> {
    let lowered = password.to_lowercase();
    let checks = [
        ("at least 8 characters", password.chars().count() >= 8),
        (
            "a lowercase letter",
            password.chars().any(char::is_lowercase),
        ),
        (
            "an uppercase letter",
            password.chars().any(char::is_uppercase),
        ),
        ("a number", password.chars().any(|c| c.is_ascii_digit())),
        (
            "no parts of your username",
            !username_parts(login)
                .iter()
                .any(|p| lowered.contains(p.as_str())),
        ),
    ];
    checks
        .into_iter()
        .filter(|(_, kept)| !kept)
        .map(|(part, _)| part)
        .collect()
}

/// `POST /api/v1/users/{id}/credentials/change_password`.
pub(crate) async fn change_password(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(index) = user_index(&shared, &id) else {
        return no_user(&id);
    };
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let (Some(old), Some(new)) = (
        body["oldPassword"]["value"].as_str(),
        body["newPassword"]["value"].as_str(),
    ) else {
        return wire::error(
            400,
            "E0000001",
            "Api validation failed: password",
            &["password: Both oldPassword and newPassword are required.".into()],
        );
    };
    let mut data = shared.lock();
    let user = &mut data.dir.users[index];
    if !matches!(
        user.status.as_str(),
        "STAGED" | "ACTIVE" | "PASSWORD_EXPIRED" | "RECOVERY"
    ) {
        return wire::wrong_status();
    }
    if user.password != old {
        return wire::error(
            403,
            "E0000014",
            "Update of credentials failed",
            &["oldPassword: The credentials provided were incorrect.".into()],
        );
    }
    let broken = broken_parts(user.login(), new);
    if !broken.is_empty() {
        return wire::error(
            403,
            "E0000080",
            "The password does not meet the complexity requirements of the current password policy.",
            &[format!(
                "password: Password requirements were not met. Password requirements: {}.",
                broken.join(", ")
            )],
        );
    }
    user.password = new.to_string();
    user.status = "ACTIVE".into();
    user.password_changed = Utc::now();
    user.last_updated = Utc::now();
    axum::Json(wire::credentials()).into_response()
}
