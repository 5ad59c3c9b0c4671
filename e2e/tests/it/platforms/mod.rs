//! Other platforms end to end: a signed webhook of the generic webhook, Intercom, Zendesk or Freshchat becomes
//! exactly one call to that platform's API (in the simulator); duplicates, wrong signatures, 429, 5xx and 4xx
//! behave as they do for Chatwoot; an approval in the API reaches the right platform.

mod freshchat;
mod generic;
mod history;
mod intercom;
mod rate_limit;
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
        Self::start_with(platform, path, secret, config, signing_secret, &[&[]]).await
    }

    /// As [`Self::start`], with one dispatcher per entry of `dispatchers`, each given those arguments.
    pub async fn start_with(
        platform: Platform,
        path: &str,
        secret: &str,
        config: Value,
        signing_secret: Option<&str>,
        dispatchers: &[&[&str]],
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
        let mut services = vec![env.start_worker(&[]).await];
        for args in dispatchers {
            services.push(env.start_dispatcher(args).await);
        }
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

/// A customer message, as `(body, signed headers)`.
pub type Signed = (Vec<u8>, Vec<(&'static str, String)>);

/// Never a reply twice: the platform stores the first reply but its answer is lost (the dispatcher times out),
/// so the next attempt looks the conversation up, finds the reply and sends nothing. Then the second message's
/// reply times out without arriving: the look finds only the first reply (which the ledger knows as another
/// action's, however alike their texts) and sends again. `method path` is the reply call; `thread` the
/// simulator's name of the conversation (`intercom`, `zendesk`, `freshchat`) and `conversation` its id.
pub async fn exactly_once_when_answers_are_lost(
    p: &PlatformPipeline,
    (method, path): (chatwoot_sim::Method, &str),
    (thread, conversation): (&str, &str),
    first: Signed,
    second: Signed,
) {
    use chatwoot_sim::{Fault, FaultBehaviour, Matcher};
    let delivered = || {
        p.env.count(
            "SELECT count(*) FROM dispatched_actions WHERE kind = 'send_message' AND state = 'delivered'",
        )
    };
    let replies = || {
        p.env
            .sim
            .platform_messages(thread, conversation)
            .into_iter()
            .filter(|m| {
                m["part_type"] == "comment" || m["public"] == true || m["message_type"] == "normal"
            })
            .count()
    };
    let posts = || p.env.sim.requests_matching(method.as_str(), path).len();
    // Longer than the dispatcher's 2 s HTTP timeout.
    let hold = Duration::from_secs(3);
    p.env.sim.inject(
        Fault::new(
            Matcher::new(method.clone(), path),
            FaultBehaviour::TimeoutAfterApplying(hold),
        )
        .times(1),
    );
    let (status, answer) = p.post(&first.0, &first.1).await;
    assert_eq!(status, 202, "{answer}");
    assert!(
        eventually(Duration::from_secs(30), || async { delivered().await == 1 }).await,
        "the first reply was not settled: {:?}",
        p.action_states().await
    );
    assert_eq!(
        replies(),
        1,
        "{:?}",
        p.env.sim.platform_messages(thread, conversation)
    );
    assert_eq!(posts(), 1, "the reply that arrived was sent again");
    assert!(
        p.env
            .sim
            .requests()
            .iter()
            .any(|r| r.method == chatwoot_sim::Method::GET
                && r.fault.eq(&false)
                && r.path.contains(conversation)),
        "the conversation was not looked up"
    );

    p.env.sim.inject(
        Fault::new(
            Matcher::new(method.clone(), path),
            FaultBehaviour::Timeout(hold),
        )
        .times(1),
    );
    let (status, answer) = p.post(&second.0, &second.1).await;
    assert_eq!(status, 202, "{answer}");
    assert!(
        eventually(Duration::from_secs(30), || async { delivered().await == 2 }).await,
        "the second reply was not settled: {:?}",
        p.action_states().await
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        replies(),
        2,
        "{:?}",
        p.env.sim.platform_messages(thread, conversation)
    );
    assert_eq!(posts(), 3, "the lost reply was not sent again exactly once");
}
