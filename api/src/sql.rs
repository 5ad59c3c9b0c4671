//! Statements assembled from the filters a request uses, so each shape gets its own plan (a catch-all
//! `$1 IS NULL OR ...` statement would get one generic plan, good for none of them).

use tokio_postgres::types::ToSql;

pub type Param = Box<dyn ToSql + Sync + Send>;

#[derive(Default)]
pub struct Sql {
    pub text: String,
    params: Vec<Param>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            params: Vec::new(),
        }
    }

    /// Adds a parameter and returns its placeholder (`$n`).
    pub fn param(&mut self, value: impl ToSql + Sync + Send + 'static) -> String {
        self.params.push(Box::new(value));
        format!("${}", self.params.len())
    }

    pub fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// Text before what is there (a `WITH` clause).
    pub fn prepend(&mut self, text: &str) {
        self.text.insert_str(0, text);
    }

    pub fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }

    /// Prepared once per connection and shape, then run.
    pub async fn query(
        &self,
        client: &deadpool_postgres::Client,
    ) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
        let statement = client.prepare_cached(&self.text).await?;
        client.query(&statement, &self.params()).await
    }
}
