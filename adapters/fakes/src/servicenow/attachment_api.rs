//! The Attachment API: `/api/now/[v1/]attachment...`: upload (raw body
//! or multipart), list with `sysparm_query`, metadata, content, rename,
//! delete. The fake allows attachments on closed cases; the portal's rule
//! is the adapter's to enforce.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::auth::Caller;
use super::query::Query;
use super::schema::{self, ATTACHMENT, USER};
use super::store::{Record, Tables, get, new_sys_id, set};
use super::table_api::{param, params};
use super::writes::{WriteError, Writer, writer_now};
use super::{AppState, wire};

/// A file to store on a record.
pub(crate) struct NewFile<'a> {
    /// The parent table.
    pub(crate) table_name: &'a str,
    /// The parent record.
    pub(crate) table_sys_id: &'a str,
    /// The file name.
    pub(crate) file_name: &'a str,
    /// Its media type.
    pub(crate) content_type: &'a str,
    /// The content.
    pub(crate) data: Bytes,
}

impl Tables {
    /// Stores an attachment; `NotFound` when the parent record is missing.
    pub(crate) fn add_attachment(
        &mut self,
        file: NewFile<'_>,
        w: &Writer,
    ) -> Result<Record, WriteError> {
        if self.find(file.table_name, file.table_sys_id).is_none() {
            return Err(WriteError::NotFound);
        }
        let def = schema::table(ATTACHMENT).expect("the attachment table is defined");
        let sys_id = new_sys_id();
        let mut row = Tables::blank(def, &sys_id);
        let size = file.data.len().to_string();
        let hash: String = Sha256::digest(&file.data)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        for (f, v) in [
            ("file_name", file.file_name),
            ("content_type", file.content_type),
            ("size_bytes", &size),
            ("size_compressed", &size),
            ("compressed", "false"),
            ("table_name", file.table_name),
            ("table_sys_id", file.table_sys_id),
            ("hash", &hash),
            ("sys_created_on", &w.now),
            ("sys_updated_on", &w.now),
            ("sys_created_by", w.user),
            ("sys_updated_by", w.user),
        ] {
            set(&mut row, f, v);
        }
        self.push(ATTACHMENT, row.clone());
        self.content.insert(sys_id, file.data);
        Ok(row)
    }

    /// An attachment's metadata as the Attachment API returns it.
    pub(crate) fn attachment_meta(&self, row: &Record, base_url: &str) -> Value {
        let name_of = |user: &str| {
            self.find_by(USER, "user_name", user)
                .map(|u| get(u, "name").to_owned())
                .unwrap_or_default()
        };
        let id = get(row, "sys_id");
        let mut meta = Map::new();
        for field in [
            "sys_id",
            "file_name",
            "content_type",
            "size_bytes",
            "size_compressed",
            "compressed",
            "table_name",
            "table_sys_id",
            "hash",
        ] {
            meta.insert(field.into(), json!(get(row, field)));
        }
        meta.insert(
            "download_link".into(),
            json!(format!("{base_url}/api/now/attachment/{id}/file")),
        );
        for field in [
            "sys_created_on",
            "sys_created_by",
            "sys_updated_on",
            "sys_updated_by",
            "sys_mod_count",
            "sys_tags",
            "image_height",
            "image_width",
            "average_image_color",
        ] {
            meta.insert(field.into(), json!(get(row, field)));
        }
        meta.insert(
            "created_by_name".into(),
            json!(name_of(get(row, "sys_created_by"))),
        );
        meta.insert(
            "updated_by_name".into(),
            json!(name_of(get(row, "sys_updated_by"))),
        );
        Value::Object(meta)
    }
}

fn created(state: &AppState, row: &Record) -> Response {
    let id = get(row, "sys_id");
    let meta = state.db().tables.attachment_meta(row, &state.base_url);
    let mut response = (StatusCode::CREATED, axum::Json(json!({ "result": meta }))).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("{}/api/now/attachment/{id}", state.base_url)) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

fn store(state: &AppState, user: &str, file: NewFile<'_>) -> Response {
    let result = {
        let mut db = state.db();
        let writer = Writer {
            user,
            now: writer_now(db.clock.now()),
        };
        db.tables.add_attachment(file, &writer)
    };
    match result {
        Ok(row) => created(state, &row),
        Err(_) => wire::error(
            StatusCode::NOT_FOUND,
            "Invalid table name or sys_id",
            "Record doesn't exist or ACL restricts the record retrieval",
        ),
    }
}

/// `POST /api/now/attachment/file?table_name=&table_sys_id=&file_name=` with the raw content.
pub(crate) async fn upload_file(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    Extension(Caller(user)): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = params(raw);
    let Some(content_type) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty())
    else {
        return wire::bad_request("Content-Type header is mandatory");
    };
    let (Some(table_name), Some(table_sys_id), Some(file_name)) = (
        param(&params, "table_name").filter(|v| !v.is_empty()),
        param(&params, "table_sys_id").filter(|v| !v.is_empty()),
        param(&params, "file_name").filter(|v| !v.is_empty()),
    ) else {
        return wire::bad_request("table_name, table_sys_id and file_name are mandatory");
    };
    store(
        &state,
        &user,
        NewFile {
            table_name,
            table_sys_id,
            file_name,
            content_type,
            data: body,
        },
    )
}

/// `POST /api/now/attachment/upload` (multipart: table_name, table_sys_id, then the file part).
pub(crate) async fn upload_multipart(
    State(state): State<AppState>,
    Extension(Caller(user)): Extension<Caller>,
    mut multipart: Multipart,
) -> Response {
    let (mut table_name, mut table_sys_id) = (String::new(), String::new());
    let mut file: Option<(String, String, Bytes)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return wire::bad_request("Failed to read the multipart body"),
        };
        let name = field.name().unwrap_or("").to_owned();
        if let Some(file_name) = field.file_name().map(str::to_owned) {
            let content_type = field
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_owned();
            match field.bytes().await {
                Ok(data) => file = Some((file_name, content_type, data)),
                Err(_) => return wire::bad_request("Failed to read the multipart body"),
            }
            continue;
        }
        let text = match field.text().await {
            Ok(t) => t,
            Err(_) => return wire::bad_request("Failed to read the multipart body"),
        };
        match name.as_str() {
            "table_name" => table_name = text,
            "table_sys_id" => table_sys_id = text,
            _ => {}
        }
    }
    let Some((file_name, content_type, data)) = file else {
        return wire::bad_request("No file part in the request");
    };
    if table_name.is_empty() || table_sys_id.is_empty() {
        return wire::bad_request("table_name and table_sys_id are mandatory");
    }
    store(
        &state,
        &user,
        NewFile {
            table_name: &table_name,
            table_sys_id: &table_sys_id,
            file_name: &file_name,
            content_type: &content_type,
            data,
        },
    )
}

/// `GET /api/now/attachment?sysparm_query=...` (limit 1000 by default).
pub(crate) async fn list(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let params = params(raw);
    let parse = |name: &str, default: usize| match param(&params, name) {
        None | Some("") => Some(default),
        Some(v) => v.parse::<usize>().ok(),
    };
    let (Some(limit), Some(offset)) = (parse("sysparm_limit", 1000), parse("sysparm_offset", 0))
    else {
        return wire::bad_request("sysparm_limit and sysparm_offset must be non-negative integers");
    };
    let def = schema::table(ATTACHMENT).expect("the attachment table is defined");
    let query = Query::parse(param(&params, "sysparm_query").unwrap_or(""));
    let (total, page) = {
        let db = state.db();
        let mut rows: Vec<Record> = db
            .tables
            .scan(ATTACHMENT)
            .filter(|r| query.matches(&db.tables, def, r))
            .cloned()
            .collect();
        query.sort(&db.tables, def, &mut rows);
        let page: Vec<Value> = rows
            .iter()
            .skip(offset)
            .take(limit)
            .map(|r| db.tables.attachment_meta(r, &state.base_url))
            .collect();
        (rows.len(), page)
    };
    let url = format!("{}/api/now/attachment", state.base_url);
    let headers = wire::pagination_headers(&url, &params, total, offset, limit, true);
    (headers, axum::Json(json!({ "result": page }))).into_response()
}

fn not_found() -> Response {
    wire::error(
        StatusCode::NOT_FOUND,
        "Record doesn't exist",
        "Record doesn't exist or ACL restricts the record retrieval",
    )
}

/// `GET /api/now/attachment/{sys_id}`.
pub(crate) async fn meta(State(state): State<AppState>, Path(sys_id): Path<String>) -> Response {
    let db = state.db();
    match db.tables.find(ATTACHMENT, &sys_id) {
        Some(row) => {
            axum::Json(json!({ "result": db.tables.attachment_meta(row, &state.base_url) }))
                .into_response()
        }
        None => not_found(),
    }
}

/// `GET /api/now/attachment/{sys_id}/file`: raw bytes and `X-Attachment-Metadata`.
pub(crate) async fn file(State(state): State<AppState>, Path(sys_id): Path<String>) -> Response {
    let found = {
        let db = state.db();
        db.tables.find(ATTACHMENT, &sys_id).map(|row| {
            (
                get(row, "content_type").to_owned(),
                db.tables.attachment_meta(row, &state.base_url).to_string(),
                db.tables.content.get(&sys_id).cloned().unwrap_or_default(),
            )
        })
    };
    let Some((content_type, meta, data)) = found else {
        return not_found();
    };
    let mut response = data.into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&meta) {
        headers.insert("x-attachment-metadata", v);
    }
    response
}

/// `PATCH /api/now/attachment/{sys_id}` with `{"file_name":"new"}`: 204.
pub(crate) async fn rename(
    State(state): State<AppState>,
    Path(sys_id): Path<String>,
    Extension(Caller(user)): Extension<Caller>,
    body: Bytes,
) -> Response {
    let Some(name) = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| {
            v.get("file_name")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .filter(|n| !n.is_empty())
    else {
        return wire::bad_request("file_name is mandatory");
    };
    let mut db = state.db();
    let now = writer_now(db.clock.now());
    let Some(row) = db.tables.find_mut(ATTACHMENT, &sys_id) else {
        return not_found();
    };
    let count = get(row, "sys_mod_count").parse::<u64>().unwrap_or(0) + 1;
    set(row, "file_name", name);
    set(row, "sys_updated_on", now);
    set(row, "sys_updated_by", user);
    set(row, "sys_mod_count", count.to_string());
    StatusCode::NO_CONTENT.into_response()
}

/// `DELETE /api/now/attachment/{sys_id}`: 204.
pub(crate) async fn delete(State(state): State<AppState>, Path(sys_id): Path<String>) -> Response {
    let def = schema::table(ATTACHMENT).expect("the attachment table is defined");
    match state.db().tables.delete(def, &sys_id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(_) => not_found(),
    }
}
