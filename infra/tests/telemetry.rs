//! Without an OTLP collector, trace context still travels (NATS headers, HTTP) and every log line written in a
//! span carries its trace id. Its own test binary: the subscriber is global to the process.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use infra::telemetry;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[test]
fn trace_context_travels_and_logs_carry_the_trace_id_without_a_collector() {
    assert!(std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_none());
    // The suite runs with RUST_LOG=warn; this binary has no other test, so the variable is its own.
    std::env::set_var("RUST_LOG", "info");
    let logs = Captured::default();
    let writer = logs.clone();
    let _guard = telemetry::init_with_writer("test", move || writer.clone()).unwrap();

    // The ingress's span, carried in NATS headers to the worker.
    let ingress = tracing::info_span!("receive webhook");
    let mut nats = async_nats::HeaderMap::new();
    telemetry::inject_nats(&ingress, &mut nats);
    let traceparent = nats.get("traceparent").unwrap().as_str().to_owned();
    let trace_id = telemetry::trace_id(&ingress);
    assert_ne!(trace_id, "0".repeat(32));
    assert!(
        traceparent.starts_with(&format!("00-{trace_id}-")),
        "{traceparent}"
    );
    ingress.in_scope(|| tracing::info!("webhook accepted"));

    // The worker continues the trace from the headers, and its call to Chatwoot carries it on.
    let worker = tracing::info_span!("process event");
    telemetry::set_parent_from_nats(&worker, Some(&nats));
    let child = worker.in_scope(|| tracing::info_span!("respond"));
    child.in_scope(|| tracing::warn!("responder slow"));
    let mut http = http::HeaderMap::new();
    telemetry::inject_http(&child, &mut http);
    let outgoing = http.get("traceparent").unwrap().to_str().unwrap();
    assert!(
        outgoing.starts_with(&format!("00-{trace_id}-")),
        "{outgoing}"
    );
    assert_ne!(outgoing, traceparent, "a span of its own in the same trace");

    tracing::info!("outside any span");
    let text = logs.text();
    let lines: Vec<&str> = text.lines().collect();
    let with_id: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with(&format!("trace_id={trace_id} ")))
        .collect();
    assert_eq!(with_id.len(), 2, "{text}");
    assert!(with_id[0].contains("webhook accepted"));
    assert!(with_id[1].contains("responder slow"));
    assert!(lines
        .iter()
        .any(|l| l.contains("outside any span") && !l.contains("trace_id=")));
}
