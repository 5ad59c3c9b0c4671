//! The dispatcher against a real PostgreSQL (`TEST_DATABASE_URL`), each test on a database of its own.
#![allow(clippy::unwrap_used)]

mod ledger;
mod ratelimit;

use rand::Rng;

pub struct Db {
    admin: String,
    name: String,
    pub pool: deadpool_postgres::Pool,
    pub ledger: dispatcher::ledger::Ledger,
}

impl Db {
    pub async fn new() -> Self {
        let admin = std::env::var("TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("dispatcher_{:012x}", rand::thread_rng().gen::<u64>() >> 16);
        let (base, _) = admin.rsplit_once('/').unwrap();
        let pool = infra::db::connect_and_migrate(&format!("{base}/{name}"), 4)
            .await
            .unwrap();
        let ledger = dispatcher::ledger::Ledger::new(pool.clone(), std::time::Duration::ZERO);
        Self {
            admin,
            name,
            pool,
            ledger,
        }
    }

    pub async fn drop(self) {
        drop(self.ledger);
        drop(self.pool);
        let (client, connection) = tokio_postgres::connect(&self.admin, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        let _ = client
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await;
    }
}
