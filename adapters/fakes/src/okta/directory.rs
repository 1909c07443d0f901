//! The data a [`super::FakeOkta`] serves: users (profile, status,
//! password), groups and memberships, enrolled factors, and the rate limit.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use switchboard_core::Role;
use switchboard_core::demo::{DEMO_OPERATORS, DEMO_PASSWORD, DEMO_USERS};

/// The group operators of the demo directory belong to.
pub const DEMO_OPERATOR_GROUP: &str = "switchboard-operators";

/// The profile attribute of the demo users holding `ACCOUNT:ROLE` values.
pub const DEMO_ENTITLEMENTS_ATTRIBUTE: &str = "switchboardEntitlements";

/// A user as the fake stores it.
#[derive(Debug, Clone)]
pub(crate) struct FakeUser {
    pub id: String,
    pub status: String,
    pub profile: Map<String, Value>,
    pub password: String,
    pub created: DateTime<Utc>,
    pub status_changed: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    pub password_changed: DateTime<Utc>,
}

impl FakeUser {
    /// The login (`profile.login`).
    pub fn login(&self) -> &str {
        self.profile
            .get("login")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

/// A group as the fake stores it.
#[derive(Debug, Clone)]
pub(crate) struct FakeGroup {
    pub id: String,
    pub name: String,
    pub created: DateTime<Utc>,
}

/// An enrolled factor as the fake stores it.
#[derive(Debug, Clone)]
pub(crate) struct FakeFactor {
    pub id: String,
    pub user_id: String,
    pub factor_type: String,
    pub provider: String,
    pub status: String,
    pub profile: Value,
    pub created: DateTime<Utc>,
}

impl FakeFactor {
    /// Whether this is one of Okta Verify's factors (push, code, FastPass),
    /// which Okta resets together.
    pub fn is_okta_verify(&self) -> bool {
        self.provider == "OKTA"
            && matches!(
                self.factor_type.as_str(),
                "push" | "token:software:totp" | "signed_nonce"
            )
    }
}

/// Users, groups, memberships and factors for a [`super::FakeOkta`], built
/// with the methods below or taken from [`OktaDirectory::demo`].
#[derive(Debug, Clone)]
pub struct OktaDirectory {
    pub(crate) users: Vec<FakeUser>,
    pub(crate) groups: Vec<FakeGroup>,
    /// (group id, user id).
    pub(crate) memberships: Vec<(String, String)>,
    pub(crate) factors: Vec<FakeFactor>,
    /// Requests allowed per window, and the window in seconds.
    pub(crate) rate_limit: (u32, u64),
    serial: u64,
}

impl Default for OktaDirectory {
    fn default() -> Self {
        Self::new()
    }
}

/// The demo dataset's "now".
fn anchor() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_else(Utc::now)
}

/// An Okta-looking id (`00u…`, 20 characters), deterministic per `n`.
fn okta_id(prefix: &str, n: u64) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let digest = Sha256::digest(format!("{prefix}:{n}").as_bytes());
    let tail: String = digest
        .iter()
        .take(20 - prefix.len())
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    format!("{prefix}{tail}")
}

impl OktaDirectory {
    /// An empty directory with Okta's usual rate limit (600 requests a minute).
    pub fn new() -> Self {
        Self {
            users: Vec::new(),
            groups: Vec::new(),
            memberships: Vec::new(),
            factors: Vec::new(),
            rate_limit: (600, 60),
            serial: 0,
        }
    }

    fn next_id(&mut self, prefix: &str) -> String {
        self.serial += 1;
        okta_id(prefix, self.serial)
    }

    /// Allows `limit` requests per window of `window_secs` seconds (windows
    /// aligned on the epoch, like Okta's per-minute buckets); the next one
    /// is answered 429 E0000047 until the window ends.
    pub fn with_rate_limit(mut self, limit: u32, window_secs: u64) -> Self {
        self.rate_limit = (limit, window_secs.max(1));
        self
    }

    /// Adds an ACTIVE user and returns their id.
    pub fn add_user(&mut self, login: &str, first: &str, last: &str, password: &str) -> String {
        let id = self.next_id("00u");
        let created = anchor() - Duration::days(365);
        let mut profile = Map::new();
        profile.insert("login".into(), json!(login));
        profile.insert("email".into(), json!(login));
        profile.insert("firstName".into(), json!(first));
        profile.insert("lastName".into(), json!(last));
        profile.insert("mobilePhone".into(), Value::Null);
        profile.insert("secondEmail".into(), Value::Null);
        self.users.push(FakeUser {
            id: id.clone(),
            status: "ACTIVE".into(),
            profile,
            password: password.into(),
            created,
            status_changed: created,
            last_updated: created,
            password_changed: anchor() - Duration::days(30),
        });
        id
    }

    /// Sets a profile attribute of a user (e.g. a custom array attribute).
    pub fn set_profile(&mut self, user_id: &str, attribute: &str, value: Value) {
        if let Some(user) = self.users.iter_mut().find(|u| u.id == user_id) {
            user.profile.insert(attribute.into(), value);
        }
    }

    /// The id of the group named `name`, created when missing.
    pub fn group(&mut self, name: &str) -> String {
        if let Some(g) = self.groups.iter().find(|g| g.name == name) {
            return g.id.clone();
        }
        let id = self.next_id("00g");
        self.groups.push(FakeGroup {
            id: id.clone(),
            name: name.into(),
            created: anchor() - Duration::days(400),
        });
        id
    }

    /// Puts a user in the group named `group` (created when missing).
    pub fn add_member(&mut self, group: &str, user_id: &str) {
        let group_id = self.group(group);
        let pair = (group_id, user_id.to_string());
        if !self.memberships.contains(&pair) {
            self.memberships.push(pair);
        }
    }

    /// Takes a user out of the group named `group`.
    pub fn remove_member(&mut self, group: &str, user_id: &str) {
        let Some(group_id) = self
            .groups
            .iter()
            .find(|g| g.name == group)
            .map(|g| g.id.clone())
        else {
            return;
        };
        self.memberships
            .retain(|(g, u)| !(*g == group_id && u == user_id));
    }

    /// Enrols an ACTIVE factor `days_ago` days before the dataset's anchor
    /// and returns its id.
    pub fn add_factor(
        &mut self,
        user_id: &str,
        factor_type: &str,
        provider: &str,
        profile: Value,
        days_ago: i64,
    ) -> String {
        let id = self.next_id(match factor_type {
            "push" => "opf",
            "sms" => "mbl",
            "token:software:totp" => "ost",
            "email" => "emf",
            "webauthn" => "fwf",
            _ => "ufs",
        });
        self.factors.push(FakeFactor {
            id: id.clone(),
            user_id: user_id.into(),
            factor_type: factor_type.into(),
            provider: provider.into(),
            status: "ACTIVE".into(),
            profile,
            created: anchor() - Duration::days(days_ago),
        });
        id
    }

    /// The id of the user with this login (case-insensitive).
    pub fn user_id(&self, login: &str) -> Option<String> {
        self.users
            .iter()
            .find(|u| u.login().eq_ignore_ascii_case(login))
            .map(|u| u.id.clone())
    }

    /// The demo users of `switchboard_core::demo::DEMO_USERS` and the
    /// operators of `DEMO_OPERATORS`, all with password
    /// `DEMO_PASSWORD`; a group
    /// `acct-{account}-{role}` (role in lowercase, e.g. `primary_authority`,
    /// as the gateway's group mapping reads it) per entitlement, the same
    /// entitlements as `ACCOUNT:ROLE` values of the profile attribute
    /// [`DEMO_ENTITLEMENTS_ATTRIBUTE`] (empty for operators), operators in
    /// [`DEMO_OPERATOR_GROUP`], and factors like the SQL demo's,
    /// with Pat's Okta Verify complete (push, code and FastPass).
    pub fn demo() -> Self {
        let mut d = Self::new();
        d.group("Everyone");
        for user in DEMO_USERS {
            let (first, last) = user.name.split_once(' ').unwrap_or((user.name, ""));
            let id = d.add_user(user.email, first, last, DEMO_PASSWORD);
            d.add_member("Everyone", &id);
            let mut values = Vec::new();
            for (account, role) in user.entitlements {
                d.add_member(&group_name(account, *role), &id);
                values.push(json!(format!("{account}:{}", role.as_str())));
            }
            d.set_profile(&id, DEMO_ENTITLEMENTS_ATTRIBUTE, Value::Array(values));
        }
        for (email, name) in DEMO_OPERATORS {
            let (first, last) = name.split_once(' ').unwrap_or((name, ""));
            let id = d.add_user(email, first, last, DEMO_PASSWORD);
            d.add_member("Everyone", &id);
            d.add_member(DEMO_OPERATOR_GROUP, &id);
            d.set_profile(&id, DEMO_ENTITLEMENTS_ATTRIBUTE, json!([]));
        }
        d.demo_factors();
        d
    }

    fn demo_factors(&mut self) {
        let device = |login: &str, name: &str, platform: &str| {
            json!({"credentialId": login, "deviceType": "SmartPhone_IPhone", "name": name,
                   "platform": platform, "version": "17.2"})
        };
        let plan: [(&str, &str, &str, Value, i64); 13] = [
            (
                "pat.primary@harborfreight.example",
                "token:software:totp",
                "GOOGLE",
                json!({"credentialId": "pat.primary@harborfreight.example"}),
                400,
            ),
            (
                "pat.primary@harborfreight.example",
                "push",
                "OKTA",
                device("pat.primary@harborfreight.example", "Pat's iPhone", "IOS"),
                300,
            ),
            (
                "pat.primary@harborfreight.example",
                "token:software:totp",
                "OKTA",
                json!({"credentialId": "pat.primary@harborfreight.example"}),
                300,
            ),
            (
                "pat.primary@harborfreight.example",
                "signed_nonce",
                "OKTA",
                json!({"credentialId": "pat.primary@harborfreight.example", "name": "Pat's iPhone"}),
                300,
            ),
            (
                "pat.primary@harborfreight.example",
                "sms",
                "OKTA",
                json!({"phoneNumber": "+1-555-415-1337"}),
                200,
            ),
            (
                "alex.alternate@harborfreight.example",
                "push",
                "OKTA",
                device(
                    "alex.alternate@harborfreight.example",
                    "Alex's Pixel",
                    "ANDROID",
                ),
                250,
            ),
            (
                "alex.alternate@harborfreight.example",
                "token:software:totp",
                "OKTA",
                json!({"credentialId": "alex.alternate@harborfreight.example"}),
                250,
            ),
            (
                "bailey.billing@harborfreight.example",
                "sms",
                "OKTA",
                json!({"phoneNumber": "+1-555-415-4410"}),
                180,
            ),
            (
                "sam.standard@harborfreight.example",
                "token:software:totp",
                "GOOGLE",
                json!({"credentialId": "sam.standard@harborfreight.example"}),
                120,
            ),
            (
                "dana.primary@disneysprings.example",
                "push",
                "OKTA",
                device("dana.primary@disneysprings.example", "Dana's iPad", "IOS"),
                90,
            ),
            (
                "dana.primary@disneysprings.example",
                "email",
                "OKTA",
                json!({"email": "dana.primary@disneysprings.example"}),
                60,
            ),
            (
                "riley.standard@disneysprings.example",
                "sms",
                "OKTA",
                json!({"phoneNumber": "+1-555-415-2288"}),
                45,
            ),
            (
                "morgan.multi@partner.example",
                "webauthn",
                "FIDO",
                json!({"credentialId": "l3Br0n-7H3c2qGg", "authenticatorName": "YubiKey 5C"}),
                30,
            ),
        ];
        for (login, factor_type, provider, profile, days) in plan {
            if let Some(user) = self.user_id(login) {
                self.add_factor(&user, factor_type, provider, profile, days);
            }
        }
    }
}

/// The demo group of an entitlement: `acct-{account}-{role}`, role in lowercase.
pub fn group_name(account: &str, role: Role) -> String {
    format!("acct-{account}-{}", role.as_str().to_ascii_lowercase())
}
