//! [`Money`]: an exact amount in minor units (cents) of a currency.

use std::fmt;

use crate::Error;

/// How many minor units make a major unit (every currency billed uses cents).
const MINOR_PER_MAJOR: i64 = 100;

/// An exact amount: whole minor units of `currency`, never a float.
///
/// `Display` writes the plain decimal (`-666.78`); [`Money::parse`] reads it
/// back exactly; [`Money::formatted`] writes what documents show
/// (`-$666.78`, `$1,776.21`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Money {
    /// The amount in minor units (cents).
    pub minor: i64,
    /// ISO 4217 code, e.g. `USD`.
    pub currency: String,
}

impl Money {
    /// `minor` units of `currency`.
    pub fn new(minor: i64, currency: impl Into<String>) -> Self {
        Self {
            minor,
            currency: currency.into(),
        }
    }

    /// Zero of `currency`.
    pub fn zero(currency: impl Into<String>) -> Self {
        Self::new(0, currency)
    }

    /// The sum of two amounts of the same currency. Amounts on one invoice
    /// share a currency; the sum saturates rather than wraps.
    pub fn plus(&self, other: &Money) -> Money {
        Money::new(
            self.minor.saturating_add(other.minor),
            self.currency.clone(),
        )
    }

    /// Reads a decimal such as `12`, `-0.5` or `1776.21` exactly.
    pub fn parse(text: &str, currency: impl Into<String>) -> Result<Money, Error> {
        let bad = || Error::invalid("amount", format!("`{text}` is not an amount like 12.34"));
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || fraction.len() > 2 {
            return Err(bad());
        }
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let cents: i64 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
        let minor = whole
            .checked_mul(MINOR_PER_MAJOR)
            .and_then(|m| m.checked_add(cents))
            .ok_or_else(bad)?;
        Ok(Money::new(if negative { -minor } else { minor }, currency))
    }

    /// The amount as documents show it: `$1,776.21`, `-$666.78`, or
    /// `1,776.21 EUR` for currencies other than US dollars.
    pub fn formatted(&self) -> String {
        let major = (self.minor / MINOR_PER_MAJOR).unsigned_abs();
        let cents = (self.minor % MINOR_PER_MAJOR).unsigned_abs();
        let digits = major.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        let sign = if self.minor < 0 { "-" } else { "" };
        if self.currency == "USD" {
            format!("{sign}${grouped}.{cents:02}")
        } else {
            format!("{sign}{grouped}.{cents:02} {}", self.currency)
        }
    }
}

impl fmt::Display for Money {
    /// The plain decimal, e.g. `-666.78`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.minor < 0 { "-" } else { "" };
        let major = (self.minor / MINOR_PER_MAJOR).unsigned_abs();
        let cents = (self.minor % MINOR_PER_MAJOR).unsigned_abs();
        write!(f, "{sign}{major}.{cents:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_round_trip_exactly() {
        for (minor, text) in [
            (-66_678, "-666.78"),
            (177_621, "1776.21"),
            (5, "0.05"),
            (-5, "-0.05"),
            (0, "0.00"),
            (i64::MAX, "92233720368547758.07"),
        ] {
            let money = Money::new(minor, "USD");
            assert_eq!(money.to_string(), text);
            assert_eq!(Money::parse(text, "USD"), Ok(money));
        }
        assert_eq!(Money::parse("12", "USD"), Ok(Money::new(1200, "USD")));
        assert_eq!(Money::parse("-0.5", "USD"), Ok(Money::new(-50, "USD")));
    }

    #[test]
    fn anything_but_a_plain_decimal_is_refused() {
        for text in [
            "", "-", ".5", "1.234", "1e3", "1,000", "+1", "1.2.3", "NaN", " 1",
        ] {
            assert!(Money::parse(text, "USD").is_err(), "{text}");
        }
        assert!(Money::parse("92233720368547758.08", "USD").is_err());
    }

    #[test]
    fn documents_show_grouped_dollars() {
        assert_eq!(Money::new(177_621, "USD").formatted(), "$1,776.21");
        assert_eq!(Money::new(-66_678, "USD").formatted(), "-$666.78");
        assert_eq!(
            Money::new(123_456_789, "EUR").formatted(),
            "1,234,567.89 EUR"
        );
        assert_eq!(Money::new(0, "USD").formatted(), "$0.00");
    }
}
