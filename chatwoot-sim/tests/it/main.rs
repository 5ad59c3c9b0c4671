//! Integration tests of the simulator over real HTTP.
#![allow(clippy::unwrap_used)]

mod api;
mod auth;
mod control;
mod dashboard_apps;
mod faults;
mod history;

use std::collections::BTreeSet;
use std::time::Duration;

use chatwoot_sim::{SimAccount, SimConfig, Simulator};
use serde_json::Value;

pub const ACCOUNT: u64 = 3;
pub const TOKEN: &str = "demo-token";
pub const BOT_TOKEN: &str = "bot-token";
pub const CONV: u64 = 1042;

/// Account 3 with a user token and a bot token, plus account 9 with its own token.
pub async fn sim() -> Simulator {
    chatwoot_sim::spawn(SimConfig {
        accounts: vec![
            SimAccount::new(ACCOUNT, TOKEN).with_bot_tokens([BOT_TOKEN]),
            SimAccount::new(9, "other-account-token"),
        ],
        ..SimConfig::default()
    })
    .await
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

pub fn conv_url(sim: &Simulator, suffix: &str) -> String {
    format!(
        "{}/api/v1/accounts/{ACCOUNT}/conversations/{CONV}{suffix}",
        sim.base_url()
    )
}

pub async fn post(sim: &Simulator, suffix: &str, token: &str, body: Value) -> (u16, Value) {
    let response = client()
        .post(conv_url(sim, suffix))
        .header("api_access_token", token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub async fn get(sim: &Simulator, suffix: &str, token: &str) -> (u16, Value) {
    let response = client()
        .get(conv_url(sim, suffix))
        .header("api_access_token", token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Paths of all object keys (array items merged under `[]`), not descending
/// into free-form attribute bags whose keys are data rather than shape.
pub fn key_paths(value: &Value) -> BTreeSet<String> {
    fn walk(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let path = format!("{prefix}.{key}");
                    out.insert(path.clone());
                    if !matches!(
                        key.as_str(),
                        "custom_attributes"
                            | "additional_attributes"
                            | "content_attributes"
                            | "ui_settings"
                    ) {
                        walk(child, &path, out);
                    }
                }
            }
            Value::Array(items) => {
                for item in items {
                    walk(item, &format!("{prefix}[]"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(value, "", &mut out);
    out
}

/// Raw bytes of a response fixture, as text.
#[macro_export]
macro_rules! fixture_text {
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/chatwoot/api/",
            $name
        ))
    };
}

/// A response fixture parsed as JSON.
#[macro_export]
macro_rules! fixture {
    ($name:literal) => {
        serde_json::from_str::<serde_json::Value>($crate::fixture_text!($name)).unwrap()
    };
}

pub fn assert_same_keys(actual: &Value, expected: &Value) {
    let actual = key_paths(actual);
    let expected = key_paths(expected);
    assert_eq!(
        actual,
        expected,
        "missing: {:?}, extra: {:?}",
        expected.difference(&actual).collect::<Vec<_>>(),
        actual.difference(&expected).collect::<Vec<_>>()
    );
}
