//! On PostgreSQL, the word search's predicate (`lower(column) LIKE '%word%'`
//! on title and description) can be answered from the trigram indexes
//! instead of scanning the table.

use diesel::QueryableByName;
use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use switchboard_sql::testing::TestDb;

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

#[tokio::test(flavor = "multi_thread")]
async fn word_search_can_use_the_trigram_indexes() {
    let Some(test_db) = TestDb::postgres().await else {
        return;
    };
    test_db.migrated().await;
    let mut conn = AsyncPgConnection::establish(&test_db.url).await.unwrap();
    // Forbid the sequential scan: the plan must then show the indexes,
    // which proves they match the predicate the adapter writes.
    conn.batch_execute("SET enable_seqscan = off")
        .await
        .unwrap();
    let plan: Vec<PlanLine> = diesel::sql_query(
        "EXPLAIN SELECT id FROM cases \
         WHERE lower(title) LIKE '%packet%' ESCAPE '\\' OR lower(description) LIKE '%packet%' ESCAPE '\\'",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let plan: String = plan.into_iter().map(|l| l.line + "\n").collect();
    assert!(plan.contains("cases_title_trgm"), "{plan}");
    assert!(plan.contains("cases_description_trgm"), "{plan}");
    assert!(!plan.contains("Seq Scan"), "{plan}");
}
