//! Fault injection: which requests fail, how, and for how long.
//!
//! Faults are evaluated in insertion order before any routing or
//! authentication; the first active fault that matches (and, for
//! probabilistic faults, wins its coin flip) answers the request, and the
//! request then has no effect on the simulated Chatwoot state, except
//! [`FaultBehaviour::TimeoutAfterApplying`], whose request is carried out
//! before its answer is lost.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, Method, StatusCode};
use serde::{Deserialize, Serialize};

/// Selects the requests a [`Fault`] applies to. `None` fields match anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matcher {
    /// HTTP method to match.
    pub method: Option<Method>,
    /// Substring the request path (without query) must contain, e.g. `"/messages"`.
    pub path_contains: Option<String>,
}

impl Matcher {
    /// Matches every request.
    pub fn any() -> Self {
        Self::default()
    }

    /// Matches requests with `method` whose path contains `path_contains`.
    pub fn new(method: Method, path_contains: impl Into<String>) -> Self {
        Self {
            method: Some(method),
            path_contains: Some(path_contains.into()),
        }
    }

    /// Matches requests of any method whose path contains `path_contains`.
    pub fn path(path_contains: impl Into<String>) -> Self {
        Self {
            method: None,
            path_contains: Some(path_contains.into()),
        }
    }

    pub(crate) fn matches(&self, method: &Method, path: &str) -> bool {
        self.method.as_ref().is_none_or(|m| m == method)
            && self
                .path_contains
                .as_deref()
                .is_none_or(|needle| path.contains(needle))
    }
}

/// How a faulty request is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultBehaviour {
    /// Answer with this status and the body Chatwoot (or the proxy in front of
    /// it) really sends for it: 401 invalid token, 403 API access disabled,
    /// 404 not found, 422 `Validation failed: Too many messages`, 429
    /// rack-attack's plain-text `Retry later\n` with **no** `Retry-After`,
    /// 500 Rails' JSON error, 502/503/504 nginx HTML pages.
    Status(u16),
    /// 429 as sent by a proxy/CDN that adds `Retry-After: <secs>`.
    Status429WithRetryAfter(u64),
    /// Hold the request for this long, then answer 504 like a gateway that gave up.
    /// Clients with a shorter timeout see a timeout.
    Timeout(Duration),
    /// Carry the request out (the write lands), then hold the answer for this long and answer 504: a client
    /// with a shorter timeout cannot tell whether its write arrived, which is what reconciliation is for.
    TimeoutAfterApplying(Duration),
    /// Close the TCP connection without sending any response.
    CloseConnection,
}

/// How long a fault stays active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultCount {
    /// Fires for the next `n` matching requests, then is removed.
    Times(u32),
    /// Fires for every matching request until cleared.
    Always,
    /// Fires for matching requests until this instant.
    Until(Instant),
}

/// One injected fault. Build with [`Fault::new`] and the builder methods, or
/// as a struct literal.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// Which requests are affected.
    pub matcher: Matcher,
    /// What they get.
    pub behaviour: FaultBehaviour,
    /// How long the fault lasts. Only requests it actually fires for use up `Times`.
    pub remaining: FaultCount,
    /// Chance (0.0..=1.0) that a matching request is affected; `None` means 1.0.
    /// Draws come from the simulator's seeded xorshift, so a run is reproducible
    /// for a given request order and [`crate::SimConfig::seed`].
    pub probability: Option<f64>,
}

impl Fault {
    /// A fault that fires for every request `matcher` selects until cleared.
    pub fn new(matcher: Matcher, behaviour: FaultBehaviour) -> Self {
        Self {
            matcher,
            behaviour,
            remaining: FaultCount::Always,
            probability: None,
        }
    }

    /// Limits the fault to the next `n` requests it fires for.
    #[must_use]
    pub fn times(mut self, n: u32) -> Self {
        self.remaining = FaultCount::Times(n);
        self
    }

    /// Keeps the fault active for `duration` from now.
    #[must_use]
    pub fn for_duration(mut self, duration: Duration) -> Self {
        self.remaining = FaultCount::Until(Instant::now() + duration);
        self
    }

    /// Makes each matching request fail with probability `p` (clamped to 0..=1).
    #[must_use]
    pub fn with_probability(mut self, p: f64) -> Self {
        self.probability = Some(p.clamp(0.0, 1.0));
        self
    }

    fn is_active(&self, now: Instant) -> bool {
        match self.remaining {
            FaultCount::Times(n) => n > 0,
            FaultCount::Always => true,
            FaultCount::Until(deadline) => now < deadline,
        }
    }
}

/// xorshift64*: tiny, dependency-free and deterministic, which is all the
/// probabilistic faults need.
#[derive(Debug, Clone)]
pub(crate) struct XorShift(u64);

impl XorShift {
    pub(crate) fn new(seed: u64) -> Self {
        // Zero is a fixed point of xorshift.
        Self(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// Uniform in [0, 1).
    pub(crate) fn next_f64(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        let out = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (out >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Picks the fault for a request, consuming one use of it, and drops faults
/// that can no longer fire.
pub(crate) fn take_fault(
    faults: &mut Vec<Fault>,
    rng: &mut XorShift,
    method: &Method,
    path: &str,
) -> Option<FaultBehaviour> {
    let now = Instant::now();
    faults.retain(|f| f.is_active(now));
    let fault = faults.iter_mut().find(|f| {
        f.matcher.matches(method, path) && f.probability.is_none_or(|p| rng.next_f64() < p)
    })?;
    if let FaultCount::Times(n) = &mut fault.remaining {
        *n -= 1;
    }
    Some(fault.behaviour.clone())
}

/// Builds the response for a status fault.
pub(crate) fn status_response(status: u16) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match status {
        401 => json(code, r#"{"error":"Invalid Access Token"}"#),
        403 => json(
            code,
            r#"{"error":"API access is not enabled for this account"}"#,
        ),
        404 => json(code, r#"{"error":"Resource could not be found"}"#),
        422 => json(code, r#"{"error":"Validation failed: Too many messages"}"#),
        429 => rate_limited(None),
        502..=504 => nginx_page(code),
        _ => json(
            code,
            &serde_json::json!({
                "status": code.as_u16(),
                "error": code.canonical_reason().unwrap_or("Error"),
            })
            .to_string(),
        ),
    }
}

/// rack-attack's throttle response; a proxy in front may add `Retry-After`.
pub(crate) fn rate_limited(retry_after_secs: Option<u64>) -> Response {
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::CONTENT_TYPE, "text/plain")],
        "Retry later\n",
    )
        .into_response();
    if let Some(secs) = retry_after_secs {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// The default nginx error page, which is what a client sees when the proxy
/// in front of Puma fails rather than Rails itself.
pub(crate) fn nginx_page(code: StatusCode) -> Response {
    let title = format!(
        "{} {}",
        code.as_u16(),
        code.canonical_reason().unwrap_or("Error")
    );
    let body = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    (code, [(header::CONTENT_TYPE, "text/html")], body).into_response()
}

fn json(code: StatusCode, body: &str) -> Response {
    Response::builder()
        .status(code)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(Body::from(body.to_owned()))
        .unwrap_or_else(|_| code.into_response())
}

/// JSON form of a fault accepted by `POST /__sim/faults`; see [`crate::control`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct FaultSpec {
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub path_contains: Option<String>,
    pub behaviour: BehaviourSpec,
    #[serde(default)]
    pub times: Option<u32>,
    #[serde(default)]
    pub for_ms: Option<u64>,
    #[serde(default)]
    pub probability: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum BehaviourSpec {
    Status {
        status: u16,
    },
    // snake_case alone would give `status429_with_retry_after`.
    #[serde(rename = "status_429_with_retry_after")]
    Status429WithRetryAfter {
        retry_after_secs: u64,
    },
    Timeout {
        ms: u64,
    },
    TimeoutAfterApplying {
        ms: u64,
    },
    CloseConnection,
}

impl FaultSpec {
    pub(crate) fn into_fault(self) -> Result<Fault, String> {
        let method = self
            .method
            .map(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()))
            .transpose()
            .map_err(|e| format!("invalid method: {e}"))?;
        let behaviour = match self.behaviour {
            BehaviourSpec::Status { status } => {
                if !(100..=999).contains(&status) {
                    return Err(format!("invalid status {status}"));
                }
                FaultBehaviour::Status(status)
            }
            BehaviourSpec::Status429WithRetryAfter { retry_after_secs } => {
                FaultBehaviour::Status429WithRetryAfter(retry_after_secs)
            }
            BehaviourSpec::Timeout { ms } => FaultBehaviour::Timeout(Duration::from_millis(ms)),
            BehaviourSpec::TimeoutAfterApplying { ms } => {
                FaultBehaviour::TimeoutAfterApplying(Duration::from_millis(ms))
            }
            BehaviourSpec::CloseConnection => FaultBehaviour::CloseConnection,
        };
        let remaining = match (self.times, self.for_ms) {
            (Some(_), Some(_)) => return Err("give at most one of times and for_ms".into()),
            (Some(n), None) => FaultCount::Times(n),
            (None, Some(ms)) => FaultCount::Until(Instant::now() + Duration::from_millis(ms)),
            (None, None) => FaultCount::Always,
        };
        if let Some(p) = self.probability {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("probability {p} is outside 0..=1"));
            }
        }
        Ok(Fault {
            matcher: Matcher {
                method,
                path_contains: self.path_contains,
            },
            behaviour,
            remaining,
            probability: self.probability,
        })
    }

    pub(crate) fn from_fault(fault: &Fault) -> Self {
        let now = Instant::now();
        let (times, for_ms) = match fault.remaining {
            FaultCount::Times(n) => (Some(n), None),
            FaultCount::Always => (None, None),
            FaultCount::Until(deadline) => (
                None,
                Some(
                    u64::try_from(deadline.saturating_duration_since(now).as_millis())
                        .unwrap_or(u64::MAX),
                ),
            ),
        };
        let behaviour = match &fault.behaviour {
            FaultBehaviour::Status(status) => BehaviourSpec::Status { status: *status },
            FaultBehaviour::Status429WithRetryAfter(secs) => {
                BehaviourSpec::Status429WithRetryAfter {
                    retry_after_secs: *secs,
                }
            }
            FaultBehaviour::Timeout(d) => BehaviourSpec::Timeout {
                ms: u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
            },
            FaultBehaviour::TimeoutAfterApplying(d) => BehaviourSpec::TimeoutAfterApplying {
                ms: u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
            },
            FaultBehaviour::CloseConnection => BehaviourSpec::CloseConnection,
        };
        Self {
            method: fault.matcher.method.as_ref().map(ToString::to_string),
            path_contains: fault.matcher.path_contains.clone(),
            behaviour,
            times,
            for_ms,
            probability: fault.probability,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn times_fault_is_used_up_and_removed() {
        let mut faults =
            vec![Fault::new(Matcher::path("/messages"), FaultBehaviour::Status(503)).times(2)];
        let mut rng = XorShift::new(1);
        for _ in 0..2 {
            assert_eq!(
                take_fault(&mut faults, &mut rng, &Method::POST, "/x/messages"),
                Some(FaultBehaviour::Status(503))
            );
        }
        assert_eq!(
            take_fault(&mut faults, &mut rng, &Method::POST, "/x/messages"),
            None
        );
        assert!(faults.is_empty());
    }

    #[test]
    fn first_matching_fault_wins() {
        let mut faults = vec![
            Fault::new(
                Matcher::new(Method::GET, "/labels"),
                FaultBehaviour::Status(500),
            ),
            Fault::new(Matcher::any(), FaultBehaviour::Status(502)),
        ];
        let mut rng = XorShift::new(1);
        assert_eq!(
            take_fault(&mut faults, &mut rng, &Method::POST, "/labels"),
            Some(FaultBehaviour::Status(502))
        );
        assert_eq!(
            take_fault(&mut faults, &mut rng, &Method::GET, "/labels"),
            Some(FaultBehaviour::Status(500))
        );
    }

    #[test]
    fn xorshift_is_uniform_enough() {
        let mut rng = XorShift::new(42);
        let hits = (0..10_000).filter(|_| rng.next_f64() < 0.3).count();
        assert!((2_700..3_300).contains(&hits), "{hits}");
    }

    #[test]
    fn spec_round_trips() {
        let spec: FaultSpec = serde_json::from_str(
            r#"{"method":"post","path_contains":"/messages","behaviour":{"kind":"status","status":503},"times":2}"#,
        )
        .unwrap();
        let fault = spec.into_fault().unwrap();
        assert_eq!(fault.matcher, Matcher::new(Method::POST, "/messages"));
        assert_eq!(fault.remaining, FaultCount::Times(2));
        assert_eq!(FaultSpec::from_fault(&fault).times, Some(2));
    }
}
