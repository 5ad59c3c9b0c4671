//! Who may change the pipeline.
//!
//! # Design
//!
//! `cwctl` has no accounts of its own; it relies on the two secrets an operator of the deployment already holds
//! and an attacker on the network does not:
//!
//! * **Reading** (`tenants list`, `dlq list`, `replay --dry-run`) needs only the connections themselves
//!   (`DATABASE_URL`, `NATS_URL` with their credentials). Nothing read ever prints a secret: tenants show their
//!   API token and webhook secret as `set`/`unset`.
//! * **Changing** tenants (`add`, `remove`, `set-token`), redriving dead letters and replaying events
//!   additionally need the deployment's `SECRETS_KEY` (`--secrets-key` or env `SECRETS_KEY`, never echoed by
//!   `--help`). Without it these commands stop before touching anything, with exit code 77.
//! * A key is **proved**, not merely well-formed: [`authorize`] opens the sealed API token of the most recently
//!   written tenant. A key that cannot open it is another deployment's key (or a typo) and is refused, so a wrong
//!   key can neither seal a tenant's token into something the services cannot read nor be used to redrive or
//!   replay. With no tenant registered yet (a fresh deployment) any valid key is accepted: the first
//!   `tenants add` establishes it.
//!
//! Mutating functions take an [`Admin`], which only [`authorize`] makes: a code path that forgets the check does
//! not compile. Destructive-looking commands have a `--dry-run` to see first what would happen.

use deadpool_postgres::Pool;
use infra::{SecretBox, SecretsArgs};

use crate::CliError;

/// Proof that the caller holds the deployment's `SECRETS_KEY`.
#[derive(Debug, Clone)]
pub struct Admin {
    secret_box: SecretBox,
}

impl Admin {
    /// The key, to seal and open tenant secrets.
    pub fn secret_box(&self) -> &SecretBox {
        &self.secret_box
    }
}

/// Checks the key as described in the [module documentation](self).
pub async fn authorize(pool: &Pool, secrets: Option<&SecretsArgs>) -> Result<Admin, CliError> {
    let secrets = secrets.ok_or_else(|| {
        CliError::Unauthorized(
            "this command changes the pipeline and needs the deployment's SECRETS_KEY \
             (env SECRETS_KEY or --secrets-key before the command)"
                .into(),
        )
    })?;
    let secret_box = secrets
        .secret_box()
        .map_err(|e| CliError::Unauthorized(e.to_string()))?;
    let client = pool.get().await?;
    let row = client
        .query_opt(
            "SELECT id, api_token_enc FROM tenants ORDER BY updated_at DESC, id LIMIT 1",
            &[],
        )
        .await?;
    if let Some(row) = row {
        let id: &str = row.get(0);
        let sealed: &str = row.get(1);
        if secret_box.open(&format!("{id}/api_token"), sealed).is_err() {
            return Err(CliError::Unauthorized(format!(
                "SECRETS_KEY is not this deployment's key: it does not open the stored secrets of tenant {id}"
            )));
        }
    }
    Ok(Admin { secret_box })
}
