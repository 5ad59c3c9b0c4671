//! `cwctl doctor` for tenants on another platform than Chatwoot: their settings make a reply call
//! (configuration, exit code 1), the platform answers (reachability, 2) and accepts the credentials (auth, 3),
//! each with a read-only call that needs the same credentials as a reply: Intercom `GET /me`, Zendesk
//! `GET /api/v2/users/me.json`, Freshchat `GET /v2/agents/{agent_id}` (which also proves the agent exists).
//! A generic webhook's receiver is only checked for answering at all (any HTTP status): posting to it would
//! deliver an event, and what it accepts is its own business.

use std::time::Instant;

use chatwoot::client::ExternalRequest;
use chatwoot::{ApiError, ChatwootClient};
use infra::{Platform, Tenant};
use proto::{Action, ActionKind};

use crate::doctor::{Area, Check, Checks, Status};

pub(crate) async fn check(client: &ChatwootClient, tenant: &Tenant, checks: &mut Checks) {
    let platform = tenant.platform;
    let started = Instant::now();
    let probe = Action {
        action_id: "doctor".into(),
        tenant: tenant.id.as_str().to_owned(),
        conversation_id: 0,
        event_key: "doctor".into(),
        created_at_ms: 0,
        conversation_seq: 0,
        kind: ActionKind::SendMessage {
            content: "doctor".into(),
        },
    };
    let settings = format!("tenant {}: {platform} settings", tenant.id);
    let reply = match platforms::outbound_call(tenant, "0", &probe, chrono::Utc::now()) {
        Ok(platforms::Outbound::Call(call)) => call,
        Ok(platforms::Outbound::Unsupported(reason)) => {
            checks.push(settings, Area::Config, started, Err((None, reason)));
            return;
        }
        Err(platforms::OutboundError::Inactive) => {
            checks.0.push(Check {
                name: settings,
                area: Area::Config,
                status: Status::Skipped,
                http_status: None,
                duration_ms: 0,
                detail: Some("outgoing webhook inactive: replies are not sent".into()),
            });
            return;
        }
        Err(error) => {
            checks.push(
                settings,
                Area::Config,
                started,
                Err((None, error.to_string())),
            );
            return;
        }
    };
    checks.push(settings, Area::Config, started, Ok(None));

    let base = tenant.chatwoot_base_url.trim_end_matches('/');
    let agent = tenant
        .platform_config
        .get("agent_id")
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        .unwrap_or_default();
    let (url, route) = match platform {
        Platform::Intercom => (format!("{base}/me"), "/me"),
        Platform::Zendesk => (
            format!("{base}/api/v2/users/me.json"),
            "/api/v2/users/me.json",
        ),
        Platform::Freshchat => (format!("{base}/v2/agents/{agent}"), "/v2/agents/{id}"),
        _ => (reply.url.clone(), "generic webhook"),
    };
    let request = ExternalRequest {
        method: http::Method::GET,
        url: url.clone(),
        route,
        headers: reply
            .headers
            .into_iter()
            .filter(|(name, _)| !name.starts_with("webhook-") && name != "content-type")
            .collect(),
        body: None,
        timeout: None,
    };
    let started = Instant::now();
    let answer = client.send_external(tenant.id.as_str(), &request).await;
    let name = format!("tenant {}: {platform} API at {url}", tenant.id);
    if platform == Platform::Generic {
        // Any answer proves the receiver is there.
        let result = match answer {
            Ok(response) => Ok(Some(response.status)),
            Err(ApiError::Status { status, .. }) => Ok(Some(status)),
            Err(e) => Err((None, e.to_string())),
        };
        checks.push(name, Area::ChatwootReachability, started, result);
        return;
    }
    let (area, result) = match answer {
        Ok(response) => (Area::ChatwootAuth, Ok(Some(response.status))),
        Err(ApiError::Status { status, body, .. }) if status == 401 || status == 403 => {
            (Area::ChatwootAuth, Err((Some(status), body)))
        }
        Err(ApiError::Status { status, body, .. }) => {
            (Area::ChatwootReachability, Err((Some(status), body)))
        }
        Err(e) => (Area::ChatwootReachability, Err((None, e.to_string()))),
    };
    checks.push(name, area, started, result);
}
