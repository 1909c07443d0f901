//! Reads: users (list, search, filter, by id or login), a user's groups,
//! groups (by name prefix or search) and a group's members, all paged by
//! `limit` and `after` with `link` headers.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::directory::FakeUser;
use super::search::{Expr, parse_filter, parse_search};
use super::{Shared, wire};

/// Query parameters, in a stable order for links.
type Params = BTreeMap<String, String>;

/// The default and largest page.
const MAX_LIMIT: usize = 200;

/// One page of `items` (sorted by id) after `params["after"]`, with `link`
/// headers that repeat the other parameters.
fn page(shared: &Shared, path: &str, params: &Params, items: Vec<(String, Value)>) -> Response {
    let limit = match params.get("limit").map(|l| l.parse::<usize>()) {
        None => MAX_LIMIT,
        Some(Ok(n)) if n >= 1 => n.min(MAX_LIMIT),
        Some(_) => {
            return wire::error(
                400,
                "E0000001",
                "Api validation failed: limit",
                &["limit: The limit must be a positive number.".into()],
            );
        }
    };
    let after = params.get("after").cloned().unwrap_or_default();
    let mut rest: Vec<(String, Value)> = items.into_iter().filter(|(id, _)| *id > after).collect();
    let more = rest.len() > limit;
    rest.truncate(limit);
    let url = |p: &Params| {
        let query = serde_urlencoded::to_string(p).unwrap_or_default();
        format!("{}{path}?{query}", shared.base)
    };
    let next = more.then(|| {
        let mut p = params.clone();
        p.insert("limit".into(), limit.to_string());
        if let Some((last, _)) = rest.last() {
            p.insert("after".into(), last.clone());
        }
        url(&p)
    });
    let body: Vec<Value> = rest.into_iter().map(|(_, v)| v).collect();
    let mut response = axum::Json(body).into_response();
    wire::links(response.headers_mut(), &url(params), next.as_deref());
    response
}

/// A `search` or `filter` the fake does not understand.
struct BadSearch;

/// An expression from `params[key]`, if given.
fn expression(
    params: &Params,
    key: &str,
    parse: fn(&str) -> Option<Expr>,
) -> Result<Option<Expr>, BadSearch> {
    match params.get(key) {
        None => Ok(None),
        Some(s) => parse(s).map(Some).ok_or(BadSearch),
    }
}

fn sorted(mut items: Vec<(String, Value)>) -> Vec<(String, Value)> {
    items.sort_by(|a, b| a.0.cmp(&b.0));
    items
}

/// `GET /api/v1/users`.
pub(crate) async fn list_users(
    State(shared): State<Shared>,
    Query(params): Query<Params>,
) -> Response {
    let (search, filter) = match (
        expression(&params, "search", parse_search),
        expression(&params, "filter", parse_filter),
    ) {
        (Ok(s), Ok(f)) => (s, f),
        (Err(BadSearch), _) | (_, Err(BadSearch)) => return wire::bad_search(),
    };
    let data = shared.lock();
    let users = data.dir.users.iter().map(|u| wire::user(&shared.base, u));
    if let Some(q) = params.get("q") {
        let q = q.to_ascii_lowercase();
        let limit = params
            .get("limit")
            .and_then(|l| l.parse::<usize>().ok())
            .unwrap_or(10)
            .min(MAX_LIMIT);
        let found: Vec<Value> = users
            .filter(|u| {
                ["firstName", "lastName", "email"].iter().any(|k| {
                    u["profile"][k]
                        .as_str()
                        .is_some_and(|v| v.to_ascii_lowercase().starts_with(&q))
                })
            })
            .take(limit)
            .collect();
        return axum::Json(found).into_response();
    }
    let plain = search.is_none() && filter.is_none();
    let items: Vec<(String, Value)> = users
        .filter(|u| !plain || u["status"] != "DEPROVISIONED")
        .filter(|u| search.as_ref().is_none_or(|e| e.matches(u)))
        .filter(|u| filter.as_ref().is_none_or(|e| e.matches(u)))
        .map(|u| (u["id"].as_str().unwrap_or_default().to_string(), u))
        .collect();
    drop(data);
    page(&shared, "/api/v1/users", &params, sorted(items))
}

/// The user `key` names: an id, a login, or a login's short name.
pub(crate) fn find_user<'a>(users: &'a [FakeUser], key: &str) -> Option<&'a FakeUser> {
    users.iter().find(|u| u.id == key).or_else(|| {
        users.iter().find(|u| {
            let login = u.login();
            login.eq_ignore_ascii_case(key)
                || login
                    .split_once('@')
                    .is_some_and(|(short, _)| short.eq_ignore_ascii_case(key))
        })
    })
}

/// `GET /api/v1/users/{id}`.
pub(crate) async fn get_user(State(shared): State<Shared>, Path(id): Path<String>) -> Response {
    let data = shared.lock();
    match find_user(&data.dir.users, &id) {
        Some(u) => axum::Json(wire::user(&shared.base, u)).into_response(),
        None => wire::not_found(&format!("{id} (User)")),
    }
}

/// `GET /api/v1/users/{id}/groups`.
pub(crate) async fn user_groups(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    let data = shared.lock();
    let Some(user) = find_user(&data.dir.users, &id) else {
        return wire::not_found(&format!("{id} (User)"));
    };
    let items: Vec<(String, Value)> = data
        .dir
        .groups
        .iter()
        .filter(|g| {
            data.dir
                .memberships
                .contains(&(g.id.clone(), user.id.clone()))
        })
        .map(|g| (g.id.clone(), wire::group(&shared.base, g)))
        .collect();
    let path = format!("/api/v1/users/{}/groups", user.id);
    drop(data);
    page(&shared, &path, &params, sorted(items))
}

/// `GET /api/v1/groups`.
pub(crate) async fn list_groups(
    State(shared): State<Shared>,
    Query(params): Query<Params>,
) -> Response {
    let search = match expression(&params, "search", parse_search) {
        Ok(s) => s,
        Err(BadSearch) => return wire::bad_search(),
    };
    let prefix = params.get("q").map(|q| q.to_ascii_lowercase());
    let data = shared.lock();
    let items: Vec<(String, Value)> = data
        .dir
        .groups
        .iter()
        .filter(|g| {
            prefix
                .as_ref()
                .is_none_or(|p| g.name.to_ascii_lowercase().starts_with(p))
        })
        .map(|g| (g.id.clone(), wire::group(&shared.base, g)))
        .filter(|(_, g)| search.as_ref().is_none_or(|e| e.matches(g)))
        .collect();
    drop(data);
    page(&shared, "/api/v1/groups", &params, sorted(items))
}

/// `GET /api/v1/groups/{id}/users`.
pub(crate) async fn group_users(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    let data = shared.lock();
    if !data.dir.groups.iter().any(|g| g.id == id) {
        return wire::not_found(&format!("{id} (UserGroup)"));
    }
    let items: Vec<(String, Value)> = data
        .dir
        .users
        .iter()
        .filter(|u| data.dir.memberships.contains(&(id.clone(), u.id.clone())))
        .map(|u| (u.id.clone(), wire::user(&shared.base, u)))
        .collect();
    drop(data);
    page(
        &shared,
        &format!("/api/v1/groups/{id}/users"),
        &params,
        sorted(items),
    )
}
