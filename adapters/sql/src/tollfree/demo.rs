//! The demo dataset's toll-free numbers: 25 per demo account (5 per further
//! account), with a mix of networks, numbers that can and cannot be changed
//! online, and numbers that must ring within their own state.
//! Deterministic for a seed.

use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use switchboard_core::tollfree::numbering::TOLL_FREE_PREFIXES;
use switchboard_core::tollfree::{Network, NumberStatus};

use crate::schema::tollfree_numbers;

/// Numbers per demo account and per further account.
pub const NUMBERS_PER_ACCOUNT: (usize, usize) = (25, 5);

/// States the numbers are located in, with area codes of each to ring to.
const PLACES: &[(&str, [&str; 3])] = &[
    ("GA", ["404", "706", "770"]),
    ("NY", ["212", "315", "718"]),
    ("NJ", ["201", "609", "973"]),
    ("FL", ["407", "305", "813"]),
    ("CA", ["213", "916", "858"]),
    ("TX", ["512", "214", "713"]),
    ("MN", ["952", "218", "612"]),
    ("CO", ["303", "970", "720"]),
];

/// A toll-free number to insert; the database assigns its id.
#[derive(Debug, Clone, PartialEq, Eq, Insertable)]
#[diesel(table_name = tollfree_numbers)]
pub struct NewNumberRow {
    pub account_id: String,
    pub number: String,
    pub ring_to: String,
    pub network: String,
    pub changeable_online: bool,
    pub state: String,
    pub same_state_required: bool,
    pub status: String,
}

/// The numbers of `accounts` (the first `demo_accounts` get the full set).
pub fn generate(accounts: &[String], demo_accounts: usize, seed: u64) -> Vec<NewNumberRow> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x7011_f4ee);
    let mut out = Vec::new();
    for (a, account) in accounts.iter().enumerate() {
        let count = if a < demo_accounts {
            NUMBERS_PER_ACCOUNT.0
        } else {
            NUMBERS_PER_ACCOUNT.1
        };
        for i in 0..count {
            out.push(number(&mut rng, account, a, i));
        }
    }
    out
}

/// The `i`th number of the `a`th account; the exchange and line encode both,
/// so no two numbers collide.
fn number(rng: &mut StdRng, account: &str, a: usize, i: usize) -> NewNumberRow {
    let prefix = TOLL_FREE_PREFIXES[i % TOLL_FREE_PREFIXES.len()];
    let exchange = 200 + a % 800;
    let line = i + 100 * (a / 800);
    let (state, codes) = PLACES[rng.random_range(0..PLACES.len())];
    let area = codes[rng.random_range(0..codes.len())];
    let ring_to = format!(
        "{area}{}{:04}",
        rng.random_range(200..1000),
        rng.random_range(0..10_000)
    );
    NewNumberRow {
        account_id: account.to_string(),
        number: format!("{prefix}{exchange:03}{line:04}"),
        network: Network::of(&ring_to).as_str().to_string(),
        ring_to,
        changeable_online: i % 6 != 5,
        state: state.to_string(),
        same_state_required: i.is_multiple_of(4),
        status: NumberStatus::Active.as_str().to_string(),
    }
}

/// Writes the rows of [`generate`] on `$conn` (add `await` for async connections).
#[macro_export]
#[doc(hidden)]
macro_rules! write_demo_tollfree {
    ($conn:ident, $rows:expr $(, $aw:tt)?) => {{
        for chunk in $rows.chunks(500) {
            let written = diesel::insert_into($crate::schema::tollfree_numbers::table)
                .values(chunk)
                .execute($conn)$(.$aw)?;
            written?;
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_unique_deterministic_and_mixed() {
        let accounts: Vec<String> = ["1", "2", "3"].map(String::from).to_vec();
        let rows = generate(&accounts, 2, 7);
        assert_eq!(rows, generate(&accounts, 2, 7));
        assert_eq!(rows.len(), 25 + 25 + 5);
        let mut numbers: Vec<&str> = rows.iter().map(|r| r.number.as_str()).collect();
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), rows.len());
        let first: Vec<&NewNumberRow> = rows.iter().filter(|r| r.account_id == "1").collect();
        assert!(first.iter().any(|r| r.network == "ON_NET"));
        assert!(first.iter().any(|r| r.network == "OFF_NET"));
        assert!(first.iter().any(|r| !r.changeable_online));
        assert!(first.iter().any(|r| r.same_state_required));
    }
}
