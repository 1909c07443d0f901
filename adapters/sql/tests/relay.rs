//! The PostgreSQL event relay: the relay behaviours with several replicas
//! on one database, and what happens when a replica's connections are cut.

use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures::StreamExt;
use switchboard_conformance::relay as behaviours;
use switchboard_core::{Buses, CaseEvent, CaseEventKind};
use switchboard_sql::Db;
use switchboard_sql::relay::{self, RelayOptions, RelayState};
use switchboard_sql::testing::TestDb;

/// One more replica on `db`: its buses, listening, and its origin.
async fn replica_on(db: &Db) -> (Buses, String, RelayState) {
    let (relay, listener) = relay::open(db, RelayOptions::default())
        .await
        .expect("the relay opens");
    let buses = Buses::relayed(relay);
    let (origin, state) = (listener.origin().to_string(), listener.state());
    let deliver = buses.clone();
    listener.spawn(move |message| deliver.deliver(message));
    listening(&state).await;
    (buses, origin, state)
}

async fn listening(state: &RelayState) {
    assert!(
        state.listening_within(Duration::from_secs(10)).await,
        "the relay did not listen within 10 s"
    );
}

macro_rules! behaviours {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(test_db) = TestDb::postgres().await else {
                    return;
                };
                let db = test_db.migrated().await;
                behaviours::$name(|| async { replica_on(&db).await.0 }).await;
            }
        )*
    };
}

behaviours!(
    a_message_reaches_every_replica_once,
    each_bus_keeps_its_messages,
    order_is_kept_from_one_publisher,
);

fn event(case_id: &str) -> CaseEvent {
    CaseEvent {
        kind: CaseEventKind::Updated,
        case_id: case_id.into(),
        case_number: "CS00000000001".into(),
        account_id: "1234567890".into(),
        at: chrono::Utc::now(),
    }
}

/// Ends every connection of the replica `origin` (its listener and its
/// writer), as a database restart or a network cut would.
async fn cut(url: &str, origin: &str) -> usize {
    #[derive(diesel::QueryableByName)]
    struct Cut {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        _done: bool,
    }
    let mut admin = AsyncPgConnection::establish(url).await.unwrap();
    let cut: Vec<Cut> = diesel::sql_query(
        "SELECT pg_terminate_backend(pid) AS _done FROM pg_stat_activity WHERE application_name = $1",
    )
    .bind::<diesel::sql_types::Text, _>(format!("switchboard-events-{origin}"))
    .load(&mut admin)
    .await
    .unwrap();
    cut.len()
}

/// Messages published while a replica's listener was cut off reach it when
/// it listens again, each once; and a publisher whose connection was cut
/// sends what it queued meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_that_lost_its_connection_catches_up() {
    let Some(test_db) = TestDb::postgres().await else {
        return;
    };
    let db = test_db.migrated().await;
    let (a, _, _) = replica_on(&db).await;
    let (b, b_origin, b_state) = replica_on(&db).await;
    let mut heard = b.cases.subscribe();

    a.cases.publish(event("before"));
    assert_eq!(heard.next().await.unwrap().case_id, "before");

    assert_eq!(
        cut(&test_db.url, &b_origin).await,
        2,
        "B's listener and writer"
    );
    // Published while B is away: B reconnects after at least 250 ms.
    for i in 0..20 {
        a.cases.publish(event(&format!("away {i}")));
    }
    for i in 0..20 {
        let got = tokio::time::timeout(Duration::from_secs(15), heard.next())
            .await
            .expect("B catches up within 15 s")
            .unwrap();
        assert_eq!(got.case_id, format!("away {i}"));
    }
    listening(&b_state).await;

    // B publishes after its writer was cut: A hears it.
    let mut at_a = a.cases.subscribe();
    b.cases.publish(event("from B"));
    let got = tokio::time::timeout(Duration::from_secs(15), at_a.next())
        .await
        .expect("A hears B within 15 s")
        .unwrap();
    assert_eq!(got.case_id, "from B");
    a.cases.publish(event("after"));
    assert_eq!(heard.next().await.unwrap().case_id, "from B");
    assert_eq!(heard.next().await.unwrap().case_id, "after");
}
