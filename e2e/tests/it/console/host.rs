//! A stand-in for Chatwoot's conversation screen with the console as a Dashboard App: the page frames the
//! console in a narrow tab and, like Chatwoot's dashboard-app frame, posts it the context as a JSON string when
//! the frame loads and again whenever the frame posts `chatwoot-dashboard-app:fetch-info`. It is served from
//! another origin (port) than the console, as Chatwoot is.

use axum::response::Html;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use tokio::net::TcpListener;

/// The appContext Chatwoot would send for `conversation` (its display id).
pub fn app_context(conversation: u64) -> Value {
    json!({
        "event": "appContext",
        "data": {
            "conversation": { "id": conversation, "inbox_id": 1, "status": "open",
                "meta": { "sender": { "id": 9, "name": "Maya Lindqvist" } } },
            "contact": { "id": 9, "name": "Maya Lindqvist", "email": "maya.lindqvist@example.org" },
            "currentAgent": { "id": 21, "name": "Ana Lima", "email": "ana@acme.example" }
        }
    })
}

/// Serves the host page on a port of its own; returns its URL.
pub async fn serve(console_url: &str, context: &Value) -> String {
    // The context is embedded as a JS string literal of its JSON text, which is what Chatwoot posts.
    let message = serde_json::to_string(&context.to_string()).expect("json");
    let html = PAGE
        .replace("{{console}}", &html_attr(console_url))
        .replace("{{message}}", &message);
    let app = Router::new().route("/", get(move || async move { Html(html) }));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn html_attr(text: &str) -> String {
    text.replace('&', "&amp;").replace('"', "&quot;")
}

const PAGE: &str = r##"<!doctype html>
<html><head><meta charset="utf-8"><title>Chatwoot (simulated)</title>
<style>
  body { margin: 0; font: 14px system-ui, sans-serif; display: flex; height: 100vh; background: #f1f5f8; color: #1f2d3d; }
  .nav { width: 56px; background: #fff; border-right: 1px solid #e0e6ed; }
  .list { width: 280px; background: #fff; border-right: 1px solid #e0e6ed; padding: 12px; }
  .list .item { padding: 10px; border-radius: 6px; margin-bottom: 6px; }
  .list .item.on { background: #e8f1fd; }
  .conv { flex: 1; display: flex; flex-direction: column; min-width: 0; }
  .conv header { background: #fff; border-bottom: 1px solid #e0e6ed; padding: 12px 16px; font-weight: 600; }
  .tabs { display: flex; gap: 18px; padding: 0 16px; background: #fff; border-bottom: 1px solid #e0e6ed; }
  .tabs span { padding: 10px 0; color: #6b7c93; }
  .tabs span.on { color: #1f93ff; border-bottom: 2px solid #1f93ff; }
  .body { flex: 1; display: flex; min-height: 0; }
  .messages { flex: 1; padding: 16px; color: #6b7c93; }
  iframe { width: 420px; border: 0; border-left: 1px solid #e0e6ed; background: #fff; }
</style></head>
<body>
  <div class="nav"></div>
  <div class="list"><div class="item on"><b>Maya Lindqvist</b><br>Hi, I was charged twice…</div>
    <div class="item">Jonas Weber<br>Where is my parcel?</div></div>
  <div class="conv">
    <header>Maya Lindqvist</header>
    <div class="tabs"><span>Messages</span><span class="on">Review console</span></div>
    <div class="body">
      <div class="messages">Chatwoot shows the conversation here; the Dashboard App tab frames the console.</div>
      <iframe id="app" title="Review console" src="{{console}}"></iframe>
    </div>
  </div>
<script>
  const message = {{message}};
  const frame = document.getElementById('app');
  window.fetchInfoRequests = 0;
  frame.addEventListener('load', () => frame.contentWindow.postMessage(message, '*'));
  window.addEventListener('message', (event) => {
    if (event.source === frame.contentWindow && event.data === 'chatwoot-dashboard-app:fetch-info') {
      window.fetchInfoRequests += 1;
      frame.contentWindow.postMessage(message, '*');
    }
  });
</script>
</body></html>
"##;
