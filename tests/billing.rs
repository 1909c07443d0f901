//! Billing end to end, on SQLite and PostgreSQL: who may see it, invoices
//! (order, search, pages, the summary of charges to the cent), the payment
//! portal link, call reports, and the downloads opened and read (CSV parsed,
//! the workbook opened, the PDFs' text extracted).

mod common;

use common::{ACCOUNT_A, ACCOUNT_B, Gateway, PRIMARY_A, PRIMARY_B, STANDARD_A};
use serde_json::{Value, json};

const ALTERNATE_A: &str = "alex.alternate@harborfreight.example";
const BILLING_A: &str = "bailey.billing@harborfreight.example";
const MULTI: &str = "morgan.multi@partner.example";

const MONEY: &str = "{ amount currency minorUnits }";

/// Exact cents of a decimal string such as `-666.78` (no float involved).
fn parse_cents(text: &str) -> i64 {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').expect("two decimals");
    assert_eq!(fraction.len(), 2, "{text}");
    let value: i64 = whole.parse::<i64>().unwrap() * 100 + fraction.parse::<i64>().unwrap();
    if negative { -value } else { value }
}

/// Exact cents of a `Money` object, checking its minor units agree.
fn cents(money: &Value) -> i64 {
    let text = money["amount"]
        .as_str()
        .unwrap_or_else(|| panic!("money: {money}"));
    let value = parse_cents(text);
    assert_eq!(money["minorUnits"], value.to_string(), "minor units agree");
    assert_eq!(money["currency"], "USD");
    value
}

async fn invoices(gw: &Gateway, token: &str, account: &str, args: &str) -> Value {
    let query = format!(
        "query($account: ID!) {{ billing(accountId: $account) {{ invoices({args}) {{
            totalCount pageInfo {{ hasNextPage endCursor }}
            nodes {{ id number invoiceDate dueDate }} }} }} }}"
    );
    gw.data(token, &query, json!({ "account": account })).await["billing"]["invoices"].clone()
}

async fn first_invoice(gw: &Gateway, token: &str, account: &str) -> (String, String) {
    let page = invoices(gw, token, account, "first: 1").await;
    let node = &page["nodes"][0];
    (
        node["id"].as_str().unwrap().to_string(),
        node["number"].as_str().unwrap().to_string(),
    )
}

async fn billing_roles_see_billing_and_others_do_not(gw: Gateway) {
    let query = "query($account: ID!) { me { name } billing(accountId: $account) {
        accountId details { accountNumber address cityState zip phone notificationEmail }
        summary { dueDate totalDue { amount } latestInvoice { number } } } }";
    for email in [PRIMARY_A, ALTERNATE_A, BILLING_A, MULTI] {
        let token = gw.token(email).await;
        let data = gw
            .data(&token, query, json!({ "account": ACCOUNT_A }))
            .await;
        let billing = &data["billing"];
        assert_eq!(billing["details"]["accountNumber"], ACCOUNT_A, "{email}");
        assert!(
            billing["details"]["notificationEmail"]
                .as_str()
                .unwrap()
                .contains('@')
        );
        assert!(
            billing["summary"]["latestInvoice"]["number"]
                .as_str()
                .unwrap()
                .starts_with("INV")
        );
    }
    // A STANDARD user: the billing field alone fails, `me` still resolves.
    let token = gw.token(STANDARD_A).await;
    let (status, body) = gw
        .post(&token, query, json!({ "account": ACCOUNT_A }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["me"]["name"], "Sam Standard");
    assert!(body["data"]["billing"].is_null());
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    assert_eq!(body["errors"][0]["path"], json!(["billing"]));
    // Another customer's account is not found, for every role.
    for email in [PRIMARY_A, STANDARD_A] {
        let token = gw.token(email).await;
        let code = gw
            .error_code(&token, query, json!({ "account": ACCOUNT_B }))
            .await;
        assert_eq!(code, "NOT_FOUND", "{email}");
    }
    // The overview widget lists only accounts where the rule holds.
    let summaries = "{ billingSummaries { account { id } dueDate totalDue { amount } } }";
    let count = |data: Value| data["billingSummaries"].as_array().unwrap().len();
    assert_eq!(count(gw.data(&token, summaries, json!({})).await), 0);
    let multi = gw.token(MULTI).await;
    let both = gw.data(&multi, summaries, json!({})).await;
    assert_eq!(count(both.clone()), 2, "{both}");
    let riley = gw.token("riley.standard@disneysprings.example").await;
    assert_eq!(count(gw.data(&riley, summaries, json!({})).await), 0);
}

async fn invoice_lists_order_search_and_page(gw: Gateway) {
    let token = gw.token(BILLING_A).await;
    let newest = invoices(&gw, &token, ACCOUNT_A, "first: 100").await;
    assert_eq!(newest["totalCount"], 12);
    let dates: Vec<&str> = newest["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["invoiceDate"].as_str().unwrap())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted, "newest first by default");
    let oldest = invoices(
        &gw,
        &token,
        ACCOUNT_A,
        "first: 1, orderBy: { direction: ASC }",
    )
    .await;
    assert_eq!(oldest["nodes"][0]["invoiceDate"], *dates.last().unwrap());
    // Pages of 5 cover the list once.
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let args = match &after {
            Value::String(cursor) => format!("first: 5, after: \"{cursor}\""),
            _ => "first: 5".to_string(),
        };
        let page = invoices(&gw, &token, ACCOUNT_A, &args).await;
        for node in page["nodes"].as_array().unwrap() {
            seen.push(node["invoiceDate"].as_str().unwrap().to_string());
        }
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, dates);
    // Search by part of the number, case-insensitively.
    let target = newest["nodes"][4]["number"].as_str().unwrap();
    let tail = &target[target.len() - 4..];
    let found = invoices(
        &gw,
        &token,
        ACCOUNT_A,
        &format!("search: \"{}\"", target.to_lowercase()),
    )
    .await;
    let numbers: Vec<&str> = found["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["number"].as_str().unwrap())
        .collect();
    assert!(numbers.contains(&target), "{numbers:?}");
    assert_eq!(found["totalCount"], numbers.len());
    let by_tail = invoices(&gw, &token, ACCOUNT_A, &format!("search: \"{tail}\"")).await;
    let tails = by_tail["nodes"].as_array().unwrap();
    assert!(tails.iter().any(|n| n["number"] == target));
    assert!(
        tails
            .iter()
            .all(|n| n["number"].as_str().unwrap().contains(tail))
    );
    // Another customer's invoice is not found through this account.
    let dana = gw.token(PRIMARY_B).await;
    let (their_id, their_number) = first_invoice(&gw, &dana, ACCOUNT_B).await;
    let by_id =
        "query($a: ID!, $id: ID) { billing(accountId: $a) { invoice(id: $id) { number } } }";
    let code = gw
        .error_code(&token, by_id, json!({ "a": ACCOUNT_A, "id": their_id }))
        .await;
    assert_eq!(code, "NOT_FOUND");
    let by_number =
        "query($a: ID!, $n: String) { billing(accountId: $a) { invoice(number: $n) { number } } }";
    let code = gw
        .error_code(
            &token,
            by_number,
            json!({ "a": ACCOUNT_A, "n": their_number }),
        )
        .await;
    assert_eq!(code, "NOT_FOUND");
    let bad = "query($a: ID!) { billing(accountId: $a) { invoices(first: 101) { totalCount } } }";
    let code = gw.error_code(&token, bad, json!({ "a": ACCOUNT_A })).await;
    assert_eq!(code, "BAD_USER_INPUT");
}

async fn summary_of_charges_adds_up_to_the_cent(gw: Gateway) {
    let token = gw.token(PRIMARY_A).await;
    let query = format!(
        "query($a: ID!) {{ billing(accountId: $a) {{
            summary {{ totalDue {MONEY} latestInvoice {{ id }} }}
            invoices(first: 12) {{ nodes {{ id number
                previousAmount {MONEY} payments {MONEY} adjustments {MONEY}
                balanceForward {MONEY} lateFee {MONEY} currentCharges {MONEY} totalDue {MONEY}
                charges {{ category description position amount {MONEY} }}
                chargeCategories {{ name total {MONEY} lines {{ amount {MONEY} }} }}
            }} }} }} }}"
    );
    let data = gw.data(&token, &query, json!({ "a": ACCOUNT_A })).await;
    let nodes = data["billing"]["invoices"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 12);
    let mut late_fees = 0;
    for invoice in nodes {
        let lines: i64 = invoice["charges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| cents(&c["amount"]))
            .sum();
        assert_eq!(
            lines,
            cents(&invoice["currentCharges"]),
            "{}",
            invoice["number"]
        );
        let by_category: i64 = invoice["chargeCategories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| cents(&c["total"]))
            .sum();
        assert_eq!(by_category, lines);
        let forward = cents(&invoice["previousAmount"])
            + cents(&invoice["payments"])
            + cents(&invoice["adjustments"]);
        assert_eq!(cents(&invoice["balanceForward"]), forward);
        let total = forward + cents(&invoice["lateFee"]) + cents(&invoice["currentCharges"]);
        assert_eq!(cents(&invoice["totalDue"]), total);
        late_fees += i64::from(cents(&invoice["lateFee"]) > 0);
    }
    assert!(late_fees > 0, "the dataset has a late fee somewhere");
    // Each invoice's previous amount is the one before it's total due.
    for pair in nodes.windows(2) {
        assert_eq!(
            cents(&pair[0]["previousAmount"]),
            cents(&pair[1]["totalDue"])
        );
    }
    let summary = &data["billing"]["summary"];
    assert_eq!(summary["latestInvoice"]["id"], nodes[0]["id"]);
    assert_eq!(cents(&summary["totalDue"]), cents(&nodes[0]["totalDue"]));
}

async fn pay_invoices_links_to_the_payment_portal(gw: Gateway) {
    let token = gw.token(BILLING_A).await;
    let (id, number) = first_invoice(&gw, &token, ACCOUNT_A).await;
    let query = "query($a: ID!, $i: ID) { billing(accountId: $a) { paymentUrl(invoiceId: $i) } }";
    let data = gw
        .data(&token, query, json!({ "a": ACCOUNT_A, "i": id }))
        .await;
    let url = data["billing"]["paymentUrl"].as_str().unwrap();
    assert_eq!(
        url,
        format!("https://pay.billing.example/accounts/{ACCOUNT_A}?invoice={number}")
    );
    let data = gw
        .data(&token, query, json!({ "a": ACCOUNT_A, "i": null }))
        .await;
    assert!(
        data["billing"]["paymentUrl"]
            .as_str()
            .unwrap()
            .ends_with("invoice=")
    );
    let dana = gw.token(PRIMARY_B).await;
    let (theirs, _) = first_invoice(&gw, &dana, ACCOUNT_B).await;
    let code = gw
        .error_code(&token, query, json!({ "a": ACCOUNT_A, "i": theirs }))
        .await;
    assert_eq!(code, "NOT_FOUND");
}

async fn call_reports_filter_page_and_total(gw: Gateway) {
    let token = gw.token(PRIMARY_A).await;
    let query = format!(
        "query($a: ID!, $after: String) {{ billing(accountId: $a) {{ invoices(first: 1) {{ nodes {{
            charges {{ category amount {MONEY} }}
            usage(first: 10, after: $after) {{
                pageInfo {{ hasNextPage endCursor }}
                totals {{ count durationSeconds charge {MONEY} }}
                nodes {{ startedAt from to durationSeconds duration kind charge {MONEY} }}
            }} }} }} }} }}"
    );
    let mut after = Value::Null;
    let mut charged = 0;
    let mut calls = 0;
    let mut starts = Vec::new();
    let (usage_line, totals) = loop {
        let data = gw
            .data(&token, &query, json!({ "a": ACCOUNT_A, "after": after }))
            .await;
        let invoice = &data["billing"]["invoices"]["nodes"][0];
        let usage = &invoice["usage"];
        for call in usage["nodes"].as_array().unwrap() {
            charged += cents(&call["charge"]);
            calls += 1;
            starts.push(call["startedAt"].as_str().unwrap().to_string());
        }
        if usage["pageInfo"]["hasNextPage"] != true {
            let line = invoice["charges"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["category"] == "Usage Charges")
                .map(|c| cents(&c["amount"]));
            break (line, usage["totals"].clone());
        }
        after = usage["pageInfo"]["endCursor"].clone();
    };
    assert_eq!(calls, 25, "a demo account's invoice bills 25 calls");
    assert_eq!(totals["count"], calls);
    assert_eq!(
        cents(&totals["charge"]),
        charged,
        "call charges add up to the cent"
    );
    assert_eq!(
        usage_line,
        Some(charged),
        "the invoice's usage line is the calls' sum"
    );
    let mut sorted = starts.clone();
    sorted.sort();
    assert_eq!(starts, sorted, "oldest call first");
    // Filters: kind and number; a malformed number is refused.
    let filtered = "query($a: ID!, $f: UsageFilter) { billing(accountId: $a) {
        usage(filter: $f, first: 100) { nodes { kind to from } totals { count } } } }";
    let f = json!({ "kinds": ["INTERNATIONAL"] });
    let data = gw
        .data(&token, filtered, json!({ "a": ACCOUNT_A, "f": f }))
        .await;
    let nodes = data["billing"]["usage"]["nodes"].as_array().unwrap();
    assert!(!nodes.is_empty());
    assert!(
        nodes
            .iter()
            .all(|n| n["kind"] == "INTERNATIONAL" && n["to"].as_str().unwrap().starts_with("011"))
    );
    let f = json!({ "number": "12a" });
    let (_, body) = gw
        .post(&token, filtered, json!({ "a": ACCOUNT_A, "f": f }))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "filter.number");
}

async fn listing_invoices_with_charges_costs_the_same_for_any_page(gw: Gateway) {
    let token = gw.token(PRIMARY_A).await;
    let query = "query($a: ID!, $n: Int!) { billing(accountId: $a) { invoices(first: $n) {
        totalCount nodes { number totalDue { amount } charges { description amount { amount } } } } } }";
    gw.data(&token, query, json!({ "a": ACCOUNT_A, "n": 1 }))
        .await;
    let mut costs = Vec::new();
    for n in [2, 12] {
        let before = gw.store.db().statements_run();
        let data = gw
            .data(&token, query, json!({ "a": ACCOUNT_A, "n": n }))
            .await;
        costs.push(gw.store.db().statements_run() - before);
        assert_eq!(
            data["billing"]["invoices"]["nodes"]
                .as_array()
                .unwrap()
                .len(),
            n as usize
        );
    }
    assert_eq!(
        costs[0], costs[1],
        "2 invoices cost {} statements, 12 cost {}",
        costs[0], costs[1]
    );
    assert!(
        costs[1] <= 3,
        "a page with charges and a count costs {} statements",
        costs[1]
    );
}

/// GETs `url` with `token` (none: no Authorization header).
async fn download(gw: &Gateway, token: Option<&str>, url: &str) -> (u16, String, Vec<u8>) {
    let mut request = gw.http.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (
        status,
        content_type,
        response.bytes().await.unwrap().to_vec(),
    )
}

/// The error code of a JSON error body.
fn code(body: &[u8]) -> String {
    let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    value["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Every page's text.
fn pdf_text(bytes: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(bytes).expect("a readable PDF");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).expect("text")
}

async fn invoice_downloads_are_readable_pdfs(gw: Gateway) {
    let token = gw.token(BILLING_A).await;
    let query = "query($a: ID!) { billing(accountId: $a) { invoices(first: 1) { nodes {
        number downloadUrl totalDue { formatted } currentCharges { formatted }
        charges { description } } } } }";
    let data = gw.data(&token, query, json!({ "a": ACCOUNT_A })).await;
    let invoice = &data["billing"]["invoices"]["nodes"][0];
    let url = invoice["downloadUrl"]
        .as_str()
        .unwrap()
        .replace(&format!("http://{}", gw.addr), &gw.base);
    let (status, content_type, bytes) = download(&gw, Some(&token), &url).await;
    assert_eq!(status, 200);
    assert_eq!(content_type, "application/pdf");
    let text = pdf_text(&bytes);
    let number = invoice["number"].as_str().unwrap();
    for expected in [
        number,
        ACCOUNT_A,
        "Harbor Freight Tools USA Inc.",
        "Summary of Charges",
        "Balance Forward",
        "Total Amount Due",
        "Charges Breakdown",
        invoice["totalDue"]["formatted"].as_str().unwrap(),
        invoice["currentCharges"]["formatted"].as_str().unwrap(),
        invoice["charges"][0]["description"].as_str().unwrap(),
    ] {
        assert!(
            text.contains(expected),
            "the PDF shows `{expected}`:\n{text}"
        );
    }
    // A STANDARD user of the account is forbidden; another customer sees nothing.
    let sam = gw.token(STANDARD_A).await;
    let (status, _, body) = download(&gw, Some(&sam), &url).await;
    assert_eq!((status, code(&body).as_str()), (403, "FORBIDDEN"));
    let dana = gw.token(PRIMARY_B).await;
    let (status, _, body) = download(&gw, Some(&dana), &url).await;
    assert_eq!((status, code(&body).as_str()), (404, "NOT_FOUND"));
    let (status, _, _) = download(&gw, None, &url).await;
    assert_eq!(status, 401);
    let (status, _, _) = download(
        &gw,
        Some(&token),
        &format!("{}/invoices/999999.pdf", gw.base),
    )
    .await;
    assert_eq!(status, 404);
}

async fn call_report_exports_open_and_add_up(gw: Gateway) {
    let token = gw.token(PRIMARY_A).await;
    let query = "query($a: ID!) { billing(accountId: $a) {
        invoices(first: 1) { nodes { id number usage(first: 1) { totals { count charge { amount formatted minorUnits } } } } } } }";
    let data = gw.data(&token, query, json!({ "a": ACCOUNT_A })).await;
    let invoice = &data["billing"]["invoices"]["nodes"][0];
    let totals = &invoice["usage"]["totals"];
    let total_cents: i64 = totals["charge"]["minorUnits"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let export =
        "query($a: ID!, $f: ExportFormat!, $filter: UsageFilter) { billing(accountId: $a) {
        usageExport(format: $f, filter: $filter) { url contentType } } }";
    let filter = json!({ "invoiceId": invoice["id"] });
    let url_of = |data: Value| {
        data["billing"]["usageExport"]["url"]
            .as_str()
            .unwrap()
            .replace(&format!("http://{}", gw.addr), &gw.base)
    };
    // CSV: parsed, one row per call, charges summing to the total.
    let data = gw
        .data(
            &token,
            export,
            json!({ "a": ACCOUNT_A, "f": "CSV", "filter": filter }),
        )
        .await;
    let csv_url = url_of(data);
    let (status, content_type, bytes) = download(&gw, Some(&token), &csv_url).await;
    assert_eq!(status, 200);
    assert_eq!(content_type, "text/csv");
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header = reader.headers().unwrap().clone();
    assert_eq!(&header[0], "Date/Time (UTC)");
    assert_eq!(&header[6], "Charge");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len() as u64, totals["count"].as_u64().unwrap());
    let summed: i64 = rows.iter().map(|r| parse_cents(&r[6])).sum();
    assert_eq!(summed, total_cents, "the CSV's charges add up to the cent");
    assert!(
        rows.iter()
            .all(|r| &r[8] == invoice["number"].as_str().unwrap())
    );
    // XLSX: opened, the cents column sums to the total row and the total.
    let data = gw
        .data(
            &token,
            export,
            json!({ "a": ACCOUNT_A, "f": "XLSX", "filter": filter }),
        )
        .await;
    let (status, content_type, bytes) = download(&gw, Some(&token), &url_of(data)).await;
    assert_eq!(status, 200);
    assert!(content_type.contains("spreadsheetml"), "{content_type}");
    use calamine::Reader;
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("an xlsx");
    let sheet = workbook.worksheet_range("Call Report").expect("the sheet");
    let rows: Vec<&[calamine::Data]> = sheet.rows().collect();
    assert_eq!(rows.len(), rows_expected(totals));
    let cell_cents = |cell: &calamine::Data| match cell {
        calamine::Data::Float(f) => *f as i64,
        calamine::Data::Int(i) => *i,
        other => panic!("a number of cents, got {other:?}"),
    };
    let body_sum: i64 = rows[1..rows.len() - 1]
        .iter()
        .map(|r| cell_cents(&r[9]))
        .sum();
    let last = rows[rows.len() - 1];
    assert_eq!(last[0].to_string(), "Total");
    assert_eq!(body_sum, total_cents);
    assert_eq!(cell_cents(&last[9]), total_cents);
    assert_eq!(
        last[6].to_string(),
        totals["charge"]["amount"].as_str().unwrap()
    );
    // PDF: the account and the exact total appear.
    let data = gw
        .data(
            &token,
            export,
            json!({ "a": ACCOUNT_A, "f": "PDF", "filter": filter }),
        )
        .await;
    let pdf_url = url_of(data);
    let (status, content_type, bytes) = download(&gw, Some(&token), &pdf_url).await;
    assert_eq!((status, content_type.as_str()), (200, "application/pdf"));
    let text = pdf_text(&bytes);
    for expected in [
        ACCOUNT_A,
        "Call Report",
        totals["charge"]["formatted"].as_str().unwrap(),
    ] {
        assert!(
            text.contains(expected),
            "the report shows `{expected}`:\n{text}"
        );
    }
    // Roles and scoping hold for every format; bad input changes nothing.
    let sam = gw.token(STANDARD_A).await;
    let dana = gw.token(PRIMARY_B).await;
    for url in [&csv_url, &pdf_url] {
        let (status, _, body) = download(&gw, Some(&sam), url).await;
        assert_eq!((status, code(&body).as_str()), (403, "FORBIDDEN"));
        let (status, _, body) = download(&gw, Some(&dana), url).await;
        assert_eq!((status, code(&body).as_str()), (404, "NOT_FOUND"));
    }
    for ext in ["csv", "xlsx", "pdf"] {
        let other = format!("{}/usage.{ext}?account={ACCOUNT_B}", gw.base);
        let (status, _, body) = download(&gw, Some(&token), &other).await;
        assert_eq!((status, code(&body).as_str()), (404, "NOT_FOUND"), "{ext}");
        let bad = format!(
            "{}/usage.{ext}?account={ACCOUNT_A}&filter=%7B%22number%22%3A%22x%22%7D",
            gw.base
        );
        let (status, _, body) = download(&gw, Some(&token), &bad).await;
        assert_eq!(
            (status, code(&body).as_str()),
            (400, "BAD_USER_INPUT"),
            "{ext}"
        );
    }
}

/// Header, one row per call, totals.
fn rows_expected(totals: &Value) -> usize {
    totals["count"].as_u64().unwrap() as usize + 2
}

on_both_backends!(
    billing_roles_see_billing_and_others_do_not,
    invoice_lists_order_search_and_page,
    summary_of_charges_adds_up_to_the_cent,
    pay_invoices_links_to_the_payment_portal,
    call_reports_filter_page_and_total,
    listing_invoices_with_charges_costs_the_same_for_any_page,
    invoice_downloads_are_readable_pdfs,
    call_report_exports_open_and_add_up,
);
