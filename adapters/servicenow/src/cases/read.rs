//! Reading cases: the record to [`Case`] mapping, filters as encoded
//! queries, keyset pages, counts and batched look-ups.

use std::collections::HashMap;

use std::sync::Arc;

use async_trait::async_trait;
use switchboard_core::cases::{
    Case, CaseFilter, CaseOrder, CaseOrderField, CaseReads, CaseState, Catalog, Direction,
    Priority, SearchToken, list_and_count_apart, search_tokens,
};
use switchboard_core::{Error, Page, PageRequest, Result, Scope};

use crate::cache::Cursor;
use crate::http::HttpError;
use crate::query::{ceil_second, clean, datetime, id_list};
use crate::wire::{Record, date, flag, opt, opt_date, s};
use crate::{BACKEND, Inner, ServiceNow};

/// The case fields every read asks for.
pub(crate) fn case_fields(inner: &Inner) -> Vec<String> {
    let f = &inner.settings.fields;
    let mut out: Vec<String> = [
        "sys_id",
        "number",
        "state",
        "priority",
        "short_description",
        "description",
        "opened_at",
        "sys_updated_on",
        "resolved_at",
        "opened_by.name",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    out.extend([
        f.account.clone(),
        format!("{}.number", f.account),
        format!("{}.name", f.account),
        f.case_type.clone(),
        f.support_case_type.clone(),
        f.category.clone(),
        f.location.clone(),
        f.location_not_listed.clone(),
        f.product.clone(),
        f.product_not_listed.clone(),
        f.contact.clone(),
        f.watch_list.clone(),
    ]);
    out
}

impl Inner {
    /// The conditions of `filter` in `scope`; None when nothing can match.
    pub(crate) fn conditions(&self, scope: &Scope, filter: &CaseFilter) -> Option<Vec<String>> {
        let f = &self.settings.fields;
        let accounts = id_list(&scope.narrow(&filter.accounts));
        if accounts.is_empty() {
            return None;
        }
        let mut c = vec![format!("{}.numberIN{}", f.account, accounts.join(","))];
        if !filter.states.is_empty() {
            let values: Vec<&str> = filter
                .states
                .iter()
                .map(|s| self.values.state_value(*s))
                .collect();
            c.push(format!("stateIN{}", values.join(",")));
        }
        if !filter.priorities.is_empty() {
            let values: Vec<&str> = filter
                .priorities
                .iter()
                .map(|p| self.values.priority_value(*p))
                .collect();
            c.push(format!("priorityIN{}", values.join(",")));
        }
        for (field, list) in [
            (&f.location, &filter.locations),
            (&f.case_type, &filter.case_types),
            (&f.category, &filter.categories),
        ] {
            if !list.is_empty() {
                let ids = id_list(list);
                if ids.is_empty() {
                    return None;
                }
                c.push(format!("{field}IN{}", ids.join(",")));
            }
        }
        for (field, range) in [
            ("opened_at", filter.opened),
            ("sys_updated_on", filter.updated),
        ] {
            if let Some(from) = range.from {
                c.push(format!("{field}>={}", datetime(ceil_second(from))));
            }
            if let Some(to) = range.to {
                c.push(format!("{field}<{}", datetime(ceil_second(to))));
            }
        }
        for token in search_tokens(filter.text.as_deref().unwrap_or("")) {
            match token {
                SearchToken::NumberPrefix(prefix) => c.push(format!("numberSTARTSWITH{prefix}")),
                SearchToken::Word(word) => match clean(word) {
                    word if word.is_empty() => {}
                    word => c.push(format!(
                        "short_descriptionLIKE{word}^ORdescriptionLIKE{word}"
                    )),
                },
            }
        }
        Some(c)
    }

    /// Maps case records, with their authors from the ledger (batched).
    pub(crate) async fn to_cases(&self, rows: &[Record]) -> Result<Vec<Case>> {
        let ids: Vec<String> = rows.iter().map(|r| s(r, "sys_id")).collect();
        let authors = if ids.is_empty() {
            HashMap::new()
        } else {
            self.ledger.authors(BACKEND, &ids).await?
        };
        let f = &self.settings.fields;
        for r in rows {
            self.prime_account(
                &s(r, &f.account),
                &s(r, &format!("{}.number", f.account)),
                &s(r, &format!("{}.name", f.account)),
            );
        }
        rows.iter()
            .map(|r| self.to_case(r, authors.get(&s(r, "sys_id")).cloned()))
            .collect::<Result<Vec<_>, HttpError>>()
            .map_err(|e| e.into_core("cases"))
    }

    pub(crate) fn to_case(&self, r: &Record, author: Option<String>) -> Result<Case, HttpError> {
        let f = &self.settings.fields;
        let account_id = s(r, &format!("{}.number", f.account));
        if account_id.is_empty() {
            return Err(HttpError::Payload(format!(
                "case `{}` has no account number",
                s(r, "number")
            )));
        }
        Ok(Case {
            id: s(r, "sys_id"),
            number: s(r, "number"),
            account_id,
            state: self.values.state(&s(r, "state"))?,
            priority: self.values.priority(&s(r, "priority"))?,
            title: s(r, "short_description"),
            description: s(r, "description"),
            case_type: s(r, &f.case_type),
            support_case_type: s(r, &f.support_case_type),
            category: s(r, &f.category),
            location_id: opt(r, &f.location),
            location_not_listed: flag(r, &f.location_not_listed)?,
            product_id: opt(r, &f.product),
            product_not_listed: flag(r, &f.product_not_listed)?,
            contact_id: opt(r, &f.contact),
            opened_by: author
                .or_else(|| opt(r, "opened_by.name"))
                .unwrap_or_else(|| "System".to_string()),
            opened_at: date(r, "opened_at")?,
            updated_at: date(r, "sys_updated_on")?,
            resolved_at: opt_date(r, "resolved_at")?,
        })
    }

    /// Case records matching `query`.
    pub(crate) async fn case_rows(&self, query: String, limit: usize) -> Result<Vec<Record>> {
        Ok(self.counted_case_rows(query, limit, false).await?.0)
    }

    /// [`Self::case_rows`], with how many match in all when `count` is set.
    async fn counted_case_rows(
        &self,
        query: String,
        limit: usize,
        count: bool,
    ) -> Result<(Vec<Record>, Option<u64>)> {
        let fields = case_fields(self);
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        self.list_counted(&self.settings.tables.case, query, &fields, limit, count)
            .await
            .map_err(|e| e.into_core("cases"))
    }

    /// The case `id` in scope, with its record.
    pub(crate) async fn scoped_case(&self, scope: &Scope, id: &str) -> Result<(Case, Record)> {
        let not_found = || Error::not_found(format!("case {id}"));
        let ids = id_list(&[id.to_string()]);
        let accounts = id_list(scope.accounts());
        if ids.len() != 1 || accounts.is_empty() {
            return Err(not_found());
        }
        let query = format!(
            "sys_id={}^{}.numberIN{}",
            ids[0],
            self.settings.fields.account,
            accounts.join(",")
        );
        let rows = self.case_rows(query, 1).await?;
        let row = rows.into_iter().next().ok_or_else(not_found)?;
        let case = self
            .to_cases(std::slice::from_ref(&row))
            .await?
            .pop()
            .ok_or_else(not_found)?;
        Ok((case, row))
    }

    pub(crate) async fn cases_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Case>> {
        let ids = id_list(ids);
        let accounts = id_list(scope.accounts());
        if ids.is_empty() || accounts.is_empty() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for chunk in ids.chunks(crate::directory::CHUNK) {
            let query = format!(
                "sys_idIN{}^{}.numberIN{}",
                chunk.join(","),
                self.settings.fields.account,
                accounts.join(",")
            );
            let rows = self.case_rows(query, chunk.len()).await?;
            out.extend(self.to_cases(&rows).await?);
        }
        Ok(out)
    }

    pub(crate) async fn case_by_number(&self, scope: &Scope, number: &str) -> Result<Case> {
        let number = clean(number.trim()).to_ascii_uppercase();
        let not_found = || Error::not_found(format!("case {number}"));
        let accounts = id_list(scope.accounts());
        if accounts.is_empty() || number.is_empty() {
            return Err(not_found());
        }
        let query = format!(
            "number={number}^{}.numberIN{}",
            self.settings.fields.account,
            accounts.join(",")
        );
        let rows = self.case_rows(query, 1).await?;
        self.to_cases(&rows).await?.pop().ok_or_else(not_found)
    }

    pub(crate) async fn count_cases(&self, scope: &Scope, filter: &CaseFilter) -> Result<u64> {
        let Some(conditions) = self.conditions(scope, filter) else {
            return Ok(0);
        };
        self.count(&self.settings.tables.case, conditions.join("^"))
            .await
            .map_err(|e| e.into_core("cases"))
    }

    pub(crate) async fn list_cases(
        &self,
        scope: &Scope,
        filter: &CaseFilter,
        order: CaseOrder,
        page: &PageRequest,
    ) -> Result<Page<Case>> {
        Ok(self
            .listed_cases(scope, filter, order, page, false)
            .await?
            .0)
    }

    /// The first page of an ordering by number, opening or update time
    /// and how many cases match in all, from one request (the total from
    /// its `X-Total-Count`). `None` where one request cannot answer both:
    /// the grouped orderings take a request per group, and after a cursor
    /// the request also holds the cursor's condition.
    pub(crate) async fn counted_first_page(
        &self,
        scope: &Scope,
        filter: &CaseFilter,
        order: CaseOrder,
        page: &PageRequest,
    ) -> Result<Option<(Page<Case>, u64)>> {
        let grouped = matches!(
            order.field,
            CaseOrderField::State | CaseOrderField::Priority
        );
        if grouped || page.after.is_some() {
            return Ok(None);
        }
        let (page, total) = self.listed_cases(scope, filter, order, page, true).await?;
        // No total: nothing in scope to ask about, so nothing matches.
        Ok(Some((page, total.unwrap_or(0))))
    }

    /// One page; `count` asks the same request for the total (meaningful
    /// only without a cursor, and ignored by the grouped orderings).
    async fn listed_cases(
        &self,
        scope: &Scope,
        filter: &CaseFilter,
        order: CaseOrder,
        page: &PageRequest,
        count: bool,
    ) -> Result<(Page<Case>, Option<u64>)> {
        let ordering = order.name();
        let cursor = page
            .after
            .as_deref()
            .map(|raw| Cursor::decode(raw, &ordering))
            .transpose()?;
        let count = count && cursor.is_none();
        let Some(conditions) = self.conditions(scope, filter) else {
            let empty = Page {
                items: Vec::new(),
                has_next_page: false,
            };
            return Ok((empty, None));
        };
        let base = conditions.join("^");
        let mut total = None;
        let want = page.first + 1;
        let (dir_op, tie_op, orderby) = match order.direction {
            Direction::Asc => (">", ">", "ORDERBY"),
            Direction::Desc => ("<", "<", "ORDERBYDESC"),
        };
        let rows = match order.field {
            CaseOrderField::State | CaseOrderField::Priority => {
                self.grouped_rows(&base, filter, order, cursor.as_ref(), want)
                    .await?
            }
            field => {
                let column = match field {
                    CaseOrderField::Number => "number",
                    CaseOrderField::Opened => "opened_at",
                    _ => "sys_updated_on",
                };
                let query = match &cursor {
                    None => format!("{base}^{orderby}{column}^{orderby}sys_id"),
                    Some(c) => {
                        if column != "number" && crate::wire::parse_date(&c.k).is_none() {
                            return Err(Error::invalid(
                                "after",
                                "this cursor is not valid for this list",
                            ));
                        }
                        let key = clean(&c.k);
                        let id = clean(&c.i);
                        format!(
                            "{base}^{column}{dir_op}{key}^NQ{base}^{column}={key}^sys_id{tie_op}{id}^{orderby}{column}^{orderby}sys_id"
                        )
                    }
                };
                let (rows, counted) = self.counted_case_rows(query, want, count).await?;
                total = counted;
                rows
            }
        };
        let has_next_page = rows.len() > page.first;
        let rows = &rows[..rows.len().min(page.first)];
        let cases = self.to_cases(rows).await?;
        let items = rows
            .iter()
            .zip(cases)
            .map(|(r, case)| {
                let k = match order.field {
                    CaseOrderField::Number => s(r, "number"),
                    CaseOrderField::Opened => s(r, "opened_at"),
                    CaseOrderField::Updated => s(r, "sys_updated_on"),
                    CaseOrderField::State | CaseOrderField::Priority => s(r, order_column(order)),
                };
                let cursor = Cursor {
                    o: ordering.clone(),
                    k,
                    i: case.id.clone(),
                };
                (cursor.encode(), case)
            })
            .collect();
        let page = Page {
            items,
            has_next_page,
        };
        Ok((page, total))
    }

    /// State and priority orderings: one query per value, in the portal's
    /// order (life-cycle for states, urgency for priorities), concatenated.
    async fn grouped_rows(
        &self,
        base: &str,
        filter: &CaseFilter,
        order: CaseOrder,
        cursor: Option<&Cursor>,
        want: usize,
    ) -> Result<Vec<Record>> {
        let column = order_column(order);
        let mut groups: Vec<String> = if order.field == CaseOrderField::State {
            CaseState::ALL
                .iter()
                .filter(|s| filter.states.is_empty() || filter.states.contains(s))
                .map(|s| self.values.state_value(*s).to_string())
                .collect()
        } else {
            Priority::ALL
                .iter()
                .filter(|p| filter.priorities.is_empty() || filter.priorities.contains(p))
                .map(|p| self.values.priority_value(*p).to_string())
                .collect()
        };
        let (tie_op, orderby) = match order.direction {
            Direction::Asc => (">", "ORDERBY"),
            Direction::Desc => {
                groups.reverse();
                ("<", "ORDERBYDESC")
            }
        };
        let mut start = 0;
        if let Some(c) = cursor {
            start = groups
                .iter()
                .position(|g| *g == c.k)
                .ok_or_else(|| Error::invalid("after", "this cursor is not valid for this list"))?;
        }
        let mut rows = Vec::new();
        for (n, group) in groups.iter().enumerate().skip(start) {
            let mut query = format!("{base}^{column}={group}");
            if let Some(c) = cursor
                && n == start
            {
                query.push_str(&format!("^sys_id{tie_op}{}", clean(&c.i)));
            }
            query.push_str(&format!("^{orderby}sys_id"));
            rows.extend(self.case_rows(query, want - rows.len()).await?);
            if rows.len() >= want {
                break;
            }
        }
        Ok(rows)
    }
}

fn order_column(order: CaseOrder) -> &'static str {
    match order.field {
        CaseOrderField::State => "state",
        _ => "priority",
    }
}

#[async_trait]
impl CaseReads for ServiceNow {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn catalog(&self) -> Result<Arc<Catalog>> {
        self.inner.catalog().await
    }

    async fn list_cases(
        &self,
        scope: &Scope,
        filter: &CaseFilter,
        order: CaseOrder,
        page: &PageRequest,
    ) -> Result<Page<Case>> {
        self.inner.list_cases(scope, filter, order, page).await
    }

    async fn count_cases(&self, scope: &Scope, filter: &CaseFilter) -> Result<u64> {
        self.inner.count_cases(scope, filter).await
    }

    async fn list_and_count_cases(
        &self,
        scope: &Scope,
        filter: &CaseFilter,
        order: CaseOrder,
        page: &PageRequest,
    ) -> Result<(Page<Case>, u64)> {
        match self
            .inner
            .counted_first_page(scope, filter, order, page)
            .await?
        {
            Some(answer) => Ok(answer),
            None => list_and_count_apart(self, scope, filter, order, page).await,
        }
    }

    async fn cases_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Case>> {
        self.inner.cases_by_ids(scope, ids).await
    }

    async fn case_by_number(&self, scope: &Scope, number: &str) -> Result<Case> {
        self.inner.case_by_number(scope, number).await
    }
}
