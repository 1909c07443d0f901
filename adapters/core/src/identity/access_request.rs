//! A request for portal access from someone who cannot sign in yet, and
//! its validation.

use crate::validate::is_email;
use crate::{Error, Result};

/// The longest description accepted.
pub const MAX_ACCESS_REQUEST_DESCRIPTION_CHARS: usize = 4000;

/// The longest name, account name or address accepted.
const MAX_TEXT_CHARS: usize = 200;

/// What the "Request a Customer Portal Account" form asks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessRequest {
    /// The requester's full name.
    pub name: String,
    /// Their phone number: ten digits (North American numbering plan).
    pub phone: String,
    /// Their email address.
    pub email: String,
    /// The customer's account name.
    pub account_name: String,
    /// The account number: ten digits.
    pub account_number: String,
    /// The service address.
    pub service_address: String,
    /// Anything else they want to say (may be empty).
    pub description: String,
}

impl AccessRequest {
    /// Checks every field (errors name `input.<field>`) and returns the
    /// request trimmed, with the phone number as its ten digits.
    pub fn validated(self) -> Result<Self> {
        Ok(Self {
            name: required("input.name", &self.name, MAX_TEXT_CHARS)?,
            phone: nanp_phone("input.phone", &self.phone)?,
            email: email("input.email", &self.email)?,
            account_name: required("input.accountName", &self.account_name, MAX_TEXT_CHARS)?,
            account_number: account_number("input.accountNumber", &self.account_number)?,
            service_address: required(
                "input.serviceAddress",
                &self.service_address,
                MAX_TEXT_CHARS,
            )?,
            description: bounded(
                "input.description",
                &self.description,
                MAX_ACCESS_REQUEST_DESCRIPTION_CHARS,
            )?,
        })
    }
}

fn bounded(field: &str, value: &str, max: usize) -> Result<String> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("at most {max} characters, please"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(Error::invalid(field, "remove the control characters"));
    }
    Ok(value.to_string())
}

fn required(field: &str, value: &str, max: usize) -> Result<String> {
    let value = bounded(field, value, max)?;
    if value.is_empty() {
        return Err(Error::invalid(field, "this field is required"));
    }
    Ok(value)
}

fn email(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    if !is_email(value) {
        return Err(Error::invalid(
            field,
            "enter an email address like name@example.com",
        ));
    }
    Ok(value.to_string())
}

/// Ten digits, an optional leading country code 1 and the usual separators;
/// area code and exchange may not start with 0 or 1.
fn nanp_phone(field: &str, value: &str) -> Result<String> {
    let wrong = || Error::invalid(field, "enter a 10-digit phone number like (555) 415-1337");
    if !value
        .trim()
        .chars()
        .all(|c| c.is_ascii_digit() || " ()-.+".contains(c))
    {
        return Err(wrong());
    }
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    let digits = match digits.len() {
        11 if digits.starts_with('1') => digits[1..].to_string(),
        10 => digits,
        _ => return Err(wrong()),
    };
    let bytes = digits.as_bytes();
    if bytes[0] < b'2' || bytes[3] < b'2' {
        return Err(wrong());
    }
    Ok(digits)
}

fn account_number(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    if value.len() != 10 || !value.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::invalid(field, "the account number has 10 digits"));
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> AccessRequest {
        AccessRequest {
            name: " Jordan Nguyen ".into(),
            phone: "+1 (555) 415-1337".into(),
            email: "jordan@harborfreight.example".into(),
            account_name: "Harbor Freight Tools USA Inc.".into(),
            account_number: "1234567890".into(),
            service_address: "1 Main St, Guilford".into(),
            description: String::new(),
        }
    }

    fn field_of(r: Result<AccessRequest>) -> String {
        match r {
            Err(Error::InvalidInput { field, .. }) => field,
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn a_complete_request_is_normalised() {
        let ok = request().validated().unwrap();
        assert_eq!(ok.name, "Jordan Nguyen");
        assert_eq!(ok.phone, "5554151337");
    }

    #[test]
    fn each_field_is_checked() {
        type Breaker = fn(&mut AccessRequest);
        let cases: [(Breaker, &str); 8] = [
            (|r| r.name = "  ".into(), "input.name"),
            (|r| r.phone = "555-1337".into(), "input.phone"),
            (|r| r.phone = "(055) 415-1337".into(), "input.phone"),
            (|r| r.email = "jordan".into(), "input.email"),
            (|r| r.account_name = String::new(), "input.accountName"),
            (|r| r.account_number = "12345".into(), "input.accountNumber"),
            (
                |r| r.service_address = "\u{0}".into(),
                "input.serviceAddress",
            ),
            (|r| r.description = "x".repeat(4001), "input.description"),
        ];
        for (break_it, field) in cases {
            let mut r = request();
            break_it(&mut r);
            assert_eq!(field_of(r.validated()), field);
        }
    }
}
