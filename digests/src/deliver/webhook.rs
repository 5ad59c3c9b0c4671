//! Chat webhooks: one JSON POST `{"text": markdown}`, the body Slack and Mattermost incoming webhooks take.

use std::time::Duration;

use infra::Secret;

use super::Failure;

pub async fn post(
    http: &reqwest::Client,
    url: &Secret,
    markdown: &str,
    timeout: Duration,
) -> Result<(), Failure> {
    let answer = http
        .post(url.expose())
        .timeout(timeout)
        .json(&serde_json::json!({ "text": markdown }))
        .send()
        .await
        // The URL is a secret: reqwest's error would print it.
        .map_err(|e| {
            Failure::Transient(format!("chat webhook unreachable: {}", e.without_url()))
        })?;
    let status = answer.status();
    if status.is_success() {
        Ok(())
    } else if status.is_client_error() && status.as_u16() != 408 && status.as_u16() != 429 {
        Err(Failure::Permanent(format!(
            "chat webhook answered {status}"
        )))
    } else {
        Err(Failure::Transient(format!(
            "chat webhook answered {status}"
        )))
    }
}
