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

/// Two bucket keys (tenant, dimension, hour, group, shard), and the same with their buckets.
const BUCKETS: &str =
    "'{acme,acme}', '{account,agent}', '{490000,490001}', '{account,agent:12}', '{1,2}'";
const BUCKETS_WITH_VALUES: &str =
    "'{acme,acme}', '{account,agent}', '{490000,490001}', '{account,agent:12}', '{1,2}', '{\"\\\\x00\",\"\\\\x00\"}'";

#[tokio::test]
async fn the_hot_batch_statements_never_scan_a_whole_table() {
    let env = Env::new().await;
    let pool = env.pool().await;
    let client = pool.get().await.unwrap();
    client
        .batch_execute(
            "ANALYZE processed_events, event_actions, event_activity, conversations, conversation_flags, \
             drafts, dispatched_actions, analytics_trackers, analytics_buckets, analytics_counters",
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
            "worker message insert",
            worker::state::INSERT_MESSAGES,
            "'{acme,acme}', '{1,2}', '{7,8}', '{incoming,incoming}', '{f,f}', '{contact,contact}', '{3,4}', \
             '{hi,hello}', '{NULL,NULL}', '{NULL,NULL}', '{text,text}', '{Ann,Bo}', '{f,f}'",
        ),
        (
            "worker contacts upsert",
            worker::contacts::UPSERT_CONTACTS,
            "'{acme,acme}', '{1,2}', '{Ann,NULL}', '{NULL,NULL}', '{NULL,NULL}', '{NULL,NULL}', '{\"{}\",\"{}\"}'",
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
            "'{a,b}', '{delivered,dead}', '{200,401}', '{NULL,unauthorized}', 'delivery_sent', \
             'delivery_retried', 'delivery_dead_lettered', 490000, 1",
        ),
        (
            "analytics tracker load",
            analytics::record::LOAD_TRACKERS,
            "'{acme,acme}', '{1,2}'",
        ),
        (
            "analytics tracker upsert",
            analytics::record::SAVE_TRACKERS,
            "'{acme,acme}', '{1,2}', '{\"{}\",\"{}\"}'",
        ),
        (
            "analytics bucket insert",
            analytics::record::INSERT_BUCKETS,
            BUCKETS_WITH_VALUES,
        ),
        (
            "analytics bucket lock",
            analytics::record::LOCK_BUCKETS,
            BUCKETS,
        ),
        (
            "analytics bucket update",
            analytics::record::UPDATE_BUCKETS,
            BUCKETS_WITH_VALUES,
        ),
        (
            "analytics counters upsert",
            analytics::counters::ADD_COUNTERS,
            "'{acme,acme}', '{490000,490001}', '{handoff,grade}', '{\"\",tone:5}', '{1,2}', '{1,1}', '{0,5}'",
        ),
    ];
    for (name, sql, arguments) in statements {
        let plan = generic_plan(&client, sql, arguments).await;
        assert!(!plan.contains("Seq Scan"), "{name} scans a table:\n{plan}");
        // On empty tables every index of `conversations` that starts with the tenant costs the same; only the
        // primary key bounds a lookup by key once the table has grown (V19).
        assert!(
            plan.lines()
                .filter(|line| line.contains(" on conversations "))
                .all(|line| line.contains("conversations_pkey")),
            "{name} reads conversations through another index than its primary key:\n{plan}"
        );
        // An insert of unnested rows without a conflict target reads no table, hence needs no index.
        let reads_a_table = plan
            .lines()
            .any(|line| line.contains(" Scan on ") && !line.contains("Function Scan on unnest"));
        assert!(
            plan.contains("Index") || !reads_a_table,
            "{name} uses no index:\n{plan}"
        );
        // An index scan without a condition reads the whole index, and the table with it: as bad as a Seq Scan.
        let index_scans = plan.lines().filter(|l| l.contains("Index Scan")).count();
        let conditions = plan.lines().filter(|l| l.contains("Index Cond:")).count();
        assert!(
            conditions >= index_scans,
            "{name} scans a whole index:\n{plan}"
        );
    }
    drop(client);
    env.cleanup().await;
}

/// The batch statements whose arrays come as `(SELECT $n)` are planned once per connection, not on every execution
/// (see `infra::db`): after a few executions with arrays of different lengths, PostgreSQL runs their cached
/// generic plan. Planning them each time cost more than executing them.
#[tokio::test]
async fn the_batch_statements_are_planned_once() {
    let env = Env::new().await;
    let pool = env.pool().await;
    let client = pool.get().await.unwrap();
    for n in 1..=10_usize {
        let keys: Vec<String> = (0..n).map(|i| format!("acme:k{i}")).collect();
        let tenants = vec!["acme".to_owned(); n];
        let ids: Vec<i64> = (0..n as i64).collect();
        let shards = vec![0_i16; n];
        let statement = client
            .prepare_cached(worker::ledger::STORED_ACTIONS)
            .await
            .unwrap();
        client.query(&statement, &[&keys]).await.unwrap();
        let statement = client
            .prepare_cached(worker::state::LOAD_CONVERSATIONS)
            .await
            .unwrap();
        client.query(&statement, &[&tenants, &ids]).await.unwrap();
        let states = vec!["delivered"; n];
        let statuses = vec![200_i32; n];
        let errors = vec![None::<&str>; n];
        let statement = client
            .prepare_cached(dispatcher::ledger::SETTLE)
            .await
            .unwrap();
        client
            .execute(
                &statement,
                &[
                    &keys,
                    &states,
                    &statuses,
                    &errors,
                    &"delivery_sent",
                    &"delivery_retried",
                    &"delivery_dead_lettered",
                    &490_000_i64,
                    &1_i16,
                ],
            )
            .await
            .unwrap();
        let statement = client
            .prepare_cached(analytics::record::LOAD_TRACKERS)
            .await
            .unwrap();
        client.query(&statement, &[&tenants, &ids]).await.unwrap();
        let statement = client
            .prepare_cached(analytics::record::LOCK_BUCKETS)
            .await
            .unwrap();
        client
            .query(&statement, &[&tenants, &keys, &ids, &keys, &shards])
            .await
            .unwrap();
    }
    for (name, sql) in [
        ("worker ledger lookup", worker::ledger::STORED_ACTIONS),
        ("worker state read", worker::state::LOAD_CONVERSATIONS),
        ("dispatcher settle", dispatcher::ledger::SETTLE),
        ("analytics tracker load", analytics::record::LOAD_TRACKERS),
        ("analytics bucket lock", analytics::record::LOCK_BUCKETS),
    ] {
        let row = client
            .query_one(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1",
                &[&sql],
            )
            .await
            .unwrap();
        let (generic, custom): (i64, i64) = (row.get(0), row.get(1));
        assert!(
            generic >= 5 && custom <= 5,
            "{name}: {generic} generic and {custom} custom plans in 10 executions"
        );
    }
    drop(client);
    env.cleanup().await;
}
