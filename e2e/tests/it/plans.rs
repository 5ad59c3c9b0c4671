//! The hot batch statements stay on their indexes. A prepared statement's generic plan is made once, typically
//! while the tables are still small, and then kept: a join on `unnest($1)` planned that way hashes a sequential
//! scan of the whole table, which is invisible in short tests and reads every row of a grown table per batch.
//! `plan_cache_mode = force_generic_plan` on analyzed empty tables (the statistics of a fresh install) shows the
//! plan each statement would be stuck with, on a connection of the services' pool (`infra::db::pool`).

use e2e::Env;

async fn generic_plan(client: &tokio_postgres::Client, sql: &str, arguments: &str) -> String {
    client
        .batch_execute(&format!(
            "SET plan_cache_mode = force_generic_plan; DEALLOCATE ALL; PREPARE hot AS {sql}"
        ))
        .await
        .unwrap();
    let rows = client
        .simple_query(&format!("EXPLAIN EXECUTE hot({arguments})"))
        .await
        .unwrap();
    rows.iter()
        .filter_map(|message| match message {
            tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn the_hot_batch_statements_never_scan_a_whole_table() {
    let env = Env::new().await;
    let pool = env.pool().await;
    let client = pool.get().await.unwrap();
    client
        .batch_execute(
            "ANALYZE processed_events, event_actions, event_activity, conversations, conversation_flags, \
             drafts, dispatched_actions",
        )
        .await
        .unwrap();
    let statements = [
        (
            "worker ledger lookup",
            worker::ledger::STORED_ACTIONS,
            "'{a,b}'",
        ),
        (
            "worker state read",
            worker::state::LOAD_CONVERSATIONS,
            "'{acme,acme}', '{1,2}'",
        ),
        (
            "worker activity lookup",
            worker::activity::STORED,
            "'{a,b}'",
        ),
        (
            "dispatcher predecessor check",
            dispatcher::ledger::IS_SETTLED,
            "'acme', 1042, 7",
        ),
        (
            "dispatcher settle",
            dispatcher::ledger::SETTLE,
            "'{a,b}', '{delivered,dead}', '{200,401}', '{NULL,unauthorized}'",
        ),
    ];
    for (name, sql, arguments) in statements {
        let plan = generic_plan(&client, sql, arguments).await;
        assert!(!plan.contains("Seq Scan"), "{name} scans a table:\n{plan}");
        assert!(plan.contains("Index"), "{name} uses no index:\n{plan}");
    }
    drop(client);
    env.cleanup().await;
}
