//! Input rules shared by every adapter, checked before a store is called.

use crate::cases::{Catalog, NewCase};
use crate::{Error, Result};

/// Longest description accepted.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
/// Longest title accepted.
pub const MAX_TITLE_CHARS: usize = 160;
/// Longest comment accepted.
pub const MAX_COMMENT_CHARS: usize = 4000;
/// Most addresses on one watch list.
pub const MAX_WATCH_LIST: usize = 25;
/// Longest file name accepted.
pub const MAX_FILE_NAME_CHARS: usize = 255;
/// Longest free-text search accepted, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;
/// Most words in one free-text search.
pub const MAX_SEARCH_WORDS: usize = 10;
/// Longest idempotency key accepted.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 128;

/// Checks a new case against the catalog and the form's rules, and fills in
/// what the catalog implies (the support case type when there is only one,
/// the title from the category). Returns the completed case.
pub fn new_case(catalog: &Catalog, mut new: NewCase) -> Result<NewCase> {
    let case_type = catalog.case_type(&new.case_type).ok_or_else(|| {
        Error::invalid(
            "input.caseType",
            format!("unknown case type `{}`; see caseCatalog", new.case_type),
        )
    })?;
    if !case_type.customer_creatable {
        return Err(Error::invalid(
            "input.caseType",
            format!(
                "cases of type `{}` are opened by the provider",
                case_type.name
            ),
        ));
    }
    let support = match &new.support_case_type {
        Some(code) => case_type
            .support_case_types
            .iter()
            .find(|s| &s.code == code)
            .ok_or_else(|| {
                Error::invalid(
                    "input.supportCaseType",
                    format!(
                        "`{code}` is not a support case type of `{}`",
                        case_type.name
                    ),
                )
            })?,
        None => match case_type.support_case_types.as_slice() {
            [only] => only,
            _ => {
                return Err(Error::invalid(
                    "input.supportCaseType",
                    format!("choose a support case type of `{}`", case_type.name),
                ));
            }
        },
    };
    let category = support
        .categories
        .iter()
        .find(|c| c.code == new.category)
        .ok_or_else(|| {
            Error::invalid(
                "input.category",
                format!("`{}` is not a category of `{}`", new.category, support.name),
            )
        })?;
    new.support_case_type = Some(support.code.clone());

    let description = new.description.trim();
    if description.is_empty() {
        return Err(Error::invalid(
            "input.description",
            "a description is required",
        ));
    }
    bounded("input.description", description, MAX_DESCRIPTION_CHARS)?;
    new.description = description.to_string();

    let title = new
        .title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or(&category.name)
        .to_string();
    bounded("input.title", &title, MAX_TITLE_CHARS)?;
    new.title = Some(title);

    match (&new.location_id, new.location_not_listed) {
        (Some(_), true) => {
            return Err(Error::invalid(
                "input.locationId",
                "give a location or set locationNotListed, not both",
            ));
        }
        (None, false) => {
            return Err(Error::invalid(
                "input.locationId",
                "choose a location, or set locationNotListed when it is not in the list",
            ));
        }
        _ => {}
    }
    match (&new.product_id, new.product_not_listed) {
        (Some(_), true) => {
            return Err(Error::invalid(
                "input.productId",
                "give a product or set productNotListed, not both",
            ));
        }
        (None, false) => {
            return Err(Error::invalid(
                "input.productId",
                "choose a product, or set productNotListed when it is not in the list",
            ));
        }
        _ => {}
    }
    new.watch_list = watch_list("input.watchList", &new.watch_list)?;
    if let Some(key) = &new.idempotency_key {
        idempotency_key("input.idempotencyKey", key)?;
    }
    Ok(new)
}

/// Checks an idempotency key: 1 to [`MAX_IDEMPOTENCY_KEY_CHARS`] characters,
/// kept exactly as sent (no trimming: it is the client's opaque token).
pub fn idempotency_key(field: &str, key: &str) -> Result<()> {
    if key.is_empty() || key.chars().count() > MAX_IDEMPOTENCY_KEY_CHARS {
        return Err(Error::invalid(
            field,
            format!("an idempotency key has 1 to {MAX_IDEMPOTENCY_KEY_CHARS} characters"),
        ));
    }
    Ok(())
}

/// Checks and normalises (trims, lower-cases, de-duplicates) a list of
/// watch-list addresses.
pub fn watch_list(field: &str, emails: &[String]) -> Result<Vec<String>> {
    // Refuse oversized lists before any work: duplicates aside, no list
    // longer than twice the limit can be acceptable.
    if emails.len() > 2 * MAX_WATCH_LIST {
        return Err(Error::invalid(
            field,
            format!("a watch list holds at most {MAX_WATCH_LIST} addresses"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(emails.len());
    for (i, raw) in emails.iter().enumerate() {
        let email = raw.trim().to_ascii_lowercase();
        if !is_email(&email) {
            return Err(Error::invalid(
                format!("{field}[{i}]"),
                format!("`{raw}` is not an email address"),
            ));
        }
        if !out.contains(&email) {
            out.push(email);
        }
    }
    if out.len() > MAX_WATCH_LIST {
        return Err(Error::invalid(
            field,
            format!("a watch list holds at most {MAX_WATCH_LIST} addresses"),
        ));
    }
    Ok(out)
}

/// Checks a comment's (or a cancel reason's) text, reporting problems on
/// `field`; returns it trimmed.
pub fn comment(field: &str, body: &str) -> Result<String> {
    let body = body.trim();
    if body.is_empty() {
        return Err(Error::invalid(field, "a comment cannot be empty"));
    }
    bounded(field, body, MAX_COMMENT_CHARS)?;
    Ok(body.to_string())
}

/// Checks a free-text search: bounded in length and in words, so one search
/// cannot turn into an unbounded query. Returns it trimmed.
pub fn search_text(field: &str, text: &str) -> Result<String> {
    let text = text.trim();
    bounded(field, text, MAX_SEARCH_CHARS)?;
    if text.split_whitespace().count() > MAX_SEARCH_WORDS {
        return Err(Error::invalid(
            field,
            format!("search with at most {MAX_SEARCH_WORDS} words"),
        ));
    }
    Ok(text.to_string())
}

/// Checks a file name: not empty, bounded, no path separators or control
/// characters. Returns it trimmed.
pub fn file_name(field: &str, name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name == "." || name == ".." {
        return Err(Error::invalid(field, "a file name is required"));
    }
    if name
        .chars()
        .any(|c| c == '/' || c == '\\' || c.is_control())
    {
        return Err(Error::invalid(
            field,
            "a file name cannot contain slashes or control characters",
        ));
    }
    bounded(field, name, MAX_FILE_NAME_CHARS)?;
    Ok(name.to_string())
}

fn bounded(field: &str, value: &str, max: usize) -> Result<()> {
    if value.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("at most {max} characters are accepted"),
        ));
    }
    Ok(())
}

/// A deliberately plain address check: one `@`, a non-empty local part, a
/// dotted domain of letters, digits and hyphens, no spaces.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    local_ok && domain_ok && s.len() <= 254
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::{CaseType, Category, SupportCaseType};

    fn catalog() -> Catalog {
        let cat = |c: &str| Category {
            code: c.into(),
            name: c.to_uppercase(),
        };
        Catalog {
            case_types: vec![
                CaseType {
                    code: "tech".into(),
                    name: "Technical Support".into(),
                    description: String::new(),
                    customer_creatable: true,
                    support_case_types: vec![
                        SupportCaseType {
                            code: "fraud".into(),
                            name: "Fraud".into(),
                            categories: vec![cat("call_annoyance")],
                        },
                        SupportCaseType {
                            code: "data".into(),
                            name: "Data".into(),
                            categories: vec![cat("mpls")],
                        },
                    ],
                },
                CaseType {
                    code: "health".into(),
                    name: "Customer Health".into(),
                    description: String::new(),
                    customer_creatable: false,
                    support_case_types: vec![],
                },
            ],
        }
    }

    fn valid() -> NewCase {
        NewCase {
            account_id: "1".into(),
            case_type: "tech".into(),
            support_case_type: Some("fraud".into()),
            category: "call_annoyance".into(),
            description: "  calls at night ".into(),
            location_not_listed: true,
            product_not_listed: true,
            watch_list: vec!["A@Example.com".into(), "a@example.com".into()],
            ..NewCase::default()
        }
    }

    fn field_of(r: Result<NewCase>) -> String {
        match r {
            Err(Error::InvalidInput { field, .. }) => field,
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_case_is_completed() {
        let c = new_case(&catalog(), valid()).unwrap();
        assert_eq!(c.description, "calls at night");
        assert_eq!(c.title.as_deref(), Some("CALL_ANNOYANCE"));
        assert_eq!(c.watch_list, vec!["a@example.com"]);
    }

    #[test]
    fn category_must_belong_to_the_support_case_type() {
        let mut c = valid();
        c.category = "mpls".into();
        assert_eq!(field_of(new_case(&catalog(), c)), "input.category");
    }

    #[test]
    fn support_case_type_is_required_when_there_are_several() {
        let mut c = valid();
        c.support_case_type = None;
        assert_eq!(field_of(new_case(&catalog(), c)), "input.supportCaseType");
    }

    #[test]
    fn provider_types_cannot_be_opened_by_customers() {
        let mut c = valid();
        c.case_type = "health".into();
        assert_eq!(field_of(new_case(&catalog(), c)), "input.caseType");
    }

    #[test]
    fn location_or_not_listed_exactly_one() {
        let mut c = valid();
        c.location_not_listed = false;
        assert_eq!(field_of(new_case(&catalog(), c)), "input.locationId");
        let mut c = valid();
        c.location_id = Some("5".into());
        assert_eq!(field_of(new_case(&catalog(), c)), "input.locationId");
    }

    #[test]
    fn description_is_required_and_bounded() {
        let mut c = valid();
        c.description = "   ".into();
        assert_eq!(field_of(new_case(&catalog(), c)), "input.description");
        let mut c = valid();
        c.description = "x".repeat(MAX_DESCRIPTION_CHARS + 1);
        assert_eq!(field_of(new_case(&catalog(), c)), "input.description");
    }

    #[test]
    fn watch_list_names_the_bad_entry() {
        let mut c = valid();
        c.watch_list = vec!["ok@example.com".into(), "not an email".into()];
        assert_eq!(field_of(new_case(&catalog(), c)), "input.watchList[1]");
    }

    #[test]
    fn emails() {
        for good in ["a@b.co", "first.last+tag@sub.example.com"] {
            assert!(is_email(good), "{good}");
        }
        for bad in [
            "",
            "a",
            "a@b",
            "a@-b.com",
            "a b@c.com",
            "@b.com",
            "a@b..com",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn searches_are_bounded() {
        assert_eq!(
            search_text("text", "  network down ").unwrap(),
            "network down"
        );
        assert!(search_text("text", &"a ".repeat(MAX_SEARCH_WORDS + 1)).is_err());
        assert!(search_text("text", &"a".repeat(MAX_SEARCH_CHARS + 1)).is_err());
    }

    #[test]
    fn comments_name_their_field() {
        assert!(
            matches!(comment("reason", " "), Err(Error::InvalidInput { field, .. }) if field == "reason")
        );
    }

    #[test]
    fn idempotency_keys_are_bounded() {
        assert!(idempotency_key("k", "a").is_ok());
        assert!(idempotency_key("k", &"é".repeat(MAX_IDEMPOTENCY_KEY_CHARS)).is_ok());
        for bad in [String::new(), "a".repeat(MAX_IDEMPOTENCY_KEY_CHARS + 1)] {
            assert!(
                matches!(idempotency_key("k", &bad), Err(Error::InvalidInput { field, .. }) if field == "k")
            );
        }
        let mut c = valid();
        c.idempotency_key = Some(String::new());
        assert_eq!(field_of(new_case(&catalog(), c)), "input.idempotencyKey");
    }

    #[test]
    fn file_names_cannot_escape() {
        assert!(file_name("f", "../etc/passwd").is_err());
        assert!(file_name("f", "a\\b").is_err());
        assert_eq!(file_name("f", " report.pdf ").unwrap(), "report.pdf");
    }
}
