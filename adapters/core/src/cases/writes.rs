//! What a write asks for, and the rules every backend applies to writes:
//! finished cases refuse them, and a keyed retry is recognised by a
//! fingerprint of its input.

use sha2::{Digest, Sha256};

use super::{Case, CaseState, Priority};
use crate::{Error, Result, validate};

/// What a customer supplies to open a case. Validated by
/// [`crate::validate::new_case`] against the catalog before it is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewCase {
    /// The account the case is for; must be in scope.
    pub account_id: String,
    /// Case type code.
    pub case_type: String,
    /// Support case type code; may be omitted when the case type has one.
    pub support_case_type: Option<String>,
    /// Category code; must belong to the support case type.
    pub category: String,
    /// Short title; the category's name when omitted.
    pub title: Option<String>,
    /// Problem description (required).
    pub description: String,
    /// Urgency; low when omitted.
    pub priority: Option<Priority>,
    /// Service location, or `location_not_listed`.
    pub location_id: Option<String>,
    /// The location is not in the list.
    pub location_not_listed: bool,
    /// Affected product, or `product_not_listed`.
    pub product_id: Option<String>,
    /// The product is not in the list.
    pub product_not_listed: bool,
    /// Contact; the caller's own contact when omitted.
    pub contact_id: Option<String>,
    /// Extra email addresses to notify.
    pub watch_list: Vec<String>,
    /// A client-chosen key: a create retried with the same key returns the
    /// first case instead of opening another.
    pub idempotency_key: Option<String>,
}

/// The result of a write an idempotency key makes safe to retry (a create,
/// a comment, an upload): the record, and whether an earlier write under
/// the same key made it, in which case nothing was written and no event is
/// published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created<T> {
    /// The record.
    pub record: T,
    /// True when an earlier write with the same key made it.
    pub replayed: bool,
}

impl<T> Created<T> {
    /// A write that made `record` now.
    pub fn fresh(record: T) -> Self {
        Self {
            record,
            replayed: false,
        }
    }

    /// A retry answered with what an earlier write under its key made.
    pub fn replayed(record: T) -> Self {
        Self {
            record,
            replayed: true,
        }
    }
}

/// A customer comment to add to a case's activity stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewComment {
    /// The text; stored trimmed (see [`crate::validate::comment`]).
    pub body: String,
    /// A client-chosen key: a comment retried with the same key returns the
    /// first comment instead of posting another.
    pub idempotency_key: Option<String>,
}

impl NewComment {
    /// A comment with `body` and no idempotency key.
    pub fn new(body: impl Into<String>) -> Self {
        Self {
            body: body.into(),
            idempotency_key: None,
        }
    }
}

/// Refuses writes to the case `number` when `state` is finished (closed or
/// canceled): [`Error::Conflict`] telling the customer to open a new case.
pub fn ensure_writable(number: &str, state: CaseState) -> Result<()> {
    match state {
        CaseState::Closed | CaseState::Canceled => Err(Error::Conflict(format!(
            "case {number} is {}; open a new case instead",
            state.as_str()
        ))),
        _ => Ok(()),
    }
}

/// A cancel's reason as stored: trimmed, `None` when blank, otherwise
/// checked like a comment (field `reason`).
pub fn cancel_reason(reason: Option<&str>) -> Result<Option<String>> {
    reason
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| validate::comment("reason", r))
        .transpose()
}

/// Refuses to cancel the case `number` unless `state` is NEW, OPEN or
/// AWAITING_INFO: [`Error::Conflict`] naming the state it is in.
pub fn ensure_cancelable(number: &str, state: CaseState) -> Result<()> {
    if state.cancelable() {
        return Ok(());
    }
    Err(Error::Conflict(format!(
        "case {number} is {}; only NEW, OPEN or AWAITING_INFO cases can be canceled",
        state.as_str()
    )))
}

impl NewComment {
    /// The body as stored (checked on field `body`), after checking the
    /// idempotency key (field `idempotencyKey`).
    pub fn checked_body(&self) -> Result<String> {
        let body = validate::comment("body", &self.body)?;
        if let Some(key) = &self.idempotency_key {
            validate::idempotency_key("idempotencyKey", key)?;
        }
        Ok(body)
    }
}

impl Case {
    /// [`ensure_writable`] for this case.
    pub fn ensure_writable(&self) -> Result<()> {
        ensure_writable(&self.number, self.state)
    }
}

/// A hex SHA-256 digest of `fields`, each prefixed with its length so no
/// two lists share a digest. Stable across releases: a retry after an
/// upgrade still matches the fingerprint its first attempt stored.
pub fn fingerprint<S: AsRef<str>>(fields: impl IntoIterator<Item = S>) -> String {
    let mut canonical = String::new();
    for field in fields {
        let field = field.as_ref();
        canonical.push_str(&field.len().to_string());
        canonical.push(':');
        canonical.push_str(field);
        canonical.push(';');
    }
    Sha256::digest(canonical.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl NewCase {
    /// The [`fingerprint`] of what this create asks for, its key aside: a
    /// retry under the same key with another fingerprint is a conflict.
    pub fn fingerprint(&self) -> String {
        let priority = self.priority.map_or(0, Priority::level).to_string();
        let flag = |on: bool| if on { "1" } else { "0" };
        let fields = [
            self.account_id.as_str(),
            &self.case_type,
            self.support_case_type.as_deref().unwrap_or(""),
            &self.category,
            self.title.as_deref().unwrap_or(""),
            &self.description,
            &priority,
            self.location_id.as_deref().unwrap_or(""),
            flag(self.location_not_listed),
            self.product_id.as_deref().unwrap_or(""),
            flag(self.product_not_listed),
            self.contact_id.as_deref().unwrap_or(""),
        ];
        fingerprint(
            fields
                .into_iter()
                .chain(self.watch_list.iter().map(String::as_str)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finished_cases_refuse_writes() {
        for state in CaseState::ALL {
            let result = ensure_writable("CS00000000001", state);
            let finished = matches!(state, CaseState::Closed | CaseState::Canceled);
            assert_eq!(result.is_err(), finished, "{state:?}");
            if let Err(Error::Conflict(message)) = result {
                assert!(message.contains("CS00000000001"), "{message}");
                assert!(message.contains("open a new case"), "{message}");
            }
        }
    }

    #[test]
    fn fingerprints_are_length_prefixed() {
        // Moving a character across a field boundary changes the digest.
        assert_ne!(fingerprint(["ab", "c"]), fingerprint(["a", "bc"]));
        assert_ne!(fingerprint(["a;"]), fingerprint(["a", ""]));
        assert_eq!(fingerprint(["a", "b"]), fingerprint(["a", "b"]));
        // The digest of nothing is SHA-256 of the empty string.
        assert_eq!(
            fingerprint([""; 0]),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn a_create_fingerprint_covers_every_field_but_the_key() {
        let base = NewCase {
            account_id: "ACC-1".into(),
            case_type: "REPAIR".into(),
            category: "OUTAGE".into(),
            description: "down".into(),
            watch_list: vec!["a@example.com".into()],
            ..NewCase::default()
        };
        let keyed = NewCase {
            idempotency_key: Some("k".into()),
            ..base.clone()
        };
        assert_eq!(base.fingerprint(), keyed.fingerprint());
        let variants = [
            NewCase {
                account_id: "ACC-2".into(),
                ..base.clone()
            },
            NewCase {
                support_case_type: Some("X".into()),
                ..base.clone()
            },
            NewCase {
                title: Some("t".into()),
                ..base.clone()
            },
            NewCase {
                priority: Some(Priority::High),
                ..base.clone()
            },
            NewCase {
                location_id: Some("L".into()),
                ..base.clone()
            },
            NewCase {
                location_not_listed: true,
                ..base.clone()
            },
            NewCase {
                product_id: Some("P".into()),
                ..base.clone()
            },
            NewCase {
                product_not_listed: true,
                ..base.clone()
            },
            NewCase {
                contact_id: Some("C".into()),
                ..base.clone()
            },
            NewCase {
                watch_list: vec![],
                ..base.clone()
            },
        ];
        for v in variants {
            assert_ne!(v.fingerprint(), base.fingerprint(), "{v:?}");
        }
    }

    fn field_of<T: std::fmt::Debug>(result: Result<T>) -> String {
        match result {
            Err(Error::InvalidInput { field, .. }) => field,
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn cancel_reasons_are_trimmed_and_checked_like_comments() {
        assert_eq!(cancel_reason(None).unwrap(), None);
        assert_eq!(cancel_reason(Some("  \n ")).unwrap(), None);
        assert_eq!(
            cancel_reason(Some("  fixed itself ")).unwrap().as_deref(),
            Some("fixed itself")
        );
        let long = "x".repeat(validate::MAX_COMMENT_CHARS + 1);
        assert_eq!(field_of(cancel_reason(Some(&long))), "reason");
    }

    #[test]
    fn only_active_cases_may_be_canceled() {
        for state in [CaseState::New, CaseState::Open, CaseState::AwaitingInfo] {
            assert!(ensure_cancelable("CS1", state).is_ok(), "{state:?}");
        }
        for state in [CaseState::Resolved, CaseState::Closed, CaseState::Canceled] {
            match ensure_cancelable("CS1", state) {
                Err(Error::Conflict(message)) => {
                    assert!(message.contains("CS1") && message.contains(state.as_str()))
                }
                other => panic!("{state:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn comment_bodies_and_keys_are_checked() {
        let comment = |body: &str, key: Option<&str>| NewComment {
            body: body.into(),
            idempotency_key: key.map(str::to_string),
        };
        assert_eq!(
            comment("  hello ", Some("k")).checked_body().unwrap(),
            "hello"
        );
        assert_eq!(field_of(comment("   ", None).checked_body()), "body");
        assert_eq!(
            field_of(comment("hello", Some("")).checked_body()),
            "idempotencyKey"
        );
    }
}
