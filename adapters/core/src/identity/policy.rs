//! The password policy the portal states on its reset page: at least 8
//! characters, a lowercase letter, an uppercase letter, a number, and no
//! part of the username.

use crate::{Error, Result};

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// The longest password accepted (hashing cost stays bounded).
pub const MAX_PASSWORD_CHARS: usize = 128;

/// One rule of the password policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PasswordRule {
    /// At least [`MIN_PASSWORD_CHARS`] and at most [`MAX_PASSWORD_CHARS`] characters.
    Length,
    /// A lowercase letter.
    Lowercase,
    /// An uppercase letter.
    Uppercase,
    /// A digit.
    Number,
    /// No part of the username (see [`username_parts`]).
    NoUsernamePart,
}

impl PasswordRule {
    /// The rule as the error message words it.
    pub fn describe(self) -> String {
        match self {
            PasswordRule::Length => {
                format!("be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters long")
            }
            PasswordRule::Lowercase => "contain a lowercase letter".into(),
            PasswordRule::Uppercase => "contain an uppercase letter".into(),
            PasswordRule::Number => "contain a number".into(),
            PasswordRule::NoUsernamePart => "not contain any part of the username".into(),
        }
    }
}

/// The parts of a login that a password must not contain: the local part
/// of the email split on `.`, `_`, `-` and `+`, keeping parts of three or
/// more characters, lowercased (as Okta's "no parts of the username" does).
pub fn username_parts(login: &str) -> Vec<String> {
    let local = login.split('@').next().unwrap_or("");
    local
        .split(['.', '_', '-', '+'])
        .filter(|part| part.chars().count() >= 3)
        .map(str::to_lowercase)
        .collect()
}

/// The rules `password` breaks for the user `login`, in policy order.
pub fn broken_rules(login: &str, password: &str) -> Vec<PasswordRule> {
    let length = password.chars().count();
    let lowered = password.to_lowercase();
    let checks = [
        (
            PasswordRule::Length,
            (MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&length),
        ),
        (
            PasswordRule::Lowercase,
            password.chars().any(char::is_lowercase),
        ),
        (
            PasswordRule::Uppercase,
            password.chars().any(char::is_uppercase),
        ),
        (
            PasswordRule::Number,
            password.chars().any(|c| c.is_ascii_digit()),
        ),
        (
            PasswordRule::NoUsernamePart,
            !username_parts(login)
                .iter()
                .any(|part| lowered.contains(part.as_str())),
        ),
    ];
    checks
        .into_iter()
        .filter(|(_, kept)| !kept)
        .map(|(rule, _)| rule)
        .collect()
}

/// Checks a new password for `login`; the error (on field `newPassword`)
/// names every broken rule.
pub fn check_password(login: &str, password: &str) -> Result<()> {
    let broken = broken_rules(login, password);
    if broken.is_empty() {
        return Ok(());
    }
    let rules: Vec<String> = broken.iter().map(|r| r.describe()).collect();
    Err(Error::invalid(
        "newPassword",
        format!("the new password must {}", rules.join("; ")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOGIN: &str = "pat.primary@harborfreight.example";

    #[test]
    fn a_good_password_passes() {
        assert_eq!(broken_rules(LOGIN, "Portal-Demo-2026"), []);
        assert!(check_password(LOGIN, "Portal-Demo-2026").is_ok());
    }

    #[test]
    fn each_rule_is_named_when_broken() {
        assert_eq!(broken_rules(LOGIN, "Ab1"), [PasswordRule::Length]);
        assert_eq!(broken_rules(LOGIN, "ABCDEFG1"), [PasswordRule::Lowercase]);
        assert_eq!(broken_rules(LOGIN, "abcdefg1"), [PasswordRule::Uppercase]);
        assert_eq!(broken_rules(LOGIN, "Abcdefgh"), [PasswordRule::Number]);
        assert_eq!(
            broken_rules(LOGIN, "MyPRIMARY-9x"),
            [PasswordRule::NoUsernamePart]
        );
        assert_eq!(
            broken_rules(LOGIN, "xxPat1Zyy"),
            [PasswordRule::NoUsernamePart]
        );
        assert_eq!(
            broken_rules(LOGIN, "abc"),
            [
                PasswordRule::Length,
                PasswordRule::Uppercase,
                PasswordRule::Number
            ]
        );
        let too_long = format!("Aa1{}", "x".repeat(MAX_PASSWORD_CHARS));
        assert_eq!(broken_rules(LOGIN, &too_long), [PasswordRule::Length]);
    }

    #[test]
    fn the_error_names_every_broken_rule_on_new_password() {
        let Err(Error::InvalidInput { field, message }) = check_password(LOGIN, "primary") else {
            panic!("expected invalid input");
        };
        assert_eq!(field, "newPassword");
        for rule in [
            PasswordRule::Length,
            PasswordRule::Uppercase,
            PasswordRule::Number,
            PasswordRule::NoUsernamePart,
        ] {
            assert!(message.contains(&rule.describe()), "{message}");
        }
        assert!(!message.contains(&PasswordRule::Lowercase.describe()));
    }

    #[test]
    fn username_parts_split_the_local_part() {
        assert_eq!(username_parts("pat.primary@x.example"), ["pat", "primary"]);
        assert_eq!(username_parts("a.bo_Carl+tag-de@x"), ["carl", "tag"]);
        assert_eq!(username_parts("jo@x"), Vec::<String>::new());
        // Short parts are allowed inside passwords.
        assert_eq!(broken_rules("jo.li@x.example", "Jo-Li-2026x"), []);
    }
}
