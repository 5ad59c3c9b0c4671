//! The Reports page's choices in a real browser: choosing an agent fills the groups from the breakdown and the
//! figures become that agent's; the business-hours toggle switches the durations to business seconds; both stay
//! in the URL across a reload. And the trend lines: joined through consecutive values, broken at a period
//! without one, the p90 told apart from the median where they are equal.

use serde_json::{json, Value};

use super::browser::Browser;
use super::reports::{count, text, Reports};

/// Seconds as the page writes durations under an hour.
fn short_duration(seconds: f64) -> String {
    if seconds < 60.0 {
        format!("{} s", seconds.round())
    } else {
        format!("{} min", (seconds / 60.0).round())
    }
}

/// The hash part of the page's address.
async fn hash(browser: &Browser) -> String {
    browser
        .js("return location.hash", vec![])
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The summary the page shows, asked of the API with the parameters of the page's own CSV link.
async fn page_summary(r: &Reports, browser: &Browser) -> Value {
    let href = browser
        .js(
            "return document.querySelector('a.csv[data-csv=\"summary.csv\"]').getAttribute('href')",
            vec![],
        )
        .await;
    let href = href.as_str().expect("href").replace("format=csv", "");
    r.api_get(&href).await.json().await.expect("summary JSON")
}

#[tokio::test]
async fn choosing_an_agent_and_business_hours_changes_the_figures_and_stays_in_the_url() {
    let r = Reports::start().await;
    let browser = Browser::start(1280, 1600).await;
    browser.goto(&r.url("")).await;
    browser
        .wait_text("[data-kpi=\"conversations\"] .kpi-value", "5")
        .await;
    browser
        .wait_text("[data-kpi=\"incoming_messages\"] .kpi-value", "5")
        .await;
    assert_eq!(count(&browser, "#report-group:not([hidden])").await, 0);

    // "By agent": the groups are the agents of the breakdown (Jonas Berg, 17, answered every reply).
    browser
        .find("#report-dim")
        .await
        .select_by_value("agent")
        .await
        .expect("choose agent");
    browser
        .find("#breakdown-table tr[data-group=\"agent:17\"]")
        .await;
    browser
        .find("#report-group:not([hidden]) option[value=\"agent:17\"]")
        .await;
    assert!(hash(&browser).await.contains("dim=agent"));
    let groups = browser
        .js(
            "return [...document.querySelectorAll('#breakdown-table tr[data-group]')].map(r => r.dataset.group)",
            vec![],
        )
        .await;
    assert!(groups.as_array().is_some_and(|g| !g.is_empty()), "{groups}");
    let options = browser
        .js(
            "return [...document.querySelectorAll('#report-group option')].map(o => o.value).filter(Boolean)",
            vec![],
        )
        .await;
    assert_eq!(options, groups, "one option per breakdown row");

    browser
        .find("#report-group")
        .await
        .select_by_value("agent:17")
        .await
        .expect("choose agent 17");
    assert!(
        e2e::eventually(std::time::Duration::from_secs(10), || async {
            hash(&browser).await.contains("group=agent%3A17")
        })
        .await,
        "{}",
        hash(&browser).await
    );
    browser
        .find("[data-kpi=\"conversations\"] .kpi-value")
        .await;
    let grouped = page_summary(&r, &browser).await;
    let href_has_group = browser
        .js(
            "return document.querySelector('a.csv[data-csv=\"summary.csv\"]').getAttribute('href')",
            vec![],
        )
        .await;
    assert!(
        href_has_group
            .as_str()
            .unwrap()
            .contains("group=agent%3A17"),
        "{href_has_group}"
    );
    let cur = &grouped["current"];
    // The conversations were created unassigned, so none counts for the agent; the replies and resolutions do.
    assert_eq!(cur["incoming_messages"], 0, "{grouped}");
    assert_eq!(cur["resolutions"], 3, "{grouped}");
    for (kpi, value) in [
        ("conversations", &cur["conversations"]),
        ("incoming_messages", &cur["incoming_messages"]),
        ("resolutions", &cur["resolutions"]),
    ] {
        browser
            .wait_text(
                &format!("[data-kpi=\"{kpi}\"] .kpi-value"),
                &value.to_string(),
            )
            .await;
    }
    assert_eq!(
        text(&browser, "[data-kpi=\"incoming_messages\"] .kpi-value").await,
        "0"
    );
    assert_eq!(
        text(&browser, "[data-kpi=\"first_response_p50\"] .kpi-value").await,
        short_duration(cur["first_response"]["p50"].as_f64().expect("p50"))
    );

    // A reload keeps the choice.
    browser.client.refresh().await.expect("reload");
    browser
        .find("#report-group option[value=\"agent:17\"]")
        .await;
    let chosen = browser
        .js(
            "return [document.querySelector('#report-dim').value, document.querySelector('#report-group').value]",
            vec![],
        )
        .await;
    assert_eq!(chosen, json!(["agent", "agent:17"]));
    browser
        .wait_text("[data-kpi=\"incoming_messages\"] .kpi-value", "0")
        .await;

    // Back to everyone, then business hours: the first responses count business seconds only (ten minutes a
    // day from 14:00): 300 s for the reply to 14:05, 0 for the three others, so the median is 0 s.
    browser
        .find("#report-dim")
        .await
        .select_by_value("")
        .await
        .expect("everyone");
    browser
        .wait_text("[data-kpi=\"incoming_messages\"] .kpi-value", "5")
        .await;
    assert!(!hash(&browser).await.contains("group="));
    browser
        .wait_text("[data-kpi=\"first_response_p50\"] .kpi-value", "7 min")
        .await;
    browser
        .find("#report-bh")
        .await
        .click()
        .await
        .expect("click");
    assert!(
        e2e::eventually(std::time::Duration::from_secs(10), || async {
            hash(&browser).await.contains("bh=1")
        })
        .await
    );
    browser
        .wait_text("[data-kpi=\"first_response_p50\"] .kpi-value", "0 s")
        .await;
    let business = page_summary(&r, &browser).await;
    let fr = &business["current"]["first_response"]["business"];
    assert_eq!(fr["p50"], json!(0.0), "{business}");
    let p90 = fr["p90"].as_f64().expect("a business p90");
    assert!(p90 > 0.0 && p90 <= 300.0, "{business}");
    assert_eq!(
        text(&browser, "[data-kpi=\"first_response_p90\"] .kpi-value").await,
        short_duration(p90)
    );
    // Counts do not depend on hours.
    assert_eq!(
        text(&browser, "[data-kpi=\"conversations\"] .kpi-value").await,
        "5"
    );
    browser.client.refresh().await.expect("reload");
    browser
        .wait_text("[data-kpi=\"first_response_p50\"] .kpi-value", "0 s")
        .await;
    assert_eq!(
        browser
            .js(
                "return document.querySelector('#report-bh').checked",
                vec![]
            )
            .await,
        true
    );
    browser.close().await;
    r.stop().await;
}

#[tokio::test]
async fn trend_lines_join_consecutive_values_break_at_gaps_and_tell_the_p90_from_the_median() {
    let r = Reports::start().await;
    let browser = Browser::start(1280, 1200).await;
    browser.goto(&r.url("")).await;

    // The recorded history: replies on two days, all 398 s, so median and p90 are equal on both. Both
    // show: the median's circles over the p90's larger hollow diamonds, at the same places.
    browser.find("#chart-first-response svg.series").await;
    let markers = browser
        .js(
            "const at = (sel) => [...document.querySelectorAll('#chart-first-response svg.series ' + sel)]
                 .map(p => { const b = p.getBBox(); return [Math.round(b.x + b.width / 2), Math.round(b.y + b.height / 2), Math.round(b.width)]; });
             return [at('circle.point.s0'), at('path.point.diamond.s1')]",
            vec![],
        )
        .await;
    let (circles, diamonds) = (
        markers[0].as_array().unwrap(),
        markers[1].as_array().unwrap(),
    );
    assert_eq!(circles.len(), 2, "{markers}");
    assert_eq!(diamonds.len(), 2, "{markers}");
    for (c, d) in circles.iter().zip(diamonds) {
        assert_eq!((&c[0], &c[1]), (&d[0], &d[1]), "same place: {markers}");
        assert!(
            d[2].as_i64() > c[2].as_i64(),
            "the diamond is larger: {markers}"
        );
    }
    // The legend draws each line's stroke and marker: solid with a circle, dashed with a diamond.
    let legend = browser
        .js(
            "return [...document.querySelectorAll('#chart-first-response .legend > span')].map(s => [
                 s.textContent,
                 getComputedStyle(s.querySelector('path.line')).strokeDasharray,
                 s.querySelector('.point').tagName])",
            vec![],
        )
        .await;
    assert_eq!(
        legend,
        json!([["Median", "none", "circle"], ["p90", "5px, 3px", "path"]])
    );

    // The chart module itself, on a series with gaps: [1, 2, –, 3, –, –, 4, 5] is three pieces: 1-2 joined,
    // 3 alone (a point, no line), 4-5 joined.
    let drawn = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             (async () => {
             const src = document.querySelector('script[type=module]').src;
             const { seriesChart } = await import(src.replace(/main\\.js$/, 'charts.js'));
             const fig = seriesChart({ id: 'gaps', title: 'Gaps', labels: ['a','b','c','d','e','f','g','h'],
               series: [{ name: 'Median', kind: 'line', values: [60, 120, null, 180, null, null, 240, 300] },
                        { name: 'p90', kind: 'line', values: [60, 150, null, 180, null, null, 300, 300] }],
               seconds: true });
             document.querySelector('main').prepend(fig);
             for (let i = 0; i < 100 && !fig.querySelector('svg.series'); i++) await new Promise(r => setTimeout(r, 20));
             const d = (k) => fig.querySelector('svg.series path.line.s' + k).getAttribute('d');
             const pieces = (path) => path.split('M').filter(Boolean).map(p => p.split('L').length);
             return [pieces(d(0)), pieces(d(1)), fig.querySelectorAll('svg.series circle.point').length,
                     fig.querySelectorAll('svg.series path.point.diamond').length];
             })().then(done, (e) => done(String(e)));",
            vec![],
        )
        .await
        .expect("script runs");
    assert_eq!(drawn, json!([[2, 1, 2], [2, 1, 2], 5, 5]));
    browser.close().await;
    r.stop().await;
}
