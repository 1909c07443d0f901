//! [`AccessRequests`] on SQL: requests for portal access, kept for
//! operators.

use super::*;

type AccessRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    NaiveDateTime,
);

fn access_record(row: AccessRow) -> (i64, AccessRequestRecord) {
    let (
        id,
        name,
        phone,
        email,
        account_name,
        account_number,
        service_address,
        description,
        case_number,
        created_at,
    ) = row;
    (
        id,
        AccessRequestRecord {
            id: id.to_string(),
            request: AccessRequest {
                name,
                phone,
                email,
                account_name,
                account_number,
                service_address,
                description,
            },
            case_number,
            created_at: utc(created_at),
        },
    )
}

macro_rules! access_columns {
    () => {
        (
            access_requests::id,
            access_requests::name,
            access_requests::phone,
            access_requests::email,
            access_requests::account_name,
            access_requests::account_number,
            access_requests::service_address,
            access_requests::description,
            access_requests::case_number,
            access_requests::created_at,
        )
    };
}

#[async_trait]
impl AccessRequests for SqlStore {
    async fn record_access_request(
        &self,
        request: &AccessRequest,
        case_number: Option<&str>,
    ) -> Result<AccessRequestRecord> {
        let request = request.clone().validated()?;
        let at = now();
        let _guard = self.db().write_guard().await;
        let row: AccessRow = with_conn!(self.db(), |conn| {
            diesel::insert_into(access_requests::table)
                .values((
                    access_requests::name.eq(&request.name),
                    access_requests::phone.eq(&request.phone),
                    access_requests::email.eq(&request.email),
                    access_requests::account_name.eq(&request.account_name),
                    access_requests::account_number.eq(&request.account_number),
                    access_requests::service_address.eq(&request.service_address),
                    access_requests::description.eq(&request.description),
                    access_requests::case_number.eq(case_number),
                    access_requests::created_at.eq(at),
                ))
                .returning(access_columns!())
                .get_result(conn)
                .await
                .map_err(db_error)
        })?;
        Ok(access_record(row).1)
    }

    async fn access_requests(&self, page: &PageRequest) -> Result<Page<AccessRequestRecord>> {
        let before = before(page, ACCESS_REQUESTS_ORDER)?;
        let rows: Vec<AccessRow> = with_conn!(self.db(), |conn| {
            access_requests::table
                .filter(access_requests::id.lt(before))
                .order_by(access_requests::id.desc())
                .limit(page.first as i64 + 1)
                .select(access_columns!())
                .load(conn)
                .await
                .map_err(db_error)
        })?;
        let records = rows.into_iter().map(access_record).collect();
        Ok(page_of(records, page.first, ACCESS_REQUESTS_ORDER))
    }
}
