//! [`CaseReads`] on SQL: the catalog, lists, counts and look-ups.

use super::*;

impl SqlStore {
    /// The cases of these accounts in these states (all states when none
    /// are named), summed from the counters the triggers of migration
    /// 000016 keep: at most accounts x states rows, however many cases.
    async fn counted_cases(&self, accounts: &[String], states: &[CaseState]) -> Result<u64> {
        let ranks: Vec<i16> = states.iter().map(|s| s.rank()).collect();
        let counts: Vec<i64> = with_conn!(self.db, |conn, DB| {
            let mut q = case_counts::table
                .select(case_counts::n)
                .filter(among(case_counts::account_id, accounts))
                .into_boxed::<DB>();
            if !ranks.is_empty() {
                q = q.filter(among(case_counts::state, &ranks));
            }
            q.load(conn).await.map_err(db_error)
        })?;
        Ok(counts.into_iter().map(|n| n.max(0) as u64).sum())
    }

    async fn load_catalog(&self) -> Result<Catalog> {
        let (types, supports, categories) = with_conn!(self.db, |conn| {
            let types: Vec<(String, String, String, bool)> = case_types::table
                .order(case_types::position)
                .select((
                    case_types::code,
                    case_types::name,
                    case_types::description,
                    case_types::customer_creatable,
                ))
                .load(conn)
                .await
                .map_err(db_error)?;
            let supports: Vec<(String, String, String)> = support_case_types::table
                .order(support_case_types::position)
                .select((
                    support_case_types::code,
                    support_case_types::case_type,
                    support_case_types::name,
                ))
                .load(conn)
                .await
                .map_err(db_error)?;
            let categories: Vec<(String, String, String)> = case_categories::table
                .order(case_categories::position)
                .select((
                    case_categories::support_case_type,
                    case_categories::code,
                    case_categories::name,
                ))
                .load(conn)
                .await
                .map_err(db_error)?;
            Ok::<_, Error>((types, supports, categories))
        })?;
        Ok(Catalog {
            case_types: types
                .into_iter()
                .map(|(code, name, description, customer_creatable)| CaseType {
                    support_case_types: supports
                        .iter()
                        .filter(|(_, parent, _)| *parent == code)
                        .map(|(scode, _, sname)| SupportCaseType {
                            code: scode.clone(),
                            name: sname.clone(),
                            categories: categories
                                .iter()
                                .filter(|(parent, _, _)| parent == scode)
                                .map(|(_, ccode, cname)| Category {
                                    code: ccode.clone(),
                                    name: cname.clone(),
                                })
                                .collect(),
                        })
                        .collect(),
                    code,
                    name,
                    description,
                    customer_creatable,
                })
                .collect(),
        })
    }
}

#[async_trait]
impl CaseReads for SqlStore {
    fn backend(&self) -> &'static str {
        crate::BACKEND
    }

    async fn catalog(&self) -> Result<Arc<Catalog>> {
        if let Some(catalog) = self.catalog.fresh() {
            return Ok(catalog);
        }
        let catalog = Arc::new(self.load_catalog().await?);
        self.catalog.store(catalog.clone());
        Ok(catalog)
    }

    async fn list_cases(
        &self,
        scope: &Scope,
        filter: &CaseFilter,
        order: CaseOrder,
        page: &PageRequest,
    ) -> Result<Page<Case>> {
        let ordering = order.name();
        let cursor = page
            .after
            .as_deref()
            .map(|raw| Cursor::decode(raw, &ordering))
            .transpose()?;
        let accounts = scope.narrow(&filter.accounts);
        let limit = page.first as i64 + 1;
        // Few distinct states and priorities: SQLite reads these pages group by group.
        let grouped = self.db.backend() == crate::Backend::Sqlite
            && matches!(
                order.field,
                CaseOrderField::State | CaseOrderField::Priority
            );
        let rows: Vec<CaseRow> = with_conn!(self.db, |conn, DB| {
            if grouped && let Some(c) = &cursor {
                let key = c.key_i64()? as i16;
                let dir = order.direction;
                if order.field == CaseOrderField::State {
                    load_in_groups!(
                        conn,
                        filtered_cases!(CaseRow::as_select(), filter, &accounts, DB),
                        cases::state,
                        dir,
                        (key, c.i),
                        limit
                    )
                } else {
                    load_in_groups!(
                        conn,
                        filtered_cases!(CaseRow::as_select(), filter, &accounts, DB),
                        cases::priority,
                        dir,
                        (key, c.i),
                        limit
                    )
                }
            } else {
                let mut q = filtered_cases!(CaseRow::as_select(), filter, &accounts, DB);
                let dir = order.direction;
                match order.field {
                    CaseOrderField::Number => {
                        let key = cursor.as_ref().map(|c| (c.k.clone(), c.i));
                        seek!(q, cases::number, dir, key);
                    }
                    CaseOrderField::Opened => {
                        let key = cursor
                            .as_ref()
                            .map(|c| from_micros(c).map(|k| (k, c.i)))
                            .transpose()?;
                        seek!(q, cases::opened_at, dir, key);
                    }
                    CaseOrderField::Updated => {
                        let key = cursor
                            .as_ref()
                            .map(|c| from_micros(c).map(|k| (k, c.i)))
                            .transpose()?;
                        seek!(q, cases::updated_at, dir, key);
                    }
                    CaseOrderField::State => {
                        let key = cursor
                            .as_ref()
                            .map(|c| c.key_i64().map(|k| (k as i16, c.i)))
                            .transpose()?;
                        seek!(q, cases::state, dir, key);
                    }
                    CaseOrderField::Priority => {
                        let key = cursor
                            .as_ref()
                            .map(|c| c.key_i64().map(|k| (k as i16, c.i)))
                            .transpose()?;
                        seek!(q, cases::priority, dir, key);
                    }
                }
                q.limit(limit).load(conn).await.map_err(db_error)
            }
        })?;
        Ok(page_of(
            rows,
            page.first,
            |row| Cursor {
                o: ordering.clone(),
                k: sort_key(row, order.field),
                i: row.id,
            },
            CaseRow::into_domain,
        ))
    }

    async fn count_cases(&self, scope: &Scope, filter: &CaseFilter) -> Result<u64> {
        let accounts = scope.narrow(&filter.accounts);
        if filter.by_accounts_and_states_only() {
            return self.counted_cases(&accounts, &filter.states).await;
        }
        let n: i64 = with_conn!(self.db, |conn, DB| {
            filtered_cases!(diesel::dsl::count_star(), filter, &accounts, DB)
                .get_result(conn)
                .await
                .map_err(db_error)
        })?;
        Ok(n.max(0) as u64)
    }

    async fn cases_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Case>> {
        let rows = scoped_rows_in!(self.db, cases, CaseRow, id, ids, scope, cases::id)?;
        Ok(rows.into_iter().map(CaseRow::into_domain).collect())
    }

    async fn case_by_number(&self, scope: &Scope, number: &str) -> Result<Case> {
        let number = number.trim().to_ascii_uppercase();
        let row: Option<CaseRow> = with_conn!(self.db, |conn| {
            cases::table
                .filter(cases::number.eq(&number))
                .filter(among(cases::account_id, scope.accounts()))
                .select(CaseRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(db_error)
        })?;
        row.map(CaseRow::into_domain)
            .ok_or_else(|| Error::not_found(format!("case {number}")))
    }
}
