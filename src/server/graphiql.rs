//! GraphiQL, served with every file it needs from the gateway itself (it
//! works on a closed network) under a Content-Security-Policy that lets the
//! page load nothing from another origin.
//!
//! GraphiQL's and React's browser files come from their npm packages,
//! installed by `npm ci` in `web/graphiql`. When they are there at build
//! time they are built into the binary (see `build.rs`), so a copied binary
//! serves GraphiQL from any folder; otherwise, or when
//! `server.graphiql_assets` names a `node_modules` folder, they are read
//! once at start-up. They are served under URLs that carry a digest of
//! their content, so browsers may cache them for good. The page's own
//! script and style are ours, below.

use std::path::Path;

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256, Sha384};

use super::AppState;
use super::pages;
use super::session::DemoUser;
use crate::config::Access;

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The npm packages' files the page loads: URL name, path under
/// `node_modules`, content type. Scripts load in this order.
const PACKAGE_FILES: [(&str, &str, &str); 4] = [
    ("graphiql.min.css", "graphiql/graphiql.min.css", CSS),
    (
        "react.production.min.js",
        "react/umd/react.production.min.js",
        JS,
    ),
    (
        "react-dom.production.min.js",
        "react-dom/umd/react-dom.production.min.js",
        JS,
    ),
    ("graphiql.min.js", "graphiql/graphiql.min.js", JS),
];

/// The page's own script: renders GraphiQL against `/graphql`. Without a
/// session it offers the header editor for a bearer token; with one, the
/// browser's session cookie authenticates (same-origin requests only).
const BOOT_JS: &str = r#""use strict";
(function () {
  var root = document.getElementById("graphiql");
  var signedIn = root.getAttribute("data-session") === "cookie";
  var url = new URL("/graphql", window.location.href).toString();
  var fetcher = GraphiQL.createFetcher({ url: url, subscriptionUrl: url.replace(/^http/, "ws") });
  var props = { fetcher: fetcher, headerEditorEnabled: true, shouldPersistHeaders: false };
  if (!signedIn) {
    props.defaultHeaders = '{"Authorization": "Bearer PASTE_TOKEN_HERE"}';
  }
  ReactDOM.createRoot(root).render(React.createElement(GraphiQL, props));
})();
"#;

/// The page's own style.
const BOOT_CSS: &str = "html, body { margin: 0; height: 100%; }
body { display: flex; flex-direction: column; font-family: system-ui, sans-serif; }
header { display: flex; gap: 1em; align-items: center; justify-content: flex-end; padding: 0.25em 1em; font-size: 0.9em; }
header form { margin: 0; }
#graphiql { flex: 1; min-height: 0; }
";

/// One file the page loads.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    /// The first 16 hex digits of the content's SHA-256 (part of the URL).
    digest: String,
    /// `sha384-…`, for the page's `integrity` attributes.
    integrity: String,
    body: Bytes,
}

impl Asset {
    fn new(name: &'static str, content_type: &'static str, body: Bytes) -> Self {
        let sha256 = Sha256::digest(&body);
        let digest = sha256[..8].iter().map(|b| format!("{b:02x}")).collect();
        let sha384 = base64::engine::general_purpose::STANDARD.encode(Sha384::digest(&body));
        Self {
            name,
            content_type,
            digest,
            integrity: format!("sha384-{sha384}"),
            body,
        }
    }

    fn url(&self) -> String {
        format!("/graphiql/assets/{}/{}", self.digest, self.name)
    }

    fn tag(&self) -> String {
        let (url, integrity) = (self.url(), &self.integrity);
        if self.content_type == CSS {
            format!(r#"<link rel="stylesheet" href="{url}" integrity="{integrity}">"#)
        } else {
            // Deferred: scripts run in order once the page is parsed, so
            // the element GraphiQL mounts on exists by then.
            format!(r#"<script defer src="{url}" integrity="{integrity}"></script>"#)
        }
    }
}

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/graphiql_assets.rs"));
}

/// Whether GraphiQL's files were built into this binary.
pub fn embedded() -> bool {
    embedded::EMBEDDED.is_some()
}

/// Where GraphiQL's files are read from when none are configured or
/// embedded (relative to the working directory).
const DEFAULT_NODE_MODULES: &str = "web/graphiql/node_modules";

/// GraphiQL's files, or why they are missing.
pub struct Assets {
    files: Result<Vec<Asset>, String>,
}

impl Assets {
    /// The packages' files (and our own): from `node_modules` when one is
    /// configured, else those built into the binary, else read from
    /// `web/graphiql/node_modules`.
    pub fn load(node_modules: Option<&Path>) -> Self {
        match (node_modules, embedded::EMBEDDED) {
            (None, Some(files)) => Self::from(PACKAGE_FILES.iter().map(|(name, path, ct)| {
                let body = files
                    .iter()
                    .find(|(embedded, _)| embedded == path)
                    .map(|(_, body)| Bytes::from_static(body))
                    .ok_or_else(|| format!("{path} was not embedded"))?;
                Ok(Asset::new(name, ct, body))
            })),
            (folder, _) => {
                let folder = folder.unwrap_or(Path::new(DEFAULT_NODE_MODULES));
                Self::from(PACKAGE_FILES.iter().map(|(name, path, content_type)| {
                    let path = folder.join(path);
                    std::fs::read(&path)
                        .map(|body| Asset::new(name, content_type, Bytes::from(body)))
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))
                }))
            }
        }
    }

    fn from(packages: impl Iterator<Item = Result<Asset, String>>) -> Self {
        let files = packages.collect::<Result<Vec<_>, _>>().map(|mut files| {
            files.push(Asset::new("switchboard-graphiql.css", CSS, BOOT_CSS.into()));
            files.push(Asset::new("switchboard-graphiql.js", JS, BOOT_JS.into()));
            files
        });
        if let Err(why) = &files {
            tracing::warn!(%why, "GraphiQL's files are missing; run `npm ci` in web/graphiql");
        }
        Self { files }
    }

    fn find(&self, digest: &str, name: &str) -> Option<&Asset> {
        self.files
            .as_ref()
            .ok()?
            .iter()
            .find(|a| a.digest == digest && a.name == name)
    }
}

/// `GET /graphiql`: the page, for whoever `server.graphiql` admits.
pub async fn page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = state
        .sessions
        .caller(&state.callers, &headers)
        .await
        .unwrap_or_default();
    let access = state.config.graphiql_access();
    let operator = session.as_ref().is_some_and(|c| c.principal.operator);
    if access == Access::Operators && !operator {
        return if state.sessions.login_enabled() {
            pages::redirect("/graphiql/login")
        } else {
            pages::html_page(
                StatusCode::FORBIDDEN,
                "GraphiQL is for operators",
                "<p>Operators sign in through the configured OpenID Provider, but \
                 <code>[operator_login]</code> is not configured on this gateway.</p>",
            )
        };
    }
    let files = match &state.graphiql.files {
        Ok(files) => files,
        Err(_) => {
            return pages::html_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "GraphiQL is not installed",
                "<p>GraphiQL's files are missing on this gateway. Run <code>npm ci</code> in \
                 <code>web/graphiql</code> and build again (the build embeds them), or set \
                 <code>server.graphiql_assets</code> to the folder holding its \
                 <code>node_modules</code>, then restart.</p>",
            );
        }
    };
    let bar = match &session {
        Some(caller) => Bar::SignedIn(&caller.actor.email),
        None if !state.sessions.demo_users().is_empty() => {
            Bar::SignInAs(state.sessions.demo_users())
        }
        None => Bar::Nothing,
    };
    let html = render(files, &bar);
    with_policy(&state, (StatusCode::OK, html).into_response())
}

/// What the bar above GraphiQL offers.
enum Bar<'a> {
    /// The session's user, and signing out.
    SignedIn(&'a str),
    /// "Sign in as" one of the demo users.
    SignInAs(&'a [DemoUser]),
    /// No bar: paste a token.
    Nothing,
}

impl Bar<'_> {
    fn html(&self) -> String {
        match self {
            Bar::SignedIn(email) => format!(
                "<header><span>Signed in as {}</span><form method=\"post\" \
                 action=\"/graphiql/logout\"><button type=\"submit\">Sign out</button></form>\
                 </header>",
                pages::escape(email)
            ),
            Bar::SignInAs(users) => {
                let options: String = users
                    .iter()
                    .map(|u| {
                        format!(
                            "<option value=\"{}\">{}</option>",
                            pages::escape(&u.email),
                            pages::escape(&u.label)
                        )
                    })
                    .collect();
                format!(
                    "<header><span>Development: no token needed.</span><form class=\"sign-in-as\" \
                     method=\"post\" action=\"/graphiql/sign-in-as\"><label>Sign in as \
                     <select name=\"email\">{options}</select></label> <button \
                     type=\"submit\">Sign in</button></form></header>"
                )
            }
            Bar::Nothing => String::new(),
        }
    }
}

/// The page: our style and the packages' files, then our script.
fn render(files: &[Asset], bar: &Bar<'_>) -> String {
    let tags: Vec<String> = files.iter().map(Asset::tag).collect();
    let session = if matches!(bar, Bar::SignedIn(_)) {
        "cookie"
    } else {
        "none"
    };
    let bar = bar.html();
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>switchboard GraphiQL</title>\n{}\n</head>\n<body>\n{bar}\n\
         <div id=\"graphiql\" data-session=\"{session}\">Loading GraphiQL… Without a session, \
         paste a token from <code>switchboard token EMAIL</code> into the Headers tab as \
         <code>{{\"Authorization\": \"Bearer …\"}}</code>.</div>\n</body>\n</html>\n",
        tags.join("\n"),
    )
}

/// `GET /graphiql/assets/{digest}/{name}`: one of the page's files.
pub async fn asset(
    State(state): State<AppState>,
    UrlPath((digest, name)): UrlPath<(String, String)>,
) -> Response {
    let Some(asset) = state.graphiql.find(&digest, &name) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let mut response = asset.body.clone().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Adds the page's security headers: scripts, styles and connections only
/// to this origin (and its WebSocket twin), no framing, no caching.
pub(super) fn with_policy(state: &AppState, mut response: Response) -> Response {
    let policy = content_security_policy(&state.config.public_url());
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        // Not `no-referrer`: browsers then send `Origin: null` on the
        // page's own form posts, which the sign-in forms check.
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// The policy: `'self'` for everything the page needs, `data:` for the
/// fonts and icons GraphiQL's stylesheet embeds, and the gateway's own
/// WebSocket URL (older browsers do not count `ws:` as `'self'`).
fn content_security_policy(public_url: &str) -> String {
    let socket = public_url
        .replacen("https://", "wss://", 1)
        .replacen("http://", "ws://", 1);
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self' data:; \
         img-src 'self' data:; connect-src 'self' {socket}; form-action 'self'; \
         base-uri 'none'; frame-ancestors 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_admits_only_this_origin() {
        let policy = content_security_policy("https://gw.example");
        assert!(policy.contains("script-src 'self';"), "{policy}");
        assert!(
            policy.contains("connect-src 'self' wss://gw.example;"),
            "{policy}"
        );
        assert!(!policy.contains("unsafe"), "{policy}");
    }

    #[test]
    fn missing_packages_are_reported() {
        let assets = Assets::load(Some(Path::new("/nonexistent/node_modules")));
        assert!(assets.files.is_err());
        assert!(assets.find("0", "graphiql.min.js").is_none());
    }

    #[test]
    fn urls_carry_the_content_digest() {
        let a = Asset::new("a.js", JS, Bytes::from_static(b"one"));
        let b = Asset::new("a.js", JS, Bytes::from_static(b"two"));
        assert_ne!(a.url(), b.url());
        assert!(a.tag().contains("integrity=\"sha384-"));
    }
}
