//! CSV renderings: a header row, then one row per period, point, group or weekday. Values are numbers or
//! empty (no value); group keys are quoted when they need it.

use crate::view::{
    BreakdownView, DurationFigures, FiguresView, PeakHoursView, SummaryView, TimeseriesView,
};

fn num(v: Option<f64>) -> String {
    v.map(|v| format!("{v}")).unwrap_or_default()
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

const FIGURE_COLUMNS: &str = "conversations,incoming_messages,outgoing_messages,resolutions,bot_resolutions,\
bot_handoffs,first_response_count,first_response_avg,first_response_p50,first_response_p90,first_response_p95,\
first_response_p99,reply_time_count,reply_time_avg,reply_time_p50,reply_time_p90,reply_time_p95,reply_time_p99,\
resolution_time_count,resolution_time_avg,resolution_time_p50,resolution_time_p90,resolution_time_p95,\
resolution_time_p99,csat_surveys_sent,csat_responses,csat_score,csat_response_rate";

fn duration(d: &DurationFigures) -> String {
    let s = &d.stats;
    format!(
        "{},{},{},{},{},{}",
        d.count,
        num(s.avg),
        num(s.p50),
        num(s.p90),
        num(s.p95),
        num(s.p99)
    )
}

fn figures(f: &FiguresView) -> String {
    format!(
        "{},{},{},{},{},{},{},{},{},{},{},{},{}",
        f.conversations,
        f.incoming_messages,
        f.outgoing_messages,
        f.resolutions,
        f.bot_resolutions,
        f.bot_handoffs,
        duration(&f.first_response),
        duration(&f.reply_time),
        duration(&f.resolution_time),
        f.csat.surveys_sent,
        f.csat.responses,
        num(f.csat.score),
        num(f.csat.response_rate),
    )
}

pub fn summary(s: &SummaryView) -> String {
    format!(
        "period,since,until,{FIGURE_COLUMNS}\ncurrent,{},{},{}\nprevious,{},{},{}\n",
        s.since.to_rfc3339(),
        s.until.to_rfc3339(),
        figures(&s.current),
        s.previous_since.to_rfc3339(),
        s.previous_until.to_rfc3339(),
        figures(&s.previous),
    )
}

pub fn timeseries(t: &TimeseriesView) -> String {
    let mut out = format!("start,{}_{}\n", t.metric, t.stat);
    for p in &t.points {
        out.push_str(&format!("{},{}\n", p.start, num(p.value)));
    }
    out
}

pub fn breakdown(b: &BreakdownView) -> String {
    let mut out = format!("group,id,{FIGURE_COLUMNS}\n");
    for row in &b.rows {
        out.push_str(&format!(
            "{},{},{}\n",
            quote(&row.group),
            quote(&row.id),
            figures(&row.figures)
        ));
    }
    out
}

pub fn peak_hours(p: &PeakHoursView) -> String {
    let hours: Vec<String> = (0..24).map(|h| format!("h{h:02}")).collect();
    let mut out = format!("weekday,{}\n", hours.join(","));
    for (day, row) in p.weekdays.iter().zip(&p.grid) {
        let values: Vec<String> = row.iter().map(u64::to_string).collect();
        out.push_str(&format!("{day},{}\n", values.join(",")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_has_the_header_s_columns() {
        let columns = FIGURE_COLUMNS.split(',').count();
        assert_eq!(columns, 28);
        assert_eq!(quote("channel:a,b"), "\"channel:a,b\"");
    }
}
