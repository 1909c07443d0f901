//! The Table API: `/api/now/[v1|v2/]table/{table}[/{sys_id}]`.

use std::collections::HashMap;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::Caller;
use super::query::Query;
use super::schema::{self, TableDef};
use super::store::{Record, RenderOptions};
use super::writes::{WriteError, Writer, writer_now};
use super::{AppState, wire};

/// The query parameters of a request, in order.
pub(crate) fn params(raw: Option<String>) -> Vec<(String, String)> {
    raw.and_then(|q| serde_urlencoded::from_str(&q).ok())
        .unwrap_or_default()
}

/// The value of parameter `name`.
pub(crate) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `sysparm_fields` as a list (None when absent or empty).
fn fields(params: &[(String, String)]) -> Option<Vec<String>> {
    let raw = param(params, "sysparm_fields")?;
    let list: Vec<String> = raw
        .split(',')
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty())
        .collect();
    (!list.is_empty()).then_some(list)
}

/// The table named in the path and whether the path is the v1 API.
fn resolve(path: &HashMap<String, String>) -> Result<(&'static TableDef, bool), String> {
    let v1 = match path.get("version").map(String::as_str) {
        None | Some("v2") => false,
        Some("v1") => true,
        Some(_) => return Err("Requested URI does not represent any resource".into()),
    };
    let name = path.get("table").map(String::as_str).unwrap_or("");
    schema::table(name)
        .map(|def| (def, v1))
        .ok_or_else(|| format!("Invalid table {name}"))
}

fn accepts_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

fn sends_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"))
}

fn check_read(headers: &HeaderMap, params: &[(String, String)]) -> Result<(), String> {
    if !accepts_json(headers) {
        return Err("Accept header must include application/json".to_owned());
    }
    match param(params, "sysparm_display_value") {
        None | Some("false") => Ok(()),
        Some(_) => Err(
            "sysparm_display_value other than false is not supported by this instance".to_owned(),
        ),
    }
}

fn render_one(
    state: &AppState,
    def: &TableDef,
    row: &Record,
    params: &[(String, String)],
) -> Record {
    let fields = fields(params);
    let db = state.db();
    db.tables.render(
        def,
        row,
        &RenderOptions {
            fields: fields.as_deref(),
            exclude_reference_link: param(params, "sysparm_exclude_reference_link") == Some("true"),
            base_url: &state.base_url,
        },
    )
}

fn parse_count(params: &[(String, String)], name: &str, default: usize) -> Result<usize, String> {
    match param(params, name) {
        None | Some("") => Ok(default),
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| format!("{name} must be a non-negative integer")),
    }
}

/// `GET` a list.
pub(crate) async fn list(
    State(state): State<AppState>,
    Path(path): Path<HashMap<String, String>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (def, v1) = match resolve(&path) {
        Ok(x) => x,
        Err(d) => return wire::bad_request(&d),
    };
    let params = params(raw);
    if let Err(d) = check_read(&headers, &params) {
        return wire::bad_request(&d);
    }
    let (limit, offset) = match (
        parse_count(&params, "sysparm_limit", 10_000),
        parse_count(&params, "sysparm_offset", 0),
    ) {
        (Ok(l), Ok(o)) => (l, o),
        (Err(d), _) | (_, Err(d)) => return wire::bad_request(&d),
    };
    let query = Query::parse(param(&params, "sysparm_query").unwrap_or(""));
    let fields = fields(&params);
    let exclude = param(&params, "sysparm_exclude_reference_link") == Some("true");
    let (total, page) = {
        let db = state.db();
        let mut rows: Vec<Record> = db
            .tables
            .scan(def.name)
            .filter(|r| query.matches(&db.tables, def, r))
            .cloned()
            .collect();
        query.sort(&db.tables, def, &mut rows);
        let options = RenderOptions {
            fields: fields.as_deref(),
            exclude_reference_link: exclude,
            base_url: &state.base_url,
        };
        let page: Vec<Value> = rows
            .iter()
            .skip(offset)
            .take(limit)
            .map(|r| Value::Object(db.tables.render(def, r, &options)))
            .collect();
        (rows.len(), page)
    };
    if v1 && page.is_empty() {
        return wire::error(
            StatusCode::NOT_FOUND,
            "No Record found",
            "Records not found",
        );
    }
    let url = format!("{}{}", state.base_url, request_path(&path, def));
    let count = param(&params, "sysparm_no_count") != Some("true");
    let headers = wire::pagination_headers(&url, &params, total, offset, limit, count);
    (headers, axum::Json(json!({ "result": page }))).into_response()
}

fn request_path(path: &HashMap<String, String>, def: &TableDef) -> String {
    match path.get("version") {
        Some(v) => format!("/api/now/{v}/table/{}", def.name),
        None => format!("/api/now/table/{}", def.name),
    }
}

/// `GET` one record.
pub(crate) async fn get_one(
    State(state): State<AppState>,
    Path(path): Path<HashMap<String, String>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (def, _) = match resolve(&path) {
        Ok(x) => x,
        Err(d) => return wire::bad_request(&d),
    };
    let params = params(raw);
    if let Err(d) = check_read(&headers, &params) {
        return wire::bad_request(&d);
    }
    let sys_id = path.get("sys_id").cloned().unwrap_or_default();
    let row = state.db().tables.find(def.name, &sys_id).cloned();
    match row {
        Some(row) => {
            axum::Json(json!({ "result": render_one(&state, def, &row, &params) })).into_response()
        }
        None => wire::not_found(),
    }
}

/// The JSON object of a write's body (the first one of an array).
fn body_object(headers: &HeaderMap, body: &Bytes) -> Result<Record, String> {
    if !sends_json(headers) {
        return Err("Content-Type must be application/json".to_owned());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Array(items)) => match items.into_iter().next() {
            Some(Value::Object(map)) => Ok(map),
            _ => Err("Exception while reading request".to_owned()),
        },
        _ => Err("Exception while reading request".to_owned()),
    }
}

fn write_error(e: WriteError) -> Response {
    match e {
        WriteError::NotFound => wire::not_found(),
        WriteError::Policy(detail) => wire::policy(&detail),
    }
}

/// `POST` a record: 201 + `Location`.
pub(crate) async fn create(
    State(state): State<AppState>,
    Path(path): Path<HashMap<String, String>>,
    RawQuery(raw): RawQuery,
    Extension(Caller(user)): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (def, _) = match resolve(&path) {
        Ok(x) => x,
        Err(d) => return wire::bad_request(&d),
    };
    let params = params(raw);
    let object = match body_object(&headers, &body) {
        Ok(o) => o,
        Err(d) => return wire::bad_request(&d),
    };
    let result = {
        let mut db = state.db();
        let writer = Writer {
            user: &user,
            now: writer_now(db.clock.now()),
        };
        db.tables.insert(def, &object, &writer)
    };
    match result {
        Ok(row) => {
            let location = format!(
                "{}/api/now/table/{}/{}",
                state.base_url,
                def.name,
                super::store::get(&row, "sys_id")
            );
            let mut response = (
                StatusCode::CREATED,
                axum::Json(json!({ "result": render_one(&state, def, &row, &params) })),
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, v);
            }
            response
        }
        Err(e) => write_error(e),
    }
}

/// `PATCH`/`PUT` a record: 200 with the whole record.
pub(crate) async fn update(
    State(state): State<AppState>,
    Path(path): Path<HashMap<String, String>>,
    RawQuery(raw): RawQuery,
    Extension(Caller(user)): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (def, _) = match resolve(&path) {
        Ok(x) => x,
        Err(d) => return wire::bad_request(&d),
    };
    let params = params(raw);
    let object = match body_object(&headers, &body) {
        Ok(o) => o,
        Err(d) => return wire::bad_request(&d),
    };
    let sys_id = path.get("sys_id").cloned().unwrap_or_default();
    let result = {
        let mut db = state.db();
        let writer = Writer {
            user: &user,
            now: writer_now(db.clock.now()),
        };
        db.tables.update(def, &sys_id, &object, &writer)
    };
    match result {
        Ok(row) => {
            axum::Json(json!({ "result": render_one(&state, def, &row, &params) })).into_response()
        }
        Err(e) => write_error(e),
    }
}

/// `DELETE` a record: 204.
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path(path): Path<HashMap<String, String>>,
) -> Response {
    let (def, _) = match resolve(&path) {
        Ok(x) => x,
        Err(d) => return wire::bad_request(&d),
    };
    let sys_id = path.get("sys_id").cloned().unwrap_or_default();
    let result = state.db().tables.delete(def, &sys_id);
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => write_error(e),
    }
}
