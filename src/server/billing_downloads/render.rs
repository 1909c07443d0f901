//! The billing documents: an invoice as PDF, and a call report as CSV,
//! Excel workbook or PDF. Amounts are written from their exact decimal
//! form; the workbook adds each charge as a whole number of cents, which a
//! spreadsheet holds exactly.

use rust_xlsxwriter::{Format, Workbook, XlsxError};
use switchboard_core::billing::{
    BillingDetails, ChargeLine, Invoice, Money, UsageRecord, charge_categories,
};

use super::pdf::{Cell, Document, MARGIN, RIGHT_EDGE};
use crate::graphql::billing::hms;

/// The columns of a call report.
const COLUMNS: [&str; 9] = [
    "Date/Time (UTC)",
    "From",
    "To",
    "Duration",
    "Duration (s)",
    "Type",
    "Charge",
    "Currency",
    "Invoice",
];

/// What an invoice document shows.
pub struct InvoiceDocument<'a> {
    /// The invoice.
    pub invoice: &'a Invoice,
    /// Its charge lines, in position order.
    pub lines: &'a [ChargeLine],
    /// The account's name.
    pub account_name: &'a str,
    /// Where the bill goes, when known.
    pub details: Option<&'a BillingDetails>,
}

/// A call report: the account and its records, in order.
pub struct Report<'a> {
    /// The account number.
    pub account: &'a str,
    /// The account's name.
    pub account_name: &'a str,
    /// The records.
    pub records: &'a [UsageRecord],
    /// Invoice numbers by invoice id, for the Invoice column.
    pub invoice_numbers: &'a std::collections::HashMap<String, String>,
}

impl Report<'_> {
    /// The sum of the records' charges, exactly.
    pub fn total_charge(&self) -> Money {
        let currency = self
            .records
            .first()
            .map_or("USD", |r| r.charge.currency.as_str());
        self.records
            .iter()
            .fold(Money::zero(currency), |total, r| total.plus(&r.charge))
    }

    fn total_seconds(&self) -> i64 {
        self.records
            .iter()
            .map(|r| i64::from(r.duration_secs))
            .sum()
    }

    fn invoice_of(&self, record: &UsageRecord) -> String {
        record
            .invoice_id
            .as_ref()
            .and_then(|id| self.invoice_numbers.get(id))
            .cloned()
            .unwrap_or_default()
    }

    /// One record as the report's text cells.
    fn cells(&self, r: &UsageRecord) -> [String; 9] {
        [
            r.started_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            r.from.clone(),
            r.to.clone(),
            hms(r.duration_secs.into()),
            r.duration_secs.to_string(),
            r.kind.label().to_string(),
            r.charge.to_string(),
            r.charge.currency.clone(),
            self.invoice_of(r),
        ]
    }
}

/// Spreadsheets run text cells starting with `=`, `+`, `-` or `@` as
/// formulas; a leading apostrophe keeps such text inert. Amounts are ours,
/// not typed by anyone, and keep their sign.
fn inert(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// The invoice as a PDF: header, account, summary of charges, breakdown.
pub fn invoice_pdf(doc: &InvoiceDocument) -> Vec<u8> {
    let invoice = doc.invoice;
    let mut pdf = Document::new(format!("Invoice {}", invoice.number));
    pdf.heading(&format!("Invoice {}", invoice.number), 18.0);
    pdf.line(&format!("Account Number: {}", invoice.account_id));
    pdf.line(&format!("Name: {}", doc.account_name));
    if let Some(d) = doc.details {
        pdf.line(&format!("Address: {}", d.address));
        pdf.line(&format!("{}, {} {}", d.city, d.state, d.zip));
        pdf.line(&format!("Phone: {}", d.phone));
    }
    pdf.gap();
    pdf.heading("Summary of Charges", 13.0);
    let date = |d: chrono::NaiveDate| d.format("%m/%d/%Y").to_string();
    let summary = [
        ("Invoice Date", date(invoice.invoice_date)),
        ("Due Date", date(invoice.due_date)),
        (
            "Previous Invoice Amount",
            invoice.previous_amount.formatted(),
        ),
        ("Payments", invoice.payments.formatted()),
        ("Adjustments", invoice.adjustments.formatted()),
        ("Balance Forward", invoice.balance_forward().formatted()),
        ("Late Fee", invoice.late_fee.formatted()),
        ("Current Charges", invoice.current_charges.formatted()),
        ("Total Amount Due", invoice.total_due().formatted()),
    ];
    let last = summary.len() - 1;
    for (i, (label, value)) in summary.into_iter().enumerate() {
        let cells = [Cell::left(MARGIN, label), Cell::right(300.0, value)];
        pdf.row(&cells, i == last);
    }
    pdf.gap();
    pdf.heading("Charges Breakdown", 13.0);
    for category in charge_categories(doc.lines) {
        pdf.row(&[Cell::left(MARGIN, category.name.as_str())], true);
        for line in &category.lines {
            let cells = [
                Cell::left(MARGIN + 15.0, &line.description),
                Cell::right(RIGHT_EDGE, line.amount.formatted()),
            ];
            pdf.row(&cells, false);
        }
        let cells = [
            Cell::left(MARGIN + 15.0, format!("Total {}", category.name)),
            Cell::right(RIGHT_EDGE, category.total.formatted()),
        ];
        pdf.row(&cells, true);
    }
    pdf.gap();
    let cells = [
        Cell::left(MARGIN, "Current Charges"),
        Cell::right(RIGHT_EDGE, invoice.current_charges.formatted()),
    ];
    pdf.row(&cells, true);
    pdf.finish()
}

/// The call report as CSV: a header row, then one row per call.
pub fn usage_csv(report: &Report) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(COLUMNS);
    for record in report.records {
        let mut cells = report.cells(record);
        for i in [1, 2, 5, 8] {
            cells[i] = inert(&cells[i]);
        }
        let _ = writer.write_record(&cells);
    }
    writer.into_inner().unwrap_or_default()
}

/// The call report as an Excel workbook: one sheet, a header row, one row
/// per call, and a totals row.
pub fn usage_xlsx(report: &Report) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Call Report")?;
    for (col, title) in COLUMNS.iter().chain(&["Charge (cents)"]).enumerate() {
        sheet.write_string_with_format(0, col as u16, *title, &bold)?;
    }
    let mut row = 1u32;
    for record in report.records {
        let cells = report.cells(record);
        for (col, text) in cells.iter().enumerate() {
            if col == 4 {
                sheet.write_number(row, 4, f64::from(record.duration_secs))?;
            } else {
                sheet.write_string(row, col as u16, inert(text))?;
            }
        }
        // Whole cents below 2^53 are exact in a spreadsheet's numbers.
        sheet.write_number(row, 9, record.charge.minor as f64)?;
        row += 1;
    }
    let total = report.total_charge();
    sheet.write_string_with_format(row, 0, "Total", &bold)?;
    sheet.write_string_with_format(row, 3, hms(report.total_seconds()), &bold)?;
    sheet.write_number_with_format(row, 4, report.total_seconds() as f64, &bold)?;
    sheet.write_string_with_format(row, 6, total.to_string(), &bold)?;
    sheet.write_string_with_format(row, 7, &total.currency, &bold)?;
    sheet.write_number_with_format(row, 9, total.minor as f64, &bold)?;
    sheet.autofit();
    workbook.save_to_buffer()
}

/// The call report as a PDF table with a totals row.
pub fn usage_pdf(report: &Report) -> Vec<u8> {
    let mut pdf = Document::new(format!("Call report - account {}", report.account));
    pdf.heading("Bill Charges & Call Report", 16.0);
    pdf.line(&format!("Account Number: {}", report.account));
    pdf.line(&format!("Name: {}", report.account_name));
    pdf.line(&format!("Calls: {}", report.records.len()));
    pdf.gap();
    let columns = [MARGIN, 150.0, 230.0, 330.0, 380.0, 470.0];
    let header = [
        "Date/Time (UTC)",
        "From",
        "To",
        "Duration",
        "Type",
        "Invoice",
    ];
    let mut cells: Vec<Cell> = columns
        .iter()
        .zip(header)
        .map(|(x, h)| Cell::left(*x, h))
        .collect();
    cells.push(Cell::right(RIGHT_EDGE, "Charge"));
    pdf.row(&cells, true);
    for record in report.records {
        let [when, from, to, duration, _, kind, _, _, invoice] = report.cells(record);
        let texts = [when, from, to, duration, kind, invoice];
        let mut cells: Vec<Cell> = columns
            .iter()
            .zip(texts)
            .map(|(x, t)| Cell::left(*x, t))
            .collect();
        cells.push(Cell::right(RIGHT_EDGE, record.charge.formatted()));
        pdf.row(&cells, false);
    }
    let cells = [
        Cell::left(MARGIN, "Total"),
        Cell::left(columns[3], hms(report.total_seconds())),
        Cell::right(RIGHT_EDGE, report.total_charge().formatted()),
    ];
    pdf.row(&cells, true);
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_formula_like_text_is_prefixed() {
        assert_eq!(inert("=1+1"), "'=1+1");
        assert_eq!(inert("-cmd"), "'-cmd");
        assert_eq!(inert("6175550100"), "6175550100");
    }
}
