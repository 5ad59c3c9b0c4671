//! The console's Reports page in a real browser, on figures recorded from a small history of signed webhooks that
//! went through the real ingress, worker and API: the KPI cards, the charts' points and bars, the peak-hours cell,
//! the CSV downloads, the empty and error states and the Dashboard App tab, plus the README's screenshots.

use std::time::Duration;

use chrono::{DateTime, Datelike, Days, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use e2e::{Service, TENANT};
use infra::api_keys::Scope;
use serde_json::{json, Value};

use super::browser::Browser;
use super::{host, screenshots};
use crate::ai_support::{AiPipeline, HANDOFF_RULES};

/// The fixtures' conversation starts at this instant; every timestamp of a fixture is moved by the same amount,
/// so each conversation keeps the fixtures' own timing (first reply 398 s after the customer's message).
const FIXTURE_START: i64 = 1_778_577_267;
const FIRST_REPLY_SECS: i64 = 398;

fn fixture(name: &str) -> Value {
    serde_json::from_slice(&e2e::fixture(name)).expect("fixture JSON")
}

/// Moves every timestamp in a webhook (epoch seconds and RFC 3339 strings) by `delta` seconds.
fn retime(value: &mut Value, delta: i64) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                let timed = key.ends_with("_at") || key == "timestamp" || key == "waiting_since";
                match v {
                    Value::Number(n) if timed && n.as_f64().is_some_and(|t| t > 1e9) => {
                        *v = json!(n.as_f64().unwrap_or_default() as i64 + delta);
                    }
                    Value::String(s) if timed => {
                        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                            let moved = t.with_timezone(&Utc) + chrono::Duration::seconds(delta);
                            *s = moved.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                        }
                    }
                    _ => retime(v, delta),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| retime(v, delta)),
        _ => {}
    }
}

/// One conversation of the history: when the customer wrote, whether an agent replied and whether it was resolved.
struct Conversation {
    id: u64,
    at: DateTime<Utc>,
    replied: bool,
    resolved: bool,
}

impl Conversation {
    /// Its webhooks, in order, each with the conversation's and messages' ids.
    fn webhooks(&self) -> Vec<(String, Vec<u8>)> {
        let delta = self.at.timestamp() - FIXTURE_START;
        let id = self.id;
        let mut hooks = Vec::new();
        let mut created = fixture("conversation_created.json");
        created["id"] = id.into();
        hooks.push(("created", created));
        let mut incoming: Value = serde_json::from_slice(&e2e::customer_message(
            "Hi, I was charged twice for my May invoice. Can you help?",
            id * 10 + 1,
            id,
            &[],
        ))
        .expect("json");
        incoming["conversation"]["messages"][0]["conversation_id"] = id.into();
        hooks.push(("incoming", incoming));
        if self.replied {
            let mut reply = fixture("message_created_outgoing_agent.json");
            reply["id"] = (id * 10 + 2).into();
            reply["conversation"]["id"] = id.into();
            hooks.push(("reply", reply));
        }
        if self.resolved {
            let mut resolved = fixture("conversation_status_changed_resolved.json");
            resolved["id"] = id.into();
            hooks.push(("resolved", resolved));
        }
        hooks
            .into_iter()
            .map(|(kind, mut hook)| {
                retime(&mut hook, delta);
                (
                    format!("r{id}-{kind}"),
                    serde_json::to_vec(&hook).expect("json"),
                )
            })
            .collect()
    }
}

/// `days_ago` days before today in Berlin, at `hh:mm` Berlin time.
pub(super) fn local(days_ago: u64, hh: u32, mm: u32) -> DateTime<Utc> {
    let day = Utc::now().with_timezone(&Berlin).date_naive() - Days::new(days_ago);
    let time = NaiveTime::from_hms_opt(hh, mm, 0).expect("time");
    Berlin
        .from_local_datetime(&day.and_time(time))
        .earliest()
        .expect("a local time")
        .with_timezone(&Utc)
}

/// The tenant reports in Berlin time; yesterday 14:00-15:00 is its busiest hour. Its business hours are ten
/// minutes a day, every day (whatever weekday the suite runs on): of the first replies (398 s after the
/// customer's message) only the one to 14:05 falls in them, for 300 business seconds; the others count 0.
const RULES_SETTINGS: &str = "[settings]\ntimezone = \"Europe/Berlin\"\n\
    business_days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"]\n\
    business_hours = \"14:00-14:10\"\n";

pub(super) struct Reports {
    pub p: AiPipeline,
    pub api: Service,
    pub key: String,
    pub busiest: DateTime<Utc>,
    /// The daily report of yesterday and the weekly one of yesterday's week, generated from the history.
    pub digests: [uuid::Uuid; 2],
}

impl Reports {
    pub async fn start() -> Self {
        let rules = format!("{RULES_SETTINGS}{HANDOFF_RULES}");
        let p = AiPipeline::start_with_rules(
            json!({ "responder": "knowledge_base", "mode": "draft" }),
            &rules,
        )
        .await;
        let history = [
            Conversation {
                id: 9901,
                at: local(1, 14, 5),
                replied: true,
                resolved: true,
            },
            Conversation {
                id: 9902,
                at: local(1, 14, 20),
                replied: true,
                resolved: true,
            },
            Conversation {
                id: 9903,
                at: local(1, 14, 40),
                replied: true,
                resolved: false,
            },
            Conversation {
                id: 9904,
                at: local(3, 9, 30),
                replied: true,
                resolved: true,
            },
            Conversation {
                id: 9905,
                at: local(2, 20, 15),
                replied: false,
                resolved: false,
            },
        ];
        let mut events = 0;
        for conversation in &history {
            for (delivery, body) in conversation.webhooks() {
                p.send(&body, &delivery).await;
                events += 1;
            }
        }
        p.settle(events).await;
        let digests = super::report_digests::generate(&p.env, local(1, 12, 0)).await;
        let api = p.env.start_api(&[]).await;
        // Reports need no more than reading.
        let key = p.env.api_key(TENANT, Scope::Read).await;
        Self {
            p,
            api,
            key,
            busiest: history[0].at,
            digests,
        }
    }

    pub fn url(&self, extra: &str) -> String {
        format!(
            "{}/console/#token={}&view=reports{extra}",
            self.api.url(),
            self.key
        )
    }

    /// The API's own answer, to check the page against.
    pub async fn api_get(&self, path: &str) -> reqwest::Response {
        reqwest::Client::new()
            .get(format!("{}{path}", self.api.url()))
            .bearer_auth(&self.key)
            .send()
            .await
            .expect("API answers")
    }

    pub async fn stop(self) {
        self.api.stop().await.unwrap();
        self.p.stop().await;
    }
}

pub(super) async fn text(browser: &Browser, css: &str) -> String {
    browser
        .js(
            &format!("return document.querySelector('{css}')?.textContent ?? null"),
            vec![],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

pub(super) async fn count(browser: &Browser, css: &str) -> u64 {
    browser
        .js(
            &format!("return document.querySelectorAll('{css}').length"),
            vec![],
        )
        .await
        .as_u64()
        .unwrap_or_default()
}

#[tokio::test]
async fn the_reports_page_charts_a_recorded_history_downloads_csv_and_says_when_a_period_is_empty()
{
    let r = Reports::start().await;
    let browser = Browser::start(1280, 2600).await;
    browser.goto(&r.url("")).await;
    browser.wait_text("#nav a.active", "Reports").await;

    // KPI cards: five conversations, the first reply 398 s after the customer's message in each of four.
    browser
        .wait_text("[data-kpi=\"conversations\"] .kpi-value", "5")
        .await;
    assert_eq!(
        text(&browser, "[data-kpi=\"conversations\"] .kpi-value").await,
        "5"
    );
    assert_eq!(
        text(&browser, "[data-kpi=\"first_response_p50\"] .kpi-value").await,
        format!("{} min", (FIRST_REPLY_SECS as f64 / 60.0).round())
    );
    // Nothing in the previous period: the change is "new", not a percentage of zero.
    browser
        .wait_text("[data-kpi=\"conversations\"] .change", "new")
        .await;

    // Trends: one bar per day of the last 7 days, a first-response point for each of the two days with replies.
    browser.find("#chart-conversations svg").await;
    assert_eq!(count(&browser, "#chart-conversations rect.bar").await, 7);
    assert_eq!(
        count(&browser, "#chart-first-response svg.series circle.point.s0").await,
        2
    );
    let yesterday = browser
        .js(
            "return [...document.querySelectorAll('#chart-conversations rect.bar')].map(b => b.textContent)",
            vec![],
        )
        .await;
    assert!(
        yesterday
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t.as_str().unwrap().ends_with(": 3")),
        "a day with 3 conversations: {yesterday}"
    );

    // Peak hours: 7 × 24 cells, the busiest is yesterday's weekday at 14:00 Berlin time.
    browser.find("#chart-peak-hours svg").await;
    assert_eq!(count(&browser, "#chart-peak-hours rect.cell").await, 168);
    let hottest = browser
        .js(
            "const cells = [...document.querySelectorAll('#chart-peak-hours rect.cell')];
             const top = cells.reduce((a, b) => (+b.dataset.value > +a.dataset.value ? b : a));
             return [top.dataset.day, top.dataset.hour, top.dataset.value]",
            vec![],
        )
        .await;
    let weekday = r
        .busiest
        .with_timezone(&Berlin)
        .weekday()
        .to_string()
        .to_lowercase();
    assert_eq!(hottest, json!([weekday, "14", "3"]));

    // The digests generated from the same history are listed (the screenshot shows them).
    browser.wait_text("#digests", "Weekly").await;
    assert_eq!(count(&browser, "#digests li").await, 2);
    if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        let dir = screenshots::target_dir();
        screenshots::save(&dir, "reports.png", &browser.screenshot().await);
    }

    // Keyboard: the heat map takes focus and arrow keys read its cells out.
    browser
        .js(
            "document.querySelector('#chart-peak-hours svg').focus()",
            vec![],
        )
        .await;
    // The first arrow picks the first cell (Monday 0:00), the next moves one hour on.
    browser.key('\u{E014}').await; // ArrowRight
    browser.key('\u{E014}').await;
    browser
        .wait_text("#chart-peak-hours .readout", "Mon 1:00–2:00")
        .await;

    // Distribution: the four first replies are in the 5-15 min bucket.
    browser.find("#chart-dist-first-response svg").await;
    let buckets = browser
        .js(
            "return [...document.querySelectorAll('#chart-dist-first-response rect.bar')].map(b => b.textContent)",
            vec![],
        )
        .await;
    assert!(
        buckets
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t.as_str().unwrap() == "5 min–15 min: 4"),
        "{buckets}"
    );

    // CSV: the link's URL answers CSV, and the page downloads it with the token.
    let href = browser
        .js(
            "return document.querySelector('a.csv[data-csv=\"summary.csv\"]').getAttribute('href')",
            vec![],
        )
        .await;
    let response = r.api_get(href.as_str().unwrap()).await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let csv = response.text().await.unwrap();
    assert!(csv.lines().count() >= 2, "a header and rows: {csv}");
    browser
        .find("a.csv[data-csv=\"summary.csv\"]")
        .await
        .click()
        .await
        .unwrap();
    browser
        .wait_text("#report-kpis .csv-note", "Downloaded summary.csv")
        .await;

    // A period without data says so instead of drawing empty axes.
    browser
        .goto(&format!(
            "{}/console/#/reports?period=custom&since=2020-01-06&until=2020-01-12",
            r.api.url()
        ))
        .await;
    browser
        .wait_text("#report-empty", "No data in this period")
        .await;
    browser
        .wait_text("#chart-conversations", "No data in this period")
        .await;
    assert_eq!(count(&browser, "#chart-conversations svg").await, 0);

    // One endpoint failing shows its error in place; the rest of the page still works.
    browser.block(&["*/api/v1/reports/top-issues*"]).await;
    browser
        .goto(&format!("{}/console/#/reports?period=30d", r.api.url()))
        .await;
    browser
        .wait_text("#report-top", "Could not load the top issues")
        .await;
    browser
        .wait_text("[data-kpi=\"conversations\"] .kpi-value", "5")
        .await;
    browser.block(&[]).await;
    browser.close().await;
    r.stop().await;
}

#[tokio::test]
async fn the_reports_page_works_in_the_dashboard_app_tab() {
    let r = Reports::start().await;
    // Chatwoot posts the conversation's context to every Dashboard App; a Reports app stays on the reports.
    let host = host::serve(&r.url(""), &host::app_context(9901)).await;
    let browser = Browser::start(1280, 1000).await;
    browser.goto(&host).await;
    browser
        .find("iframe#app")
        .await
        .enter_frame()
        .await
        .unwrap();
    browser
        .wait_text("[data-kpi=\"conversations\"] .kpi-value", "5")
        .await;
    browser.find("#chart-peak-hours svg").await;
    browser.find("#chart-conversations svg").await;
    browser.wait_text("#digests", "Daily").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        browser
            .js("return document.body.dataset.view", vec![])
            .await,
        "reports",
        "the conversation context does not steer a Reports tab away"
    );
    let widths = browser
        .js(
            "return [innerWidth, document.documentElement.scrollWidth]",
            vec![],
        )
        .await;
    assert!(widths[0].as_u64().unwrap() <= 420, "{widths}");
    assert_eq!(widths[0], widths[1], "no horizontal scroll: {widths}");
    let svg_width = browser
        .js(
            "return document.querySelector('#chart-peak-hours svg').getBoundingClientRect().width",
            vec![],
        )
        .await;
    assert!(svg_width.as_f64().unwrap() <= 420.0, "{svg_width}");
    browser.client.enter_parent_frame().await.unwrap();
    if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        let dir = screenshots::target_dir();
        screenshots::save(
            &dir,
            "reports-dashboard-app.png",
            &browser.screenshot().await,
        );
    }
    browser.close().await;
    r.stop().await;
}
