//! Authorized GET downloads: the case list as CSV (every matching row,
//! streamed page by page) and attachment content (streamed chunk by chunk).

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;
use switchboard_core::cases::{Case, CaseFilter, CaseOrder, Catalog};
use switchboard_core::{Error, PageRequest, Scope};

use super::AppState;
use super::graphql_http::{Media, authenticate, error_response};
use crate::graphql::Ports;
use crate::graphql::cases::{CaseFilterInput, CaseOrderInput};
use crate::graphql::errors::{Code, code_of};
use crate::graphql::loaders::{Loaders, distinct_ids};

/// The export's query string: the GraphQL filter and ordering as JSON.
#[derive(Debug, Deserialize)]
pub struct ExportParams {
    filter: Option<String>,
    #[serde(rename = "orderBy")]
    order_by: Option<String>,
}

/// A domain error as a download's JSON error response.
pub(super) fn domain_error(e: &Error) -> Response {
    let status = match e {
        Error::NotFound { .. } => StatusCode::NOT_FOUND,
        Error::InvalidInput { .. } => StatusCode::BAD_REQUEST,
        Error::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::Unsupported { .. } => StatusCode::NOT_IMPLEMENTED,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error_response(Media::Json, status, code_of(e), &e.to_string())
}

/// `GET /exports/cases.csv?filter=…&orderBy=…`
pub async fn cases_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ExportParams>,
) -> Response {
    let caller = match authenticate(&state, &headers, Media::Json).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    let filter: CaseFilterInput = match params
        .filter
        .as_deref()
        .filter(|f| !f.is_empty() && *f != "null")
    {
        None => CaseFilterInput::default(),
        Some(raw) => match serde_json::from_str(raw) {
            Ok(filter) => filter,
            Err(e) => {
                return domain_error(&Error::invalid(
                    "filter",
                    format!("the filter is not valid: {e}"),
                ));
            }
        },
    };
    if let Err(error) = filter.check() {
        return error_response(
            Media::Json,
            StatusCode::BAD_REQUEST,
            Code::BadUserInput,
            &error.message,
        );
    }
    let order: Option<CaseOrderInput> = match params.order_by.as_deref().filter(|o| !o.is_empty()) {
        None => None,
        Some(raw) => match serde_json::from_str(raw) {
            Ok(order) => order,
            Err(e) => {
                return domain_error(&Error::invalid(
                    "orderBy",
                    format!("the ordering is not valid: {e}"),
                ));
            }
        },
    };
    let catalog = match state.ports.cases.catalog().await {
        Ok(catalog) => catalog,
        Err(e) => return domain_error(&e),
    };
    let export = Export {
        ports: state.ports.clone(),
        loaders: Loaders::new(&state.ports, &caller, true),
        scope: caller.scope.clone(),
        filter: filter.to_core(),
        order: CaseOrderInput::to_core(order),
        catalog,
        account_names: caller
            .principal
            .accounts
            .iter()
            .map(|a| (a.id.clone(), a.name.clone()))
            .collect(),
    };
    // Read the first page before answering, so an early failure is a proper error.
    let first = match export.page(None).await {
        Ok(page) => page,
        Err(e) => return domain_error(&e),
    };
    let header_row = Bytes::from(csv_line(&HEADER.map(String::from)));
    let rest = futures::stream::try_unfold((export, Some(first)), |(export, pending)| async move {
        let Some((bytes, next)) = pending else {
            return Ok(None);
        };
        let following = match next {
            Some(cursor) => Some(export.page(Some(cursor)).await?),
            None => None,
        };
        Ok::<_, Error>(Some((bytes, (export, following))))
    });
    let body = futures::stream::once(async move { Ok::<_, Error>(header_row) })
        .chain(rest)
        .map_err(|e| {
            tracing::warn!(error = %e, "the case export stopped early");
            std::io::Error::other(e.to_string())
        });
    let mut response = Body::from_stream(body).into_response();
    as_download(
        &mut response,
        HeaderValue::from_static("text/csv; charset=utf-8"),
        "cases.csv",
    );
    response
}

/// Makes `response` a private download of `file_name`: never cached,
/// never sniffed, and inert should a browser render it anyway (it runs
/// nothing and reaches nothing).
pub(super) fn as_download(response: &mut Response, content_type: HeaderValue, file_name: &str) {
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, content_type);
    h.insert(header::CONTENT_DISPOSITION, content_disposition(file_name));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
}

const HEADER: [&str; 17] = [
    "Number",
    "State",
    "Priority",
    "Title",
    "Case Type",
    "Support Case Type",
    "Category",
    "Account",
    "Account Name",
    "Customer Location ID",
    "Location",
    "Product",
    "Contact",
    "Opened By",
    "Opened",
    "Last Updated",
    "Resolved",
];

struct Export {
    ports: Ports,
    loaders: Loaders,
    scope: Scope,
    filter: CaseFilter,
    order: CaseOrder,
    catalog: std::sync::Arc<Catalog>,
    account_names: HashMap<String, String>,
}

impl Export {
    /// One page as CSV lines, and the cursor of the next page.
    async fn page(&self, after: Option<String>) -> Result<(Bytes, Option<String>), Error> {
        let request = PageRequest {
            first: switchboard_core::page::MAX_PAGE_SIZE,
            after,
        };
        let page = self
            .ports
            .cases
            .list_cases(&self.scope, &self.filter, self.order, &request)
            .await?;
        let next = page
            .has_next_page
            .then(|| page.end_cursor().map(str::to_string))
            .flatten();
        let cases = page.into_items();
        // The export's loaders cache for its whole run, so a location or
        // contact named on many pages is read once.
        let ids = |of: fn(&Case) -> Option<&String>| distinct_ids(&cases, of);
        let loaders = &self.loaders;
        let locations = loaders
            .locations
            .load_many(ids(|c| c.location_id.as_ref()))
            .await?;
        let products = loaders
            .products
            .load_many(ids(|c| c.product_id.as_ref()))
            .await?;
        let contacts = loaders
            .contacts
            .load_many(ids(|c| c.contact_id.as_ref()))
            .await?;
        let mut out = String::new();
        for case in &cases {
            let location = case.location_id.as_ref().and_then(|id| locations.get(id));
            let product = case.product_id.as_ref().and_then(|id| products.get(id));
            let contact = case.contact_id.as_ref().and_then(|id| contacts.get(id));
            let row = [
                case.number.clone(),
                case.state.as_str().to_string(),
                case.priority.label(),
                case.title.clone(),
                self.catalog
                    .case_type(&case.case_type)
                    .map_or(case.case_type.clone(), |t| t.name.clone()),
                self.catalog
                    .support_case_type(&case.support_case_type)
                    .map_or(case.support_case_type.clone(), |t| t.name.clone()),
                self.catalog
                    .category(&case.category)
                    .map_or(case.category.clone(), |c| c.name.clone()),
                case.account_id.clone(),
                self.account_names
                    .get(&case.account_id)
                    .cloned()
                    .unwrap_or_default(),
                location
                    .map(|l| l.customer_location_id.clone())
                    .unwrap_or_default(),
                location.map(|l| l.name.clone()).unwrap_or_default(),
                product.map(|p| p.name.clone()).unwrap_or_default(),
                contact.map(|c| c.name.clone()).unwrap_or_default(),
                case.opened_by.clone(),
                case.opened_at.to_rfc3339(),
                case.updated_at.to_rfc3339(),
                case.resolved_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            ];
            out.push_str(&csv_line(&row));
        }
        Ok((Bytes::from(out), next))
    }
}

fn csv_line<const N: usize>(fields: &[String; N]) -> String {
    let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(fields.iter().map(|f| neutralise_formula(f)));
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Spreadsheets run cells that start with `=`, `+`, `-` or `@` as formulas;
/// customer-typed text must not, so such cells get a leading apostrophe.
fn neutralise_formula(field: &str) -> String {
    match field.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{field}"),
        _ => field.to_string(),
    }
}

/// `GET /attachments/{id}`: the file, as an attachment (never rendered inline).
pub async fn attachment(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let caller = match authenticate(&state, &headers, Media::Json).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    let (meta, stream) = match state
        .ports
        .cases
        .attachment_content(&caller.scope, &id)
        .await
    {
        Ok(found) => found,
        Err(e) => return domain_error(&e),
    };
    let body = Body::from_stream(stream.map_err(|e| std::io::Error::other(e.to_string())));
    let mut response = body.into_response();
    as_download(
        &mut response,
        served_content_type(&meta.content_type),
        &meta.file_name,
    );
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(meta.size_bytes));
    response
}

/// Media types served as uploaded: documents and images that a browser
/// cannot run. Anything else (HTML, SVG, scripts) is served as opaque bytes,
/// so an uploaded file can never act on the gateway's origin.
const INERT_TYPES: &[&str] = &[
    "application/pdf",
    "application/zip",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/plain",
    "text/csv",
    "message/rfc822",
];

fn served_content_type(stored: &str) -> HeaderValue {
    let essence = stored
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match INERT_TYPES.iter().find(|t| **t == essence) {
        Some(t) => HeaderValue::from_static(t),
        None => HeaderValue::from_static("application/octet-stream"),
    }
}

fn content_disposition(file_name: &str) -> HeaderValue {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_cannot_be_formulas() {
        assert_eq!(
            neutralise_formula("=HYPERLINK(\"x\")"),
            "'=HYPERLINK(\"x\")"
        );
        assert_eq!(neutralise_formula("plain"), "plain");
        assert_eq!(
            csv_line(&["a,b".to_string(), "c".to_string()]),
            "\"a,b\",c\n"
        );
    }

    #[test]
    fn only_inert_types_are_served_as_uploaded() {
        assert_eq!(served_content_type("application/PDF"), "application/pdf");
        assert_eq!(
            served_content_type("text/plain; charset=utf-8"),
            "text/plain"
        );
        for risky in [
            "text/html",
            "image/svg+xml",
            "application/javascript",
            "",
            "nonsense",
        ] {
            assert_eq!(
                served_content_type(risky),
                "application/octet-stream",
                "{risky}"
            );
        }
    }

    #[test]
    fn file_names_are_safe_in_headers() {
        let v = content_disposition("r\u{e9}sum\u{e9} \"x\".pdf");
        let s = v.to_str().unwrap();
        assert!(
            s.starts_with("attachment; filename=\"r_sum_ _x_.pdf\""),
            "{s}"
        );
        assert!(
            s.contains("filename*=UTF-8''r%C3%A9sum%C3%A9%20%22x%22.pdf"),
            "{s}"
        );
    }
}
