//! JSON logs carry the trace id as a member. Its own test binary: the subscriber is global to the process.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

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

#[test]
fn json_log_lines_in_a_span_have_a_trace_id_member() {
    // Set before anything reads the environment; this binary has no other test.
    std::env::set_var("LOG_FORMAT", "json");
    // The suite runs with RUST_LOG=warn; this binary has no other test, so the variable is its own.
    std::env::set_var("RUST_LOG", "info");
    let logs = Captured::default();
    let writer = logs.clone();
    let _guard = infra::telemetry::init_with_writer("test", move || writer.clone()).unwrap();
    let span = tracing::info_span!("process event");
    span.in_scope(|| tracing::info!(outcome = "acted", "event processed"));
    let trace_id = infra::telemetry::trace_id(&span);
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let line: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(line["trace_id"], trace_id.as_str());
    assert_eq!(line["fields"]["message"], "event processed");
}
