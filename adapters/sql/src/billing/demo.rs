//! The demo dataset's billing: details per account, twelve monthly invoices
//! each, whose charge lines add up to the current charges to the cent, and
//! the calls billed on them. Deterministic for a seed and anchor time.

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use switchboard_core::billing::UsageKind;

use super::rows::{ChargeRow, DetailsRow, InvoiceRow, UsageRow};

/// Invoices per account, one a month.
pub const INVOICES_PER_ACCOUNT: usize = 12;
/// Calls billed on each invoice of a demo account (the README's), and of
/// any further account (fewer, to keep seeding fast).
const CALLS_PER_INVOICE: (usize, usize) = (25, 3);
/// Day of the month invoices are dated.
const INVOICE_DAY: u32 = 23;
/// Days from an invoice to its due date.
const DAYS_TO_PAY: i64 = 21;
/// Sales tax on recurring charges, in tenths of a percent.
const TAX_PER_MILLE: i64 = 85;
/// The fee on a balance carried past its due date, in cents.
const LATE_FEE: i64 = 1_500;
const CURRENCY: &str = "USD";

/// Monthly services, with their price in cents.
const SERVICES: &[(&str, i64)] = &[
    ("UCx Seats (25)", 62_500),
    ("Dedicated Internet Access 100 Mbps", 49_900),
    ("MSx Managed WAN", 38_750),
    ("SmartVoice Lines (12)", 21_588),
    ("Managed Firewall", 17_500),
    ("Toll Free Number", 1_000),
    ("Microsoft 365 Business (10)", 22_000),
];
const PLACES: &[(&str, &str, &str)] = &[
    ("Lyndhurst", "NJ", "07071"),
    ("Atlanta", "GA", "30309"),
    ("Orlando", "FL", "32830"),
    ("Burbank", "CA", "91502"),
    ("Denver", "CO", "80202"),
    ("Austin", "TX", "78701"),
];

/// The rows to write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoBilling {
    /// Billing details, one per account.
    pub details: Vec<DetailsRow>,
    /// Invoices.
    pub invoices: Vec<InvoiceRow>,
    /// Their charge lines.
    pub charges: Vec<ChargeRow>,
    /// Calls, each billed on an invoice.
    pub usage: Vec<UsageRow>,
}

/// Cents per started minute of each kind of call.
fn rate(kind: UsageKind) -> i64 {
    match kind {
        UsageKind::Local => 2,
        UsageKind::LongDistance => 5,
        UsageKind::International => 35,
        UsageKind::TollFree => 4,
    }
}

/// The newest invoice date on or before `anchor`.
fn latest_invoice_date(anchor: NaiveDateTime) -> NaiveDate {
    let day = anchor.date();
    let this_month = day.with_day(INVOICE_DAY).unwrap_or(day);
    if day.day() >= INVOICE_DAY {
        this_month
    } else {
        this_month
            .checked_sub_months(Months::new(1))
            .unwrap_or(this_month)
    }
}

/// Billing for `accounts` (id, name); the first `demo` of them get the full
/// call volume.
pub fn generate(
    accounts: &[(String, String)],
    demo: usize,
    anchor: NaiveDateTime,
    seed: u64,
) -> DemoBilling {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x6269_6c6c);
    let mut out = DemoBilling::default();
    let latest = latest_invoice_date(anchor);
    for (index, (account, name)) in accounts.iter().enumerate() {
        let calls = if index < demo {
            CALLS_PER_INVOICE.0
        } else {
            CALLS_PER_INVOICE.1
        };
        out.details.push(details(&mut rng, account, name, index));
        let services = pick_services(&mut rng, index);
        let main_line = format!("{}5550{:03}", 200 + index % 700, index % 1000);
        let mut previous = rng.random_range(20_000..80_000);
        for month in (0..INVOICES_PER_ACCOUNT).rev() {
            let date = latest
                .checked_sub_months(Months::new(month as u32))
                .unwrap_or(latest);
            let invoice_id = out.invoices.len() as i64 + 1;
            let usage = calls_for(&mut rng, account, &main_line, invoice_id, date, calls);
            let usage_total: i64 = usage.iter().map(|u| u.charge_minor).sum();
            let mut lines = vec![];
            for (description, price) in &services {
                lines.push(("Monthly Recurring Charges", description.to_string(), *price));
            }
            let recurring: i64 = services.iter().map(|(_, p)| p).sum();
            if month % 5 == 2 {
                lines.push(("One-Time Charges", "Move, add or change".into(), 7_500));
            }
            lines.push((
                "Usage Charges",
                "Calls (see call report)".into(),
                usage_total,
            ));
            lines.push((
                "Taxes, Fees & Surcharges",
                "State and local taxes".into(),
                recurring * TAX_PER_MILLE / 1000,
            ));
            lines.push((
                "Taxes, Fees & Surcharges",
                "Federal Universal Service Fund".into(),
                recurring / 40,
            ));
            let current: i64 = lines.iter().map(|(_, _, amount)| amount).sum();
            // Most months the previous invoice is paid in full; now and
            // then a part is left over (and draws a late fee) or credited.
            let short = if month % 4 == 1 { 2_500 } else { 0 };
            let payments = -(previous - short);
            let adjustments = if month % 6 == 3 { -500 } else { 0 };
            let forward = previous + payments + adjustments;
            let late_fee = if forward > 0 { LATE_FEE } else { 0 };
            let row = InvoiceRow {
                id: invoice_id,
                account_id: account.clone(),
                number: format!("INV{:08}", 1233 + invoice_id),
                invoice_date: date,
                due_date: date + Duration::days(DAYS_TO_PAY),
                currency: CURRENCY.into(),
                previous_minor: previous,
                payments_minor: payments,
                adjustments_minor: adjustments,
                late_fee_minor: late_fee,
                current_minor: current,
                total_due_minor: 0,
            };
            let row = InvoiceRow {
                total_due_minor: row.parts_sum(),
                ..row
            };
            previous = row.total_due_minor;
            for (position, (category, description, amount)) in lines.into_iter().enumerate() {
                out.charges.push(ChargeRow {
                    id: out.charges.len() as i64 + 1,
                    invoice_id,
                    position: position as i32 + 1,
                    category: category.into(),
                    description,
                    amount_minor: amount,
                });
            }
            out.invoices.push(row);
            let first_id = out.usage.len() as i64;
            out.usage
                .extend(usage.into_iter().enumerate().map(|(i, u)| UsageRow {
                    id: first_id + i as i64 + 1,
                    ..u
                }));
        }
    }
    out
}

fn details(rng: &mut StdRng, account: &str, name: &str, index: usize) -> DetailsRow {
    let (city, state, zip) = PLACES[index % PLACES.len()];
    let slug: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(16)
        .collect::<String>()
        .to_ascii_lowercase();
    DetailsRow {
        account_id: account.to_string(),
        address: format!(
            "{name} - Store #{} {} Commerce Dr",
            rng.random_range(1000..9999),
            rng.random_range(10..999)
        ),
        city: city.into(),
        state: state.into(),
        zip: zip.into(),
        phone: format!(
            "({}) {}-{:04}",
            rng.random_range(201..989),
            rng.random_range(200..999),
            rng.random_range(0..10_000)
        ),
        notification_email: format!("billing@{slug}.example"),
    }
}

fn pick_services(rng: &mut StdRng, index: usize) -> Vec<(&'static str, i64)> {
    let count = 2 + index % 3;
    let start = rng.random_range(0..SERVICES.len());
    (0..count)
        .map(|i| SERVICES[(start + i) % SERVICES.len()])
        .collect()
}

/// `count` calls in the month before `date`, billed on `invoice_id` (their
/// ids are set by the caller).
fn calls_for(
    rng: &mut StdRng,
    account: &str,
    main_line: &str,
    invoice_id: i64,
    date: NaiveDate,
    count: usize,
) -> Vec<UsageRow> {
    let period_start = (date - Duration::days(30))
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default();
    (0..count)
        .map(|_| {
            let kind = UsageKind::ALL[rng.random_range(0..UsageKind::ALL.len())];
            let duration: i32 = rng.random_range(5..3600);
            let started = period_start + Duration::seconds(rng.random_range(0..30 * 86_400));
            let far = format!(
                "{}{}{:04}",
                rng.random_range(201..989),
                rng.random_range(200..999),
                rng.random_range(0..10_000)
            );
            let (from, to) = match kind {
                UsageKind::TollFree => (far, format!("8005550{:03}", invoice_id % 1000)),
                UsageKind::International => (main_line.to_string(), format!("01144{far}")),
                _ => (main_line.to_string(), far),
            };
            let minutes = (i64::from(duration) + 59) / 60;
            UsageRow {
                id: 0,
                account_id: account.to_string(),
                invoice_id: Some(invoice_id),
                started_at: started,
                from_number: from,
                to_number: to,
                duration_secs: duration,
                kind: kind.as_str().into(),
                currency: CURRENCY.into(),
                charge_minor: minutes * rate(kind),
            }
        })
        .collect()
}

/// Writes [`DemoBilling`] on a connection, blocking or async: pass `await`
/// as the last argument for an async connection.
#[macro_export]
#[doc(hidden)]
macro_rules! write_demo_billing {
    ($conn:ident, $d:expr $(, $aw:tt)?) => {{
        use $crate::schema::{billing_accounts, invoice_charges, invoices, usage_records};
        let written = diesel::insert_into(billing_accounts::table)
            .values(&$d.details)
            .execute($conn)$(.$aw)?;
        written?;
        for chunk in $d.invoices.chunks(500) {
            let written = diesel::insert_into(invoices::table)
                .values(chunk)
                .execute($conn)$(.$aw)?;
            written?;
        }
        for chunk in $d.charges.chunks(500) {
            let written = diesel::insert_into(invoice_charges::table)
                .values(chunk)
                .execute($conn)$(.$aw)?;
            written?;
        }
        for chunk in $d.usage.chunks(500) {
            let written = diesel::insert_into(usage_records::table)
                .values(chunk)
                .execute($conn)$(.$aw)?;
            written?;
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset() -> DemoBilling {
        let anchor = NaiveDate::from_ymd_opt(2026, 5, 2)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .unwrap_or_default();
        let accounts = [("1".into(), "One Inc.".into()), ("2".into(), "Two".into())];
        generate(&accounts, 1, anchor, 42)
    }

    #[test]
    fn charge_lines_add_up_to_current_charges_and_totals_chain() {
        let d = dataset();
        assert_eq!(d.invoices.len(), 2 * INVOICES_PER_ACCOUNT);
        for invoice in &d.invoices {
            let lines: i64 = d
                .charges
                .iter()
                .filter(|c| c.invoice_id == invoice.id)
                .map(|c| c.amount_minor)
                .sum();
            assert_eq!(lines, invoice.current_minor, "{}", invoice.number);
            assert_eq!(invoice.total_due_minor, invoice.parts_sum());
        }
        let newest = d.invoices.iter().map(|i| i.invoice_date).max();
        assert_eq!(newest, NaiveDate::from_ymd_opt(2026, 4, 23));
    }

    #[test]
    fn demo_accounts_get_more_calls_and_it_is_deterministic() {
        let d = dataset();
        let calls = |a: &str| d.usage.iter().filter(|u| u.account_id == a).count();
        assert_eq!(calls("1"), CALLS_PER_INVOICE.0 * INVOICES_PER_ACCOUNT);
        assert_eq!(calls("2"), CALLS_PER_INVOICE.1 * INVOICES_PER_ACCOUNT);
        assert_eq!(d, dataset());
    }
}
