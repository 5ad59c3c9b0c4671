//! Tracing and OpenTelemetry.
//!
//! Spans are exported over OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set. Without a collector the spans still get
//! trace and span ids: W3C trace context travels in NATS message headers and on the HTTP call to Chatwoot either
//! way, so one trace covers webhook -> ingress -> worker -> dispatcher -> Chatwoot API, and every log line written
//! inside a span starts with its `trace_id`, so the logs of one event can be followed across services by grep.

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

/// Flushes and stops the exporter when dropped; keep it alive in `main`.
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take() {
            if let Err(error) = provider.shutdown() {
                eprintln!("telemetry shutdown: {error}");
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("cannot build the OTLP exporter: {0}")]
    Exporter(#[from] opentelemetry_otlp::ExporterBuildError),
    #[error("a global tracing subscriber is already set: {0}")]
    Subscriber(#[from] tracing_subscriber::util::TryInitError),
}

/// Installs the global subscriber: `RUST_LOG` filter (default `info`), plain or JSON logs (`LOG_FORMAT=json`) on
/// standard output with trace ids, and the OpenTelemetry layer, exporting when `OTEL_EXPORTER_OTLP_ENDPOINT` is
/// set.
pub fn init(service_name: &'static str) -> Result<TelemetryGuard, TelemetryError> {
    init_with_writer(service_name, std::io::stdout)
}

/// [`init`], with the logs written to `writer` (tests read them back).
pub fn init_with_writer<W>(
    service_name: &'static str,
    writer: W,
) -> Result<TelemetryGuard, TelemetryError>
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = SdkTracerProvider::builder().with_resource(resource(service_name));
    let provider = if std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some() {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .build()?;
        builder.with_batch_exporter(exporter).build()
    } else {
        // No exporter: spans are sampled and get ids (for propagation and the logs) and are dropped when they
        // end.
        builder.build()
    };
    install(service_name, provider.clone(), writer)?;
    Ok(TelemetryGuard {
        provider: Some(provider),
    })
}

fn resource(service_name: &'static str) -> Resource {
    Resource::builder().with_service_name(service_name).build()
}

/// Logs follow `RUST_LOG`; exported spans follow `OTEL_TRACES_FILTER` (default `info`), so quieting the logs
/// does not silently switch tracing off.
fn install<W>(
    service_name: &'static str,
    provider: SdkTracerProvider,
    writer: W,
) -> Result<(), TelemetryError>
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    use std::io::IsTerminal;
    use tracing_subscriber::Layer;
    let log_filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let trace_filter =
        EnvFilter::try_from_env("OTEL_TRACES_FILTER").unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|v| v == "json");
    let otel = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer(service_name))
        .with_filter(trace_filter);
    let logs = if json {
        tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .fmt_fields(tracing_subscriber::fmt::format::JsonFields::new())
            .event_format(WithTraceId::json(tracing_subscriber::fmt::format().json()))
            .with_filter(log_filter)
            .boxed()
    } else {
        // Colour only for a person at a terminal: the escape codes cost every span of a service writing to a
        // pipe or a log collector (measured: 10-20% of the ingress's CPU per webhook).
        let ansi = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_ansi(ansi)
            .event_format(WithTraceId::plain(tracing_subscriber::fmt::format()))
            .with_filter(log_filter)
            .boxed()
    };
    tracing_subscriber::registry()
        .with(otel)
        .with(logs)
        .try_init()?;
    Ok(())
}

/// A log line's format with the trace id of the span it was written in, first: `trace_id=<32 hex> ` before a
/// plain line, a `"trace_id"` member in a JSON one. Lines outside any span are unchanged.
struct WithTraceId<F> {
    inner: F,
    json: bool,
}

impl<F> WithTraceId<F> {
    fn plain(inner: F) -> Self {
        Self { inner, json: false }
    }

    fn json(inner: F) -> Self {
        Self { inner, json: true }
    }
}

impl<S, N, F> tracing_subscriber::fmt::FormatEvent<S, N> for WithTraceId<F>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
    F: tracing_subscriber::fmt::FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let trace_id = ctx.lookup_current().and_then(|span| {
            let extensions = span.extensions();
            extensions
                .get::<tracing_opentelemetry::OtelData>()
                .and_then(trace_id_of)
        });
        let Some(trace_id) = trace_id else {
            return self.inner.format_event(ctx, writer, event);
        };
        if !self.json {
            write!(writer, "trace_id={trace_id} ")?;
            return self.inner.format_event(ctx, writer, event);
        }
        let mut line = String::new();
        self.inner.format_event(
            ctx,
            tracing_subscriber::fmt::format::Writer::new(&mut line),
            event,
        )?;
        match line.strip_prefix('{') {
            Some(rest) => write!(writer, "{{\"trace_id\":\"{trace_id}\",{rest}"),
            None => writer.write_str(&line),
        }
    }
}

/// The trace a span belongs to: its parent's (a local parent span, or one continued from a `traceparent`), or
/// the one it started.
fn trace_id_of(data: &tracing_opentelemetry::OtelData) -> Option<opentelemetry::trace::TraceId> {
    use opentelemetry::trace::TraceContextExt;
    if data.parent_cx.has_active_span() {
        let context = data.parent_cx.span().span_context().clone();
        return context.is_valid().then(|| context.trace_id());
    }
    data.builder.trace_id
}

/// Writes the span's context as `traceparent`/`tracestate` into NATS headers.
pub fn inject_nats(span: &tracing::Span, headers: &mut async_nats::HeaderMap) {
    TraceContextPropagator::new().inject_context(&span.context(), &mut NatsHeaders(headers));
}

/// Makes `span` a child of the trace carried by a NATS message, if any.
pub fn set_parent_from_nats(span: &tracing::Span, headers: Option<&async_nats::HeaderMap>) {
    if let Some(headers) = headers {
        let context = TraceContextPropagator::new().extract(&NatsHeadersRef(headers));
        span.set_parent(context);
    }
}

/// Writes the span's context as `traceparent`/`tracestate` into HTTP request headers.
pub fn inject_http(span: &tracing::Span, headers: &mut http::HeaderMap) {
    TraceContextPropagator::new().inject_context(&span.context(), &mut HttpHeaders(headers));
}

/// Continues a trace started upstream of the webhook (a proxy or a traced Chatwoot), if any.
pub fn set_parent_from_http(span: &tracing::Span, headers: &http::HeaderMap) {
    if headers.contains_key("traceparent") {
        let context = TraceContextPropagator::new().extract(&HttpHeadersRef(headers));
        span.set_parent(context);
    }
}

/// The trace id of a span as 32 hex digits (all zeros outside a subscriber installed by [`init`]).
pub fn trace_id(span: &tracing::Span) -> String {
    use opentelemetry::trace::TraceContextExt;
    span.context().span().span_context().trace_id().to_string()
}

struct NatsHeaders<'a>(&'a mut async_nats::HeaderMap);
struct NatsHeadersRef<'a>(&'a async_nats::HeaderMap);
struct HttpHeaders<'a>(&'a mut http::HeaderMap);
struct HttpHeadersRef<'a>(&'a http::HeaderMap);

impl Injector for NatsHeaders<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key, value.as_str());
    }
}

impl Extractor for NatsHeadersRef<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|v| v.as_str())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|(k, _)| k.as_ref()).collect()
    }
}

impl Injector for HttpHeaders<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

impl Extractor for HttpHeadersRef<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// In-process span capture for tests: every service started in the test process exports here.
pub mod testing {
    use std::sync::OnceLock;

    use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};

    static EXPORTER: OnceLock<InMemorySpanExporter> = OnceLock::new();

    /// Installs (once per process) a subscriber that records finished spans in memory, and returns the store.
    pub fn capture_spans() -> InMemorySpanExporter {
        EXPORTER
            .get_or_init(|| {
                let exporter = InMemorySpanExporter::default();
                let provider = SdkTracerProvider::builder()
                    .with_simple_exporter(exporter.clone())
                    .with_resource(super::resource("test"))
                    .build();
                if let Err(error) = super::install("test", provider, std::io::stdout) {
                    eprintln!("span capture not installed: {error}");
                }
                exporter
            })
            .clone()
    }
}
