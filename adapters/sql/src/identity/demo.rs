//! The demo dataset's identity data: every user's password
//! ([`super::DEMO_PASSWORD`], hashed once and shared), enrolled factors for
//! the README's demo users, and a team for every account. Deterministic for
//! a seed and anchor time.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString};
use chrono::{Duration, NaiveDateTime};
use switchboard_core::identity::{FactorKind, FactorProvider, FactorStatus, TeamRole, UserStatus};
use switchboard_core::{Error, Result};

use super::DEMO_PASSWORD;

/// A factor to enrol: (login, provider, kind, detail, days before the anchor).
type FactorPlan = (
    &'static str,
    FactorProvider,
    FactorKind,
    Option<&'static str>,
    i64,
);

/// Factors of the README's demo users.
const DEMO_FACTORS: &[FactorPlan] = &[
    (
        "pat.primary@harborfreight.example",
        FactorProvider::Google,
        FactorKind::TokenSoftwareTotp,
        None,
        400,
    ),
    (
        "pat.primary@harborfreight.example",
        FactorProvider::Okta,
        FactorKind::Push,
        Some("Pat's iPhone"),
        300,
    ),
    (
        "pat.primary@harborfreight.example",
        FactorProvider::Okta,
        FactorKind::TokenSoftwareTotp,
        Some("Pat's iPhone"),
        300,
    ),
    (
        "pat.primary@harborfreight.example",
        FactorProvider::Okta,
        FactorKind::Sms,
        Some("+1 XXX-XXX-1337"),
        200,
    ),
    (
        "alex.alternate@harborfreight.example",
        FactorProvider::Okta,
        FactorKind::Push,
        Some("Alex's Pixel"),
        250,
    ),
    (
        "alex.alternate@harborfreight.example",
        FactorProvider::Okta,
        FactorKind::TokenSoftwareTotp,
        Some("Alex's Pixel"),
        250,
    ),
    (
        "bailey.billing@harborfreight.example",
        FactorProvider::Okta,
        FactorKind::Sms,
        Some("+1 XXX-XXX-4410"),
        180,
    ),
    (
        "sam.standard@harborfreight.example",
        FactorProvider::Google,
        FactorKind::TokenSoftwareTotp,
        None,
        120,
    ),
    (
        "dana.primary@disneysprings.example",
        FactorProvider::Okta,
        FactorKind::Push,
        Some("Dana's iPad"),
        90,
    ),
    (
        "dana.primary@disneysprings.example",
        FactorProvider::Okta,
        FactorKind::Email,
        None,
        60,
    ),
    (
        "riley.standard@disneysprings.example",
        FactorProvider::Okta,
        FactorKind::Sms,
        Some("+1 XXX-XXX-2288"),
        45,
    ),
    (
        "morgan.multi@partner.example",
        FactorProvider::Fido,
        FactorKind::Webauthn,
        Some("YubiKey 5C"),
        30,
    ),
];

/// The provider's people, cycled over the accounts.
const TEAM_PEOPLE: &[(TeamRole, &str)] = &[
    (TeamRole::AccountManager, "Avery Brooks"),
    (TeamRole::AccountManager, "Jordan Ellis"),
    (TeamRole::AccountManager, "Casey Moreno"),
    (TeamRole::SalesEngineer, "Quinn Harper"),
    (TeamRole::SalesEngineer, "Reese Tanaka"),
    (TeamRole::CustomerSuccess, "Skyler Owens"),
    (TeamRole::Support, "Robin Alvarez"),
    (TeamRole::Support, "Chris Delgado"),
    (TeamRole::Support, "Lee Whitfield"),
];

/// One team member's row: (account, position, role, name, email, phone).
pub(crate) type TeamRow = (String, i32, String, String, String, Option<String>);

/// One factor's row: (user, kind, provider, status, detail, enrolled at).
pub(crate) type FactorRow = (i64, String, String, String, Option<String>, NaiveDateTime);

/// Identity rows to write with the rest of the demo dataset.
#[derive(Debug, Clone, Default)]
pub struct DemoIdentity {
    /// (user id, password hash, status, changed at).
    pub(crate) credentials: Vec<(i64, String, String, NaiveDateTime)>,
    pub(crate) factors: Vec<FactorRow>,
    pub(crate) team: Vec<TeamRow>,
}

/// The demo password hashed once, with a salt derived from the seed.
fn shared_hash(seed: u64) -> Result<String> {
    let mut salt = [0u8; 16];
    salt[..8].copy_from_slice(&seed.to_le_bytes());
    salt[8..].copy_from_slice(b"demosalt");
    let salt = SaltString::encode_b64(&salt).map_err(|_| Error::Internal)?;
    Argon2::default()
        .hash_password(DEMO_PASSWORD.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| Error::Internal)
}

fn email_of(name: &str) -> String {
    format!("{}@tpx.example", name.to_lowercase().replace(' ', "."))
}

/// The team of the account at `index`: an account manager, a sales
/// engineer, a customer success manager and two support contacts.
fn team_of(index: usize, account: &str) -> Vec<TeamRow> {
    let by_role = |role: TeamRole| -> Vec<&str> {
        TEAM_PEOPLE
            .iter()
            .filter(|(r, _)| *r == role)
            .map(|(_, n)| *n)
            .collect()
    };
    let pick = |role: TeamRole, offset: usize| {
        let people = by_role(role);
        people[(index + offset) % people.len()]
    };
    let members = [
        (TeamRole::AccountManager, pick(TeamRole::AccountManager, 0)),
        (TeamRole::SalesEngineer, pick(TeamRole::SalesEngineer, 0)),
        (
            TeamRole::CustomerSuccess,
            pick(TeamRole::CustomerSuccess, 0),
        ),
        (TeamRole::Support, pick(TeamRole::Support, 0)),
        (TeamRole::Support, pick(TeamRole::Support, 1)),
    ];
    members
        .into_iter()
        .enumerate()
        .map(|(position, (role, name))| {
            let phone = (role != TeamRole::CustomerSuccess)
                .then(|| format!("(888) 932-{:04}", 1000 + index * 10 + position));
            (
                account.to_string(),
                position as i32,
                role.as_str().to_string(),
                name.to_string(),
                email_of(name),
                phone,
            )
        })
        .collect()
}

/// Builds the identity rows for `users` (id, email, name) and `accounts`.
pub fn generate(
    users: &[(i64, String, String)],
    accounts: &[String],
    anchor: NaiveDateTime,
    seed: u64,
) -> Result<DemoIdentity> {
    let hash = shared_hash(seed)?;
    let active = UserStatus::Active.as_str().to_string();
    let credentials = users
        .iter()
        .map(|(id, _, _)| {
            (
                *id,
                hash.clone(),
                active.clone(),
                anchor - Duration::days(30),
            )
        })
        .collect();
    let factors = DEMO_FACTORS
        .iter()
        .filter_map(|(login, provider, kind, detail, days)| {
            let (id, _, _) = users.iter().find(|(_, email, _)| email == login)?;
            Some((
                *id,
                kind.as_str().to_string(),
                provider.as_str().to_string(),
                FactorStatus::Active.as_str().to_string(),
                detail.map(str::to_string),
                anchor - Duration::days(*days),
            ))
        })
        .collect();
    let team = accounts
        .iter()
        .enumerate()
        .flat_map(|(i, account)| team_of(i, account))
        .collect();
    Ok(DemoIdentity {
        credentials,
        factors,
        team,
    })
}

/// Writes [`DemoIdentity`] on a connection, blocking or async: pass
/// `await` as the last argument for an async connection.
#[macro_export]
#[doc(hidden)]
macro_rules! write_demo_identity {
    ($conn:ident, $d:expr $(, $aw:tt)?) => {{
        use $crate::schema::{account_team, user_credentials, user_factors};
        for (user, hash, status, at) in &$d.credentials {
            let written = diesel::insert_into(user_credentials::table)
                .values((
                    user_credentials::user_id.eq(user),
                    user_credentials::password_hash.eq(hash),
                    user_credentials::status.eq(status),
                    user_credentials::password_changed_at.eq(at),
                ))
                .execute($conn)$(.$aw)?;
            written?;
        }
        for (user, kind, provider, status, detail, at) in &$d.factors {
            let written = diesel::insert_into(user_factors::table)
                .values((
                    user_factors::user_id.eq(user),
                    user_factors::kind.eq(kind),
                    user_factors::provider.eq(provider),
                    user_factors::status.eq(status),
                    user_factors::detail.eq(detail),
                    user_factors::enrolled_at.eq(at),
                ))
                .execute($conn)$(.$aw)?;
            written?;
        }
        for (account, position, role, name, email, phone) in &$d.team {
            let written = diesel::insert_into(account_team::table)
                .values((
                    account_team::account_id.eq(account),
                    account_team::position.eq(position),
                    account_team::role.eq(role),
                    account_team::name.eq(name),
                    account_team::email.eq(email),
                    account_team::phone.eq(phone),
                ))
                .execute($conn)$(.$aw)?;
            written?;
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users() -> Vec<(i64, String, String)> {
        vec![
            (
                1,
                "pat.primary@harborfreight.example".into(),
                "Pat Primary".into(),
            ),
            (2, "primary@acct3.example".into(), "Primary 3".into()),
        ]
    }

    #[test]
    fn every_user_shares_one_hash_and_pat_has_three_kinds_of_factor() {
        let anchor = chrono::DateTime::UNIX_EPOCH.naive_utc();
        let d = generate(&users(), &["1".into(), "2".into()], anchor, 42).unwrap();
        assert_eq!(d.credentials.len(), 2);
        assert_eq!(d.credentials[0].1, d.credentials[1].1);
        let pat: Vec<&FactorRow> = d.factors.iter().filter(|f| f.0 == 1).collect();
        assert_eq!(pat.len(), 4);
        assert_eq!(d.team.len(), 10);
        let again = generate(&users(), &["1".into(), "2".into()], anchor, 42).unwrap();
        assert_eq!(d.credentials, again.credentials, "deterministic");
        assert_eq!(d.team, again.team);
    }
}
