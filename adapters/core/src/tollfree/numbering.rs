//! North American numbering facts the ring-to rules need: the shape of a
//! 10-digit NANP number, the toll-free prefixes, and which state, province
//! or country each geographic area code belongs to.
//!
//! The area-code table is project data (`nanp-area-codes.csv` beside this
//! file), embedded at build time and parsed once. The on-net footprint
//! (`on-net-area-codes.csv`) is kept the same way.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// The NANP toll-free area codes; none of them may be a ring-to number.
pub const TOLL_FREE_PREFIXES: [&str; 7] = ["800", "833", "844", "855", "866", "877", "888"];

/// U.S. regions in the table that are outside the continental United States.
const NON_CONTINENTAL: [&str; 7] = ["AK", "HI", "PR", "VI", "GU", "AS", "MP"];

const AREA_CODES_CSV: &str = include_str!("nanp-area-codes.csv");
const ON_NET_CSV: &str = include_str!("on-net-area-codes.csv");

/// Where a geographic area code is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AreaCode {
    /// Two-letter state, province or territory code (`GA`, `ON`, `PR`).
    pub region: &'static str,
    /// Two-letter country code (`US`, `CA`, `JM`, …).
    pub country: &'static str,
}

impl AreaCode {
    /// Whether the area code is in the 48 contiguous states or DC.
    pub fn is_continental_us(&self) -> bool {
        self.country == "US" && !NON_CONTINENTAL.contains(&self.region)
    }
}

/// Data rows of a CSV file: lines that are neither blank, comments nor the header.
fn data_rows(csv: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    csv.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .skip(1)
        .map(|l| l.split(',').map(str::trim).collect())
}

fn area_codes() -> &'static HashMap<&'static str, AreaCode> {
    static TABLE: OnceLock<HashMap<&'static str, AreaCode>> = OnceLock::new();
    TABLE.get_or_init(|| {
        data_rows(AREA_CODES_CSV)
            .filter_map(|cols| match cols.as_slice() {
                [code, region, country] => Some((*code, AreaCode { region, country })),
                _ => None,
            })
            .collect()
    })
}

fn on_net_codes() -> &'static HashSet<&'static str> {
    static TABLE: OnceLock<HashSet<&'static str>> = OnceLock::new();
    TABLE.get_or_init(|| {
        data_rows(ON_NET_CSV)
            .filter_map(|c| c.first().copied())
            .collect()
    })
}

/// Where `area_code` is, if it is a geographic NANP area code we know.
pub fn area_code(area_code: &str) -> Option<AreaCode> {
    area_codes().get(area_code).copied()
}

/// Whether calls to `number` (10 digits) terminate on our own network.
pub fn is_on_net(number: &str) -> bool {
    number
        .get(..3)
        .is_some_and(|npa| on_net_codes().contains(npa))
}

/// Whether `number` (10 digits) is a toll-free number.
pub fn is_toll_free(number: &str) -> bool {
    number
        .get(..3)
        .is_some_and(|npa| TOLL_FREE_PREFIXES.contains(&npa))
}

/// The 10 digits of a NANP number written with any punctuation
/// (`(952) 712-3456`, `952.712.3456`, `+1 952 712 3456`), or `None` when it
/// is not a well-formed NXX-NXX-XXXX number: the area code and exchange
/// must start with 2–9 and must not be an N11 service code.
pub fn normalize(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    if trimmed
        .chars()
        .any(|c| !(c.is_ascii_digit() || " ()-.+".contains(c)))
    {
        return None;
    }
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    let digits = match digits.len() {
        10 => digits,
        11 if digits.starts_with('1') => digits[1..].to_string(),
        _ => return None,
    };
    let well_formed = |part: &str| {
        let b = part.as_bytes();
        b[0] >= b'2' && !(b[1] == b'1' && b[2] == b'1')
    };
    (well_formed(&digits[..3]) && well_formed(&digits[3..6])).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_places_area_codes() {
        assert_eq!(area_code("404").map(|a| a.region), Some("GA"));
        assert_eq!(area_code("212").map(|a| a.region), Some("NY"));
        assert!(area_code("404").is_some_and(|a| a.is_continental_us()));
        assert!(area_code("202").is_some_and(|a| a.is_continental_us()));
        assert!(area_code("907").is_some_and(|a| !a.is_continental_us()));
        assert!(area_code("808").is_some_and(|a| !a.is_continental_us()));
        assert_eq!(area_code("416").map(|a| a.country), Some("CA"));
        assert_eq!(area_code("876").map(|a| a.country), Some("JM"));
        assert_eq!(area_code("800"), None);
        assert!(area_codes().len() > 400, "the whole table was parsed");
    }

    #[test]
    fn every_on_net_area_code_is_a_continental_us_one() {
        for code in on_net_codes() {
            assert!(
                area_code(code).is_some_and(|a| a.is_continental_us()),
                "{code} is on-net but not in the continental U.S."
            );
        }
    }

    #[test]
    fn numbers_are_normalized_or_refused() {
        assert_eq!(normalize("(952) 712-3456").as_deref(), Some("9527123456"));
        assert_eq!(normalize("+1 952.712.3456").as_deref(), Some("9527123456"));
        assert_eq!(normalize("9527123456").as_deref(), Some("9527123456"));
        for bad in [
            "",
            "952712345",
            "19527123456x",
            "1527123456",
            "9521123456",
            "4117123456",
            "9524113456",
            "95271234567",
            "952-712-345a",
        ] {
            assert_eq!(normalize(bad), None, "{bad} should be refused");
        }
    }

    #[test]
    fn toll_free_prefixes_are_recognized() {
        assert!(is_toll_free("8005550100"));
        assert!(is_toll_free("8335550100"));
        assert!(!is_toll_free("8585550100"));
    }
}
