//! The per-line checks of a batch of ring-to changes, the network and rate
//! each new ring-to number brings, and the notice shown when the rate
//! changes. Pure functions: the store runs them again inside its write
//! transaction, so a preview and a submit never disagree.

use std::collections::HashSet;
use std::fmt;

use super::numbering::{self, area_code};
use super::{Network, NumberStatus, RingToChange, TollFreeNumber};
use crate::{Error, Result};

/// The most changes one batch may hold.
pub const MAX_BATCH: usize = 100;

/// A price per minute, exact: an integer count of millionths of a dollar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate {
    micros: i64,
}

impl Rate {
    /// A rate of `micros` millionths of a dollar per minute.
    pub fn from_micros(micros: i64) -> Self {
        Self { micros }
    }

    /// Millionths of a dollar per minute.
    pub fn micros(self) -> i64 {
        self.micros
    }

    /// Parses a non-negative dollar amount with at most six decimals
    /// (`"0.059"`), exactly.
    pub fn parse(text: &str) -> Option<Self> {
        let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
        let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > 6 {
            return None;
        }
        let whole: i64 = whole.parse().ok()?;
        let fraction: i64 = format!("{fraction:0<6}").parse().ok()?;
        whole
            .checked_mul(1_000_000)?
            .checked_add(fraction)
            .map(Self::from_micros)
    }
}

impl fmt::Display for Rate {
    /// Dollars with at least two decimals and no trailing zeros beyond them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fraction = format!("{:06}", self.micros % 1_000_000);
        let trimmed = fraction.trim_end_matches('0');
        let shown = if trimmed.len() < 2 {
            &fraction[..2]
        } else {
            trimmed
        };
        write!(f, "{}.{shown}", self.micros / 1_000_000)
    }
}

/// The per-minute rates of toll-free usage, by the ring-to number's network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rates {
    /// When the ring-to number is on-net.
    pub on_net: Rate,
    /// When it is off-net.
    pub off_net: Rate,
}

impl Rates {
    /// The rate for `network`.
    pub fn of(&self, network: Network) -> Rate {
        match network {
            Network::OnNet => self.on_net,
            Network::OffNet => self.off_net,
        }
    }
}

impl Default for Rates {
    /// $0.059 a minute on-net, $0.062 off-net.
    fn default() -> Self {
        Self {
            on_net: Rate::from_micros(59_000),
            off_net: Rate::from_micros(62_000),
        }
    }
}

/// Why one line of a batch cannot be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineErrorCode {
    /// Not a well-formed 10-digit NANP number, or an unassigned area code.
    InvalidNumber,
    /// The ring-to number is itself toll-free.
    TollFreeRingTo,
    /// The ring-to number is outside the continental U.S.
    OutsideContinentalUs,
    /// The number must ring within its own state, and this one does not.
    StateMismatch,
    /// The number's ring-to cannot be changed online; open a case.
    NotChangeableOnline,
    /// The account has no such toll-free number.
    UnknownNumber,
    /// The batch names this toll-free number more than once.
    DuplicateInBatch,
    /// A change request for the number is already pending.
    ChangePending,
}

impl LineErrorCode {
    /// The stable wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            LineErrorCode::InvalidNumber => "INVALID_NUMBER",
            LineErrorCode::TollFreeRingTo => "TOLL_FREE_RING_TO",
            LineErrorCode::OutsideContinentalUs => "OUTSIDE_CONTINENTAL_US",
            LineErrorCode::StateMismatch => "STATE_MISMATCH",
            LineErrorCode::NotChangeableOnline => "NOT_CHANGEABLE_ONLINE",
            LineErrorCode::UnknownNumber => "UNKNOWN_NUMBER",
            LineErrorCode::DuplicateInBatch => "DUPLICATE_IN_BATCH",
            LineErrorCode::ChangePending => "CHANGE_PENDING",
        }
    }
}

/// A line's error: its code and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// The stable code.
    pub code: LineErrorCode,
    /// What is wrong and how to fix it.
    pub message: String,
}

fn line_error(code: LineErrorCode, message: impl Into<String>) -> Option<LineError> {
    Some(LineError {
        code,
        message: message.into(),
    })
}

/// One previewed change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewLine {
    /// The toll-free number (10 digits when well-formed, else as given).
    pub number: String,
    /// Its ring-to number now, when the account has the number.
    pub current_ring_to: Option<String>,
    /// The new ring-to number (10 digits when well-formed, else as given).
    pub new_ring_to: String,
    /// The network of the current ring-to number.
    pub current_network: Option<Network>,
    /// The network of the new ring-to number, when it is valid.
    pub network: Option<Network>,
    /// The per-minute rate after the change, when it is valid.
    pub rate: Option<Rate>,
    /// Whether that rate differs from the current one.
    pub rate_changes: bool,
    /// The notice to show when the rate changes.
    pub notice: Option<String>,
    /// Why the line cannot be made, if it cannot.
    pub error: Option<LineError>,
}

/// Refuses an empty batch or one larger than [`MAX_BATCH`].
pub fn check_batch(changes: &[RingToChange]) -> Result<()> {
    if changes.is_empty() {
        return Err(Error::invalid("changes", "name at least one change"));
    }
    if changes.len() > MAX_BATCH {
        return Err(Error::invalid(
            "changes",
            format!("a batch holds at most {MAX_BATCH} changes; submit the rest separately"),
        ));
    }
    Ok(())
}

/// Previews every change against the account's `numbers`, in order.
pub fn preview(
    numbers: &[TollFreeNumber],
    changes: &[RingToChange],
    rates: &Rates,
) -> Vec<PreviewLine> {
    let mut seen = HashSet::new();
    changes
        .iter()
        .map(|change| {
            let normalized = numbering::normalize(&change.number);
            let duplicate = normalized.as_ref().is_some_and(|n| !seen.insert(n.clone()));
            let owned = normalized
                .as_ref()
                .and_then(|n| numbers.iter().find(|t| &t.number == n));
            preview_line(change, normalized, owned, duplicate, rates)
        })
        .collect()
}

fn preview_line(
    change: &RingToChange,
    normalized: Option<String>,
    owned: Option<&TollFreeNumber>,
    duplicate: bool,
    rates: &Rates,
) -> PreviewLine {
    let new_ring_to = numbering::normalize(&change.ring_to);
    let mut line = PreviewLine {
        number: normalized.unwrap_or_else(|| change.number.trim().to_string()),
        current_ring_to: owned.map(|t| t.ring_to.clone()),
        new_ring_to: new_ring_to
            .clone()
            .unwrap_or_else(|| change.ring_to.trim().to_string()),
        current_network: owned.map(|t| t.network),
        network: None,
        rate: None,
        rate_changes: false,
        notice: None,
        error: None,
    };
    line.error = number_error(&line.number, owned, duplicate)
        .or_else(|| owned.and_then(|t| ring_to_error(t, new_ring_to.as_deref())));
    if let (None, Some(number), Some(ring_to)) = (&line.error, owned, &new_ring_to) {
        let network = Network::of(ring_to);
        let rate = rates.of(network);
        let before = rates.of(number.network);
        line.network = Some(network);
        line.rate = Some(rate);
        line.rate_changes = rate != before;
        line.notice = line
            .rate_changes
            .then(|| rate_notice(&number.number, network, before, rate));
    }
    line
}

/// What is wrong with the toll-free number itself, if anything.
fn number_error(
    number: &str,
    owned: Option<&TollFreeNumber>,
    duplicate: bool,
) -> Option<LineError> {
    if duplicate {
        return line_error(
            LineErrorCode::DuplicateInBatch,
            format!("{number} appears more than once in this batch; keep one change per number"),
        );
    }
    let Some(owned) = owned else {
        return line_error(
            LineErrorCode::UnknownNumber,
            format!("{number} is not a toll-free number of this account"),
        );
    };
    if !owned.changeable_online {
        return line_error(
            LineErrorCode::NotChangeableOnline,
            format!(
                "the ring-to of {number} cannot be changed online; open a case \
                 (Change Existing Service, Toll Free Ring To) and we will make the change"
            ),
        );
    }
    (owned.status == NumberStatus::ChangePending).then(|| LineError {
        code: LineErrorCode::ChangePending,
        message: format!("a change to {number} is already pending; wait for it to finish"),
    })
}

/// What is wrong with the new ring-to number for `number`, if anything.
fn ring_to_error(number: &TollFreeNumber, ring_to: Option<&str>) -> Option<LineError> {
    let Some(ring_to) = ring_to else {
        return line_error(
            LineErrorCode::InvalidNumber,
            "the ring-to number must be a 10-digit number like 952-712-3456",
        );
    };
    if numbering::is_toll_free(ring_to) {
        return line_error(
            LineErrorCode::TollFreeRingTo,
            format!("{ring_to} is toll-free; ring to a local number instead"),
        );
    }
    let Some(place) = area_code(&ring_to[..3]) else {
        return line_error(
            LineErrorCode::InvalidNumber,
            format!(
                "area code {} is not a U.S. geographic area code",
                &ring_to[..3]
            ),
        );
    };
    if !place.is_continental_us() {
        return line_error(
            LineErrorCode::OutsideContinentalUs,
            format!(
                "{ring_to} is in {} ({}); ring-to numbers must be in the continental U.S.",
                place.region, place.country
            ),
        );
    }
    if number.same_state_required && place.region != number.state {
        return line_error(
            LineErrorCode::StateMismatch,
            format!(
                "{} must ring to a number in {}, and {ring_to} is in {}",
                number.number, number.state, place.region
            ),
        );
    }
    None
}

/// The notice for a change that moves `number`'s usage to another rate.
fn rate_notice(number: &str, network: Network, before: Rate, after: Rate) -> String {
    let side = match network {
        Network::OnNet => "on our network",
        Network::OffNet => "off our network",
    };
    format!(
        "The new ring-to number is {side}, so calls to {number} will be billed at \
         ${after} per minute instead of ${before} once the change is made."
    )
}

/// Succeeds when every line is valid; otherwise an invalid-input error on
/// `changes` that lists each bad line's position, code and message.
pub fn require_valid(lines: &[PreviewLine]) -> Result<()> {
    let problems: Vec<String> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, line)| {
            let e = line.error.as_ref()?;
            Some(format!(
                "changes[{i}] {}: {}: {}",
                line.number,
                e.code.as_str(),
                e.message
            ))
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::invalid(
            "changes",
            format!(
                "nothing was submitted; fix these lines: {}",
                problems.join("; ")
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(n: &str, state: &str, same_state: bool, changeable: bool) -> TollFreeNumber {
        TollFreeNumber {
            number: n.into(),
            account_id: "1".into(),
            ring_to: "9527123456".into(),
            network: Network::OnNet,
            changeable_online: changeable,
            state: state.into(),
            same_state_required: same_state,
            status: NumberStatus::Active,
        }
    }

    fn change(n: &str, r: &str) -> RingToChange {
        RingToChange {
            number: n.into(),
            ring_to: r.into(),
        }
    }

    fn code_of(line: &PreviewLine) -> Option<&'static str> {
        line.error.as_ref().map(|e| e.code.as_str())
    }

    #[test]
    fn rates_parse_and_print_exactly() {
        assert_eq!(Rate::parse("0.059"), Some(Rate::from_micros(59_000)));
        assert_eq!(Rate::parse("1.5"), Some(Rate::from_micros(1_500_000)));
        assert_eq!(Rate::parse("2"), Some(Rate::from_micros(2_000_000)));
        for bad in ["", ".5", "-0.1", "0.0000001", "1e3", "0,05", "abc"] {
            assert_eq!(Rate::parse(bad), None, "{bad}");
        }
        assert_eq!(Rate::from_micros(59_000).to_string(), "0.059");
        assert_eq!(Rate::from_micros(1_500_000).to_string(), "1.50");
        assert_eq!(Rate::from_micros(62_500).to_string(), "0.0625");
    }

    #[test]
    fn every_error_code_is_reached() {
        let numbers = [
            number("8005550001", "GA", false, true),
            number("8005550002", "GA", true, true),
            number("8005550003", "GA", false, false),
        ];
        let lines = preview(
            &numbers,
            &[
                change("8005550001", "952-712-345"),
                change("8005550001", "4045550100"),
                change("8005550009", "4045550100"),
                change("8005550003", "4045550100"),
                change("8005550002", "2125550100"),
                change("800-555-0001", "8885550100"),
            ],
            &Rates::default(),
        );
        let codes: Vec<_> = lines.iter().map(code_of).collect();
        assert_eq!(
            codes,
            [
                Some("INVALID_NUMBER"),
                Some("DUPLICATE_IN_BATCH"),
                Some("UNKNOWN_NUMBER"),
                Some("NOT_CHANGEABLE_ONLINE"),
                Some("STATE_MISMATCH"),
                Some("DUPLICATE_IN_BATCH"),
            ]
        );
        let outside = preview(
            &numbers,
            &[change("8005550001", "9075550100")],
            &Rates::default(),
        );
        assert_eq!(code_of(&outside[0]), Some("OUTSIDE_CONTINENTAL_US"));
        let canada = preview(
            &numbers,
            &[change("8005550001", "4165550100")],
            &Rates::default(),
        );
        assert_eq!(code_of(&canada[0]), Some("OUTSIDE_CONTINENTAL_US"));
        let toll_free = preview(
            &numbers,
            &[change("8005550001", "8005550100")],
            &Rates::default(),
        );
        assert_eq!(code_of(&toll_free[0]), Some("TOLL_FREE_RING_TO"));
        assert!(require_valid(&lines).is_err());
    }

    #[test]
    fn valid_lines_carry_network_rate_and_notice() {
        let numbers = [number("8005550001", "GA", true, true)];
        let lines = preview(
            &numbers,
            &[change("8005550001", "(404) 555-0100")],
            &Rates::default(),
        );
        assert_eq!(lines[0].error, None);
        assert_eq!(lines[0].network, Some(Network::OnNet));
        assert_eq!(lines[0].rate, Some(Rate::from_micros(59_000)));
        assert!(!lines[0].rate_changes && lines[0].notice.is_none());
        let off = preview(
            &numbers,
            &[change("8005550001", "7065550100")],
            &Rates::default(),
        );
        assert_eq!(off[0].network, Some(Network::OffNet));
        assert_eq!(off[0].rate.map(|r| r.to_string()).as_deref(), Some("0.062"));
        assert!(off[0].rate_changes);
        let notice = off[0].notice.clone().unwrap_or_default();
        assert!(
            notice.contains("$0.062") && notice.contains("$0.059"),
            "{notice}"
        );
        assert!(require_valid(&off).is_ok());
    }
}
