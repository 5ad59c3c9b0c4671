//! Headless Chromium for the console's tests: Debian's `chromium` driven through `chromedriver` (WebDriver) with
//! fantoccini. Each test gets its own driver process on a free port, killed when the test ends.

use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};
use tokio::process::{Child, Command};

/// What the suite waits for in the page at most (a draft decided in Chatwoot must show within a second; the
/// margin covers a loaded machine).
pub const PATIENCE: Duration = Duration::from_secs(30);

pub struct Browser {
    pub client: Client,
    _driver: Child,
}

fn binary(env: &str, names: &[&str]) -> String {
    if let Ok(path) = std::env::var(env) {
        return path;
    }
    for name in names {
        for dir in ["/usr/bin", "/usr/local/bin", "/usr/lib/chromium"] {
            let path = format!("{dir}/{name}");
            if std::path::Path::new(&path).exists() {
                return path;
            }
        }
    }
    panic!(
        "{} not found: install Debian's chromium and chromium-driver (`apt-get install -y chromium \
         chromium-driver`; scripts/test.sh does it) or set {env}",
        names[0]
    );
}

impl Browser {
    /// A headless Chromium whose window is `width` × `height` CSS pixels.
    pub async fn start(width: u32, height: u32) -> Self {
        let driver_path = binary("CHROMEDRIVER", &["chromedriver"]);
        let chromium = binary("CHROMIUM", &["chromium", "chromium-browser"]);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("{driver_path}: {e}"));
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let up = e2e::eventually(Duration::from_secs(20), || {
            let request = http.get(format!("{url}/status")).send();
            async move { request.await.is_ok() }
        })
        .await;
        assert!(up, "chromedriver did not start");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless=new",
                    // The suite runs as root in containers, where Chromium's sandbox cannot start.
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--hide-scrollbars",
                    "--force-device-scale-factor=1",
                    format!("--window-size={width},{height}"),
                ],
            }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&url)
            .await
            .expect("a Chromium session");
        Self {
            client,
            _driver: driver,
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    /// Runs `script` (a function body; `arguments[0..]` are `args`) and returns its value.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .expect("script runs")
    }

    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no `{css}` in the page: {e}"))
    }

    /// Waits until the text of the first element matching `css` contains `text`; returns that text.
    pub async fn wait_text(&self, css: &str, text: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        let mut last = String::new();
        loop {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                last = el.text().await.unwrap_or_default();
                if last.contains(text) {
                    return last;
                }
            }
            assert!(
                Instant::now() < deadline,
                "`{css}` never contained {text:?}; last text: {last:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Presses one key where the focus is (as the agent would on the keyboard).
    pub async fn key(&self, key: char) {
        let press = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        self.client.perform_actions(press).await.expect("key press");
    }

    /// Makes requests whose URL matches one of `patterns` (`*` wildcards) fail as if the network were down,
    /// through Chromium's DevTools protocol (`Network.setBlockedURLs`); an empty list lifts the block.
    pub async fn block(&self, patterns: &[&str]) {
        self.cdp("Network.enable", json!({})).await;
        self.cdp("Network.setBlockedURLs", json!({ "urls": patterns }))
            .await;
    }

    async fn cdp(&self, cmd: &'static str, params: Value) {
        self.client
            .issue_cmd(Cdp { cmd, params })
            .await
            .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    }

    pub async fn screenshot(&self) -> Vec<u8> {
        self.client.screenshot().await.expect("screenshot")
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// chromedriver's pass-through to the DevTools protocol (`POST /session/{id}/goog/cdp/execute`).
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}
