//! Other platforms end to end: a signed webhook of the generic webhook, Intercom, Zendesk or Freshchat becomes
//! exactly one call to that platform's API (in the simulator); duplicates, wrong signatures, 429, 5xx and 4xx
//! behave as they do for Chatwoot; an approval in the API reaches the right platform.

mod freshchat;
mod generic;
mod intercom;
mod zendesk;

use std::time::Duration;

use e2e::{eventually, Env, Service, TENANT};
use infra::{Platform, PlatformSettings};
use serde_json::Value;

/// The simulator accepts its account's token on every platform.
pub const TOKEN: &str = e2e::API_TOKEN;

pub struct PlatformPipeline {
    pub env: Env,
    pub ingress: Service,
    services: Vec<Service>,
    pub platform: Platform,
}

impl PlatformPipeline {
    /// The test tenant moved to `platform`: its API is the simulator (`path` appended for the generic
    /// webhook's URL), `secret` verifies its webhooks.
    pub async fn start(
        platform: Platform,
        path: &str,
        secret: &str,
        config: Value,
        signing_secret: Option<&str>,
    ) -> Self {
        let env = Env::new().await;
        let store = env.tenants().await;
        store
            .upsert(&infra::tenants::NewTenant {
                id: infra::TenantId::parse(TENANT).unwrap(),
                chatwoot_base_url: format!("{}{path}", env.sim.base_url()),
                account_id: 0,
                api_token: TOKEN.into(),
                webhook_secret: Some(secret.into()),
                allow_unsigned: false,
                settings: Some(serde_json::json!({ "responder": "template", "mode": "auto" })),
            })
            .await
            .unwrap();
        let moved = store
            .set_platform(
                &infra::TenantId::parse(TENANT).unwrap(),
                &PlatformSettings {
                    platform,
                    config,
                    signing_secret: signing_secret.map(str::to_owned),
                },
            )
            .await
            .unwrap();
        assert!(moved);
        let ingress = env.start_ingress(&[]).await;
        let services = vec![env.start_worker(&[]).await, env.start_dispatcher(&[]).await];
        Self {
            env,
            ingress,
            services,
            platform,
        }
    }

    /// Posts `body` to `/webhooks/{platform}/acme` with exactly these headers (plus the JSON content type).
    pub async fn post(&self, body: &[u8], headers: &[(&str, String)]) -> (u16, Value) {
        let mut request = self
            .env
            .http
            .post(format!(
                "{}/webhooks/{}/{TENANT}",
                self.ingress.url(),
                self.platform
            ))
            .header("content-type", "application/json")
            .body(body.to_vec());
        for (name, value) in headers {
            request = request.header(*name, value.as_str());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Successful calls to `path` the simulator answered.
    pub fn delivered(&self, method: &str, path: &str) -> Vec<chatwoot_sim::RecordedRequest> {
        self.env
            .sim
            .requests_matching(method, path)
            .into_iter()
            .filter(|r| r.status == Some(200))
            .collect()
    }

    pub async fn wait_delivered(&self, method: &str, path: &str, n: usize) -> bool {
        eventually(Duration::from_secs(20), || async {
            self.delivered(method, path).len() >= n
        })
        .await
    }

    /// State of the dispatcher's ledger rows, sorted.
    pub async fn action_states(&self) -> Vec<String> {
        let pool = self.env.pool().await;
        let client = pool.get().await.unwrap();
        let mut states: Vec<String> = client
            .query("SELECT state FROM dispatched_actions", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        states.sort();
        states
    }

    pub async fn stop(self) {
        self.ingress.stop().await.unwrap();
        for service in self.services {
            service.stop().await.unwrap();
        }
        self.env.cleanup().await;
    }
}

/// Asserts a refusal is 401 with the JSON error body every refusal has.
pub fn assert_unauthorized((status, body): (u16, Value)) {
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "unauthorized", "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}
