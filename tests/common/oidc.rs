//! A real OpenID Provider for tests: `node tests/oidc/provider.mjs` (the
//! certified `oidc-provider` package) on a loopback port, killed on drop.
//!
//! [`OidcProvider::start`] answers `None` (after printing why) when `node` or
//! `tests/oidc/node_modules` is missing, unless `SWITCHBOARD_REQUIRE_OIDC=1`,
//! which makes that a failure. `npm ci --prefix tests/oidc` installs it.
//! `SWITCHBOARD_OIDC_DEBUG=1` shows the provider's own log.
//!
//! The provider knows these clients (secrets are `<id>-secret`):
//! - the authorization-code client ([`ProviderOptions::client_id`],
//!   `portal` by default), PKCE required, RS256 access tokens;
//! - `integrator` (client credentials, ES256 access tokens, scopes `read write`);
//! - `reporting` (client credentials, ES256, scope `read`);
//! - `opaque-integrator` (client credentials, opaque access tokens);
//! - `gateway` (no grants: it introspects tokens).
//!
//! Users sign in with their id as the login: `bailey` (groups
//! `acct-1234567890-billing`), `morgan` (`acct-1234567890-alternate_authority`,
//! `acct-2345678901-standard`), `olive` (`switchboard-operators`), `pat` (no
//! groups); any other login is a user with no groups. Access tokens carry
//! `sub`, `uid`, `email`, `name`, `groups` and `aud` = [`AUDIENCE`].

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The audience (resource indicator) of the provider's access tokens.
pub const AUDIENCE: &str = "api://switchboard";

/// How to start the provider. Every field is optional.
#[derive(Debug, Clone, Default)]
pub struct ProviderOptions {
    /// The authorization-code client's id (`portal` when unset).
    pub client_id: Option<String>,
    /// Its secret (`portal-secret` when unset; empty: a public client).
    pub client_secret: Option<String>,
    /// Its redirect URIs (`http://127.0.0.1/callback` when empty).
    pub redirect_uris: Vec<String>,
    /// Lifetime of access tokens (300 s when unset).
    pub access_token_ttl_secs: Option<u64>,
    /// `Cache-Control: max-age` on the JWKS (none when unset).
    pub jwks_max_age_secs: Option<u64>,
}

/// A running provider.
pub struct OidcProvider {
    /// The issuer URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub issuer: String,
    /// The authorization-code client's id, secret and first redirect URI.
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    http: reqwest::Client,
    child: Child,
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn harness_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc")
}

fn skip(why: &str) -> Option<OidcProvider> {
    if std::env::var("SWITCHBOARD_REQUIRE_OIDC").as_deref() == Ok("1") {
        panic!("the OpenID Provider is required (SWITCHBOARD_REQUIRE_OIDC=1) but {why}");
    }
    eprintln!("skipping: {why} (run `npm ci --prefix tests/oidc`)");
    None
}

impl OidcProvider {
    /// Starts the provider with default options.
    pub async fn start() -> Option<Self> {
        Self::start_with(ProviderOptions::default()).await
    }

    /// Starts the provider, or `None` when it cannot run here (see the module doc).
    pub async fn start_with(options: ProviderOptions) -> Option<Self> {
        let dir = harness_dir();
        if !dir.join("node_modules/oidc-provider").exists() {
            return skip("tests/oidc/node_modules is missing");
        }
        let mut command = Command::new("node");
        command
            .arg(dir.join("provider.mjs"))
            .args(["--port", "0"])
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(if std::env::var_os("SWITCHBOARD_OIDC_DEBUG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            });
        let client_id = options.client_id.clone().unwrap_or_else(|| "portal".into());
        let client_secret = options
            .client_secret
            .clone()
            .unwrap_or_else(|| "portal-secret".into());
        let redirect_uris = if options.redirect_uris.is_empty() {
            vec!["http://127.0.0.1/callback".to_string()]
        } else {
            options.redirect_uris.clone()
        };
        command
            .env("OIDC_CLIENT_ID", &client_id)
            .env("OIDC_CLIENT_SECRET", &client_secret)
            .env("OIDC_REDIRECT_URIS", redirect_uris.join(","));
        if let Some(ttl) = options.access_token_ttl_secs {
            command.env("OIDC_ACCESS_TOKEN_TTL", ttl.to_string());
        }
        if let Some(age) = options.jwks_max_age_secs {
            command.env("OIDC_JWKS_MAX_AGE", age.to_string());
        }
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return skip("`node` is not installed");
            }
            Err(e) => panic!("cannot start node: {e}"),
        };
        let stdout = child.stdout.take().expect("piped stdout");
        // Read the first line, then keep draining so the provider never
        // writes into a closed pipe.
        let (first, line) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut lines = std::io::BufReader::new(stdout).lines();
            let _ = first.send(lines.next().and_then(Result::ok).unwrap_or_default());
            lines.for_each(drop);
        });
        let line = match tokio::time::timeout(Duration::from_secs(90), line).await {
            Ok(Ok(line)) => line,
            _ => String::new(),
        };
        let Some(issuer) = line.trim().strip_prefix("OIDC_PROVIDER_URL=") else {
            let _ = child.kill();
            panic!("the OpenID Provider did not start (printed {line:?})");
        };
        Some(Self {
            issuer: issuer.to_string(),
            client_id,
            client_secret,
            redirect_uri: redirect_uris[0].clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
            child,
        })
    }

    /// How a gateway trusts this provider, as `[[auth.issuers]]` JSON:
    /// audience [`AUDIENCE`], groups `acct-{account}-{role}`, operators in
    /// `switchboard-operators`, introspection as `gateway` (1 s cache),
    /// refetches at most every 2 s, and the services `integrator` (account
    /// 1234567890, read only) and `opaque-integrator` (2345678901, read and
    /// write). Adjust the JSON, then `serde_json::from_value` it into a
    /// `switchboard::auth::IssuerConfig`.
    pub fn issuer_json(&self) -> Value {
        json!({
            "issuer": self.issuer,
            "audiences": [AUDIENCE],
            "operator_group": "switchboard-operators",
            "jwks_refetch_secs": 2,
            "introspection": {
                "endpoint": format!("{}/token/introspection", self.issuer),
                "client_id": "gateway",
                "client_secret": "gateway-secret",
                "cache_secs": 1,
            },
            "services": [
                { "client_id": "integrator", "name": "Acme Integrations",
                  "accounts": [{ "account": "1234567890", "role": "standard" }], "scopes": ["read"] },
                { "client_id": "opaque-integrator", "name": "Opaque Integrations",
                  "accounts": [{ "account": "2345678901", "role": "standard" }], "scopes": ["read", "write"] },
            ],
        })
    }

    /// [`OidcProvider::issuer_json`] as configuration.
    pub fn issuer_config(&self) -> switchboard::auth::IssuerConfig {
        serde_json::from_value(self.issuer_json()).expect("a valid issuer configuration")
    }

    /// A client-credentials access token for `client_id` (secret `<id>-secret`).
    pub async fn client_credentials(&self, client_id: &str, scope: &str) -> String {
        let body: Value = self
            .http
            .post(format!("{}/token", self.issuer))
            .basic_auth(client_id, Some(format!("{client_id}-secret")))
            .form(&[("grant_type", "client_credentials"), ("scope", scope)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access token: {body}"))
            .to_string()
    }

    /// Signs `login` in at `authorize_url` (an authorization request this
    /// provider serves) through its login and consent pages, as a browser
    /// would, and answers the URL it finally redirects to (the client's
    /// redirect URI with `code` and `state`).
    pub async fn sign_in(&self, authorize_url: &str, login: &str) -> String {
        let mut jar = Jar::default();
        let mut url = authorize_url.to_string();
        let mut form: Option<Vec<(&str, &str)>> = None;
        for _ in 0..12 {
            if !url.starts_with(&self.issuer) {
                return url;
            }
            let request = match form.take() {
                Some(fields) => self.http.post(&url).form(&fields),
                None => self.http.get(&url),
            };
            let response = request.header("cookie", jar.header()).send().await.unwrap();
            jar.take(&response);
            if let Some(location) = response.headers().get("location") {
                url = resolve(&url, location.to_str().unwrap());
                continue;
            }
            let page = response.text().await.unwrap();
            form = Some(if page.contains("name=\"login\"") {
                vec![("prompt", "login"), ("login", login), ("password", "any")]
            } else if page.contains("value=\"consent\"") {
                vec![("prompt", "consent")]
            } else {
                panic!("unexpected page from the provider at {url}: {page}");
            });
        }
        panic!("the sign-in did not finish")
    }

    /// An access token for `login` through the authorization-code flow
    /// with PKCE, driven over HTTP.
    pub async fn user_token(&self, login: &str, scope: &str) -> String {
        let verifier = URL_SAFE_NO_PAD.encode(rand_bytes());
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let query = serde_urlencoded::to_string([
            ("client_id", self.client_id.as_str()),
            ("response_type", "code"),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("scope", scope),
            ("state", "state-1"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .unwrap();
        let back = self
            .sign_in(&format!("{}/auth?{query}", self.issuer), login)
            .await;
        let code = query_param(&back, "code").unwrap_or_else(|| panic!("no code in {back}"));
        let body: Value = self
            .http
            .post(format!("{}/token", self.issuer))
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", self.redirect_uri.as_str()),
                ("code_verifier", verifier.as_str()),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access token: {body}"))
            .to_string()
    }

    /// Revokes a token (as the client it was issued to).
    pub async fn revoke(&self, client_id: &str, token: &str) {
        let status = self
            .http
            .post(format!("{}/token/revocation", self.issuer))
            .basic_auth(client_id, Some(format!("{client_id}-secret")))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success(), "revocation answered {status}");
    }

    /// Makes new RS256 and ES256 keys the signing keys; the old keys stay in
    /// the JWKS unless `drop_old`. Answers the kids now published.
    pub async fn rotate_keys(&self, drop_old: bool) -> Vec<String> {
        let url = format!(
            "{}/test/rotate{}",
            self.issuer,
            if drop_old { "?drop=1" } else { "" }
        );
        let body: Value = self.control(self.http.post(url)).await;
        kids(&body)
    }

    /// How many times the JWKS has been fetched so far.
    pub async fn jwks_fetches(&self) -> u64 {
        let url = format!("{}/test/stats", self.issuer);
        let body: Value = self.control(self.http.get(url)).await;
        body["jwks_fetches"].as_u64().unwrap()
    }

    /// The kids the JWKS publishes, newest first.
    pub async fn kids(&self) -> Vec<String> {
        let url = format!("{}/test/stats", self.issuer);
        kids(&self.control(self.http.get(url)).await)
    }

    /// `payload` signed with the provider's newest `alg` key (`RS256` or
    /// `ES256`); `header` adds or overrides header fields (e.g. `kid`).
    pub async fn sign(&self, alg: &str, header: Value, payload: Value) -> String {
        let url = format!("{}/test/sign", self.issuer);
        let request = self
            .http
            .post(url)
            .json(&json!({ "alg": alg, "header": header, "payload": payload }));
        let body = self.control(request).await;
        body["token"].as_str().unwrap().to_string()
    }

    /// The public JWKS as JSON (for crafting attacks with the public key).
    pub async fn public_jwks(&self) -> Value {
        let url = format!("{}/test/public-jwks", self.issuer);
        self.control(self.http.get(url)).await
    }

    async fn control(&self, request: reqwest::RequestBuilder) -> Value {
        let response = request.send().await.unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        response.json().await.unwrap()
    }
}

fn kids(body: &Value) -> Vec<String> {
    body["kids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect()
}

/// The value of `name` in `url`'s query.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn resolve(base: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        return location.to_string();
    }
    let origin_end = base
        .find("://")
        .and_then(|i| base[i + 3..].find('/').map(|j| i + 3 + j))
        .unwrap_or(base.len());
    format!("{}{location}", &base[..origin_end])
}

fn rand_bytes() -> [u8; 32] {
    use rand::RngExt;
    rand::rng().random()
}

/// Just enough of a cookie jar for one sign-in on one host.
#[derive(Default)]
struct Jar(BTreeMap<String, String>);

impl Jar {
    fn take(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let Some(pair) = value.to_str().ok().and_then(|v| v.split(';').next()) else {
                continue;
            };
            match pair.split_once('=') {
                Some((name, "")) => self.0.remove(name.trim()),
                Some((name, value)) => self.0.insert(name.trim().to_string(), value.to_string()),
                None => None,
            };
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}
