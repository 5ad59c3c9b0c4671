//! The report as Markdown (the stored form, the e-mail's text part and the chat message) and as HTML (the
//! e-mail's alternative part, rendered from the Markdown so both always say the same).

use std::fmt::Write as _;

use chrono::Duration;

use crate::figures::Snapshot;
use crate::period::{Kind, Period};
use crate::recommend::recommend;

/// A duration in seconds for people: "45s", "12m 30s", "3h 05m", "2d 4h"; "-" without a value.
pub fn duration(seconds: Option<f64>) -> String {
    let Some(seconds) = seconds else {
        return "-".into();
    };
    let s = seconds.round().max(0.0) as i64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 if s % 60 == 0 => format!("{}m", s / 60),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        3600..86400 => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86400, s % 86400 / 3600),
    }
}

/// "+25%", "-10%", "new" (from zero), "=" (unchanged).
pub fn percent_change(now: f64, before: f64) -> String {
    if before == 0.0 {
        return if now == 0.0 { "=".into() } else { "new".into() };
    }
    let change = 100.0 * (now - before) / before;
    if change.abs() < 0.5 {
        "=".into()
    } else {
        format!("{change:+.0}%")
    }
}

fn change_of(now: Option<f64>, before: Option<f64>) -> String {
    match (now, before) {
        (Some(n), Some(b)) => percent_change(n, b),
        _ => "-".into(),
    }
}

fn percent(value: Option<f64>) -> String {
    value.map_or("-".into(), |v| format!("{v:.0}%"))
}

/// The e-mail subject and the Markdown title.
pub fn title(tenant: &str, period: Period) -> String {
    match period.kind {
        Kind::Daily => format!(
            "Daily report for {tenant}: {}",
            period.first.format("%a %-d %b %Y")
        ),
        Kind::Weekly => format!(
            "Weekly report for {tenant}: {} to {}",
            period.first.format("%-d %b"),
            (period.end_date() - Duration::days(1)).format("%-d %b %Y")
        ),
    }
}

struct Table(String);

impl Table {
    fn new(noun: &str) -> Self {
        Self(format!(
            "| | This {noun} | Previous {noun} | Change |\n|---|---:|---:|---:|\n"
        ))
    }

    fn count(&mut self, label: &str, now: u64, before: u64) {
        let change = percent_change(now as f64, before as f64);
        let _ = writeln!(self.0, "| {label} | {now} | {before} | {change} |");
    }

    fn duration(&mut self, label: &str, now: Option<f64>, before: Option<f64>) {
        let (n, b, c) = (duration(now), duration(before), change_of(now, before));
        let _ = writeln!(self.0, "| {label} | {n} | {b} | {c} |");
    }
}

fn headline(out: &mut String, s: &Snapshot, kind: Kind) {
    let (now, before) = (&s.current, &s.previous);
    let mut t = Table::new(kind.noun());
    t.count("New conversations", now.conversations, before.conversations);
    t.count(
        "Incoming messages",
        now.incoming_messages,
        before.incoming_messages,
    );
    t.count("Resolutions", now.resolutions, before.resolutions);
    let (fr, frb) = (&now.first_response, &before.first_response);
    t.duration("First response, median", fr.p50, frb.p50);
    t.duration("First response, p90", fr.p90, frb.p90);
    t.duration(
        "Customer waiting time, p90",
        now.reply_time.p90,
        before.reply_time.p90,
    );
    t.duration(
        "Resolution time, median",
        now.resolution_time.p50,
        before.resolution_time.p50,
    );
    let _ = writeln!(
        t.0,
        "| CSAT score | {} | {} | {} |",
        percent(now.csat.score),
        percent(before.csat.score),
        match (now.csat.score, before.csat.score) {
            (Some(n), Some(b)) => format!("{:+.0} pts", n - b),
            _ => "-".into(),
        }
    );
    out.push_str(&t.0);
    let _ = writeln!(
        out,
        "\nCSAT: {} response(s) to {} survey(s) sent.",
        now.csat.responses, now.csat.surveys_sent
    );
}

fn top_issues(out: &mut String, s: &Snapshot) {
    out.push_str("\n## Top issues\n\n");
    if s.current.categories.is_empty() {
        out.push_str("No triaged conversation in this period.\n");
        return;
    }
    out.push_str("| Category | Count | Previous | Change |\n|---|---:|---:|---:|\n");
    for c in s.current.categories.iter().take(5) {
        let before = s.previous.category(&c.key);
        let change = percent_change(c.count as f64, before as f64);
        // A `|` in a name would end its cell.
        let key = c.key.replace('|', "\\|");
        let _ = writeln!(out, "| {key} | {} | {before} | {change} |", c.count);
    }
}

fn peak_hours(out: &mut String, s: &Snapshot) {
    out.push_str("\n## Peak hours\n\n");
    let hours = s.current.hours();
    let mut busiest: Vec<(usize, u64)> = hours
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, n)| *n > 0)
        .collect();
    // Most conversations first, earlier hour first on ties, so the text is stable.
    busiest.sort_by(|(ha, a), (hb, b)| b.cmp(a).then(ha.cmp(hb)));
    if busiest.is_empty() {
        out.push_str("No new conversation in this period.\n");
        return;
    }
    let list: Vec<String> = busiest
        .iter()
        .take(3)
        .map(|(h, n)| format!("{h:02}:00-{:02}:00 ({n})", (h + 1) % 24))
        .collect();
    let _ = writeln!(
        out,
        "Busiest hours (new conversations, local time): {}.",
        list.join(", ")
    );
}

fn bot(out: &mut String, s: &Snapshot) {
    let (now, before) = (&s.current, &s.previous);
    let b = &now.bot;
    out.push_str("\n## Bot and drafts\n\n");
    let _ = writeln!(
        out,
        "- Bot resolutions: {} (previous {}); handoffs to a person: {} (previous {}).",
        now.bot_resolutions, before.bot_resolutions, now.bot_handoffs, before.bot_handoffs
    );
    let _ = writeln!(
        out,
        "- Drafts: {} ({} approved, {} edited, {} rejected, {} stale); approval rate {} (previous {}).",
        b.drafts,
        b.approved,
        b.edited,
        b.rejected,
        b.stale,
        percent(b.approval_rate()),
        percent(before.bot.approval_rate())
    );
    let _ = writeln!(
        out,
        "- Answers sent automatically: {}; escalations: {}; first-reply SLA breaches: {}.",
        b.auto, b.escalations, b.sla_breaches
    );
    let d = &now.deliveries;
    let _ = writeln!(
        out,
        "- Actions delivered to Chatwoot: {} sent, {} retried, {} dead-lettered.",
        d.sent, d.retried, d.dead_lettered
    );
}

/// The whole report.
pub fn markdown(tenant: &str, period: Period, snapshot: &Snapshot) -> String {
    let mut out = format!("# {}\n\n", title(tenant, period));
    let _ = writeln!(
        out,
        "Period: {} to {} ({}), compared with the previous {}.\n",
        period
            .start()
            .with_timezone(&period.tz)
            .format("%Y-%m-%d %H:%M"),
        period
            .end()
            .with_timezone(&period.tz)
            .format("%Y-%m-%d %H:%M"),
        period.tz.name(),
        period.kind.noun()
    );
    headline(&mut out, snapshot, period.kind);
    out.push_str("\n## What to do\n\n");
    let recs = recommend(snapshot, period.kind);
    if recs.is_empty() {
        out.push_str("Nothing stands out: no figure moved enough to call for a change.\n");
    }
    for r in &recs {
        let _ = writeln!(out, "- {}", r.text);
    }
    top_issues(&mut out, snapshot);
    peak_hours(&mut out, snapshot);
    bot(&mut out, snapshot);
    out
}

/// The Markdown as a small HTML page, for mail clients that show HTML. A report quotes names that customers and
/// agents chose (triage categories, labels): HTML in the Markdown is written out as text, and a link goes
/// nowhere unless it is http(s) or mailto, so nothing in a name becomes markup in someone's mailbox.
pub fn html(markdown: &str) -> String {
    use pulldown_cmark::{Event, Tag};
    let safe = |url: &str| {
        let url = url.trim_start().to_ascii_lowercase();
        ["http://", "https://", "mailto:"]
            .iter()
            .any(|scheme| url.starts_with(scheme))
    };
    let parser = pulldown_cmark::Parser::new_ext(markdown, pulldown_cmark::Options::ENABLE_TABLES)
        .map(|event| match event {
            Event::Html(text) | Event::InlineHtml(text) => Event::Text(text),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) if !safe(&dest_url) => Event::Start(Tag::Link {
                link_type,
                dest_url: "".into(),
                title,
                id,
            }),
            other => other,
        });
    let mut body = String::new();
    pulldown_cmark::html::push_html(&mut body, parser);
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><style>body{{font-family:sans-serif}}\
         table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 8px}}</style></head>\
         <body>\n{body}</body></html>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(duration(None), "-");
        assert_eq!(duration(Some(44.6)), "45s");
        assert_eq!(duration(Some(600.0)), "10m");
        assert_eq!(duration(Some(750.0)), "12m 30s");
        assert_eq!(duration(Some(3.0 * 3600.0 + 300.0)), "3h 05m");
        assert_eq!(duration(Some(2.0 * 86400.0 + 4.0 * 3600.0 + 59.0)), "2d 4h");
    }

    #[test]
    fn changes_are_signed_percentages() {
        assert_eq!(percent_change(15.0, 12.0), "+25%");
        assert_eq!(percent_change(9.0, 10.0), "-10%");
        assert_eq!(percent_change(3.0, 0.0), "new");
        assert_eq!(percent_change(0.0, 0.0), "=");
        assert_eq!(percent_change(100.2, 100.0), "=");
    }

    #[test]
    fn html_writes_markup_from_names_as_text_and_drops_unsafe_links() {
        let page = html(
            "| Category | Count |\n|---|---:|\n| <img src=x onerror=alert(1)> | 1 |\n\n\
             <script>alert(2)</script>\n\n[a](javascript:alert(3)) [b](https://example.com/kb)\n",
        );
        assert!(!page.contains("<img"), "{page}");
        assert!(!page.contains("<script>"), "{page}");
        assert!(
            page.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{page}"
        );
        assert!(!page.contains("javascript:"), "{page}");
        assert!(
            page.contains("<a href=\"https://example.com/kb\">b</a>"),
            "{page}"
        );
    }

    #[test]
    fn html_keeps_tables() {
        let page = html("# T\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert!(page.contains("<h1>T</h1>"));
        assert!(page.contains("<td>1</td>"));
    }
}
