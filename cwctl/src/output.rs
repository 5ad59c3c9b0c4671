//! Plain-text tables and time formatting shared by the commands.

use std::io::{self, Write};

use chrono::{DateTime, SecondsFormat, Utc};

/// Writes rows under headers, columns padded to their widest cell.
pub fn table(out: &mut impl Write, headers: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(width) = widths.get_mut(i) {
                *width = (*width).max(cell.chars().count());
            }
        }
    }
    let line = |out: &mut dyn Write, cells: &mut dyn Iterator<Item = &str>| -> io::Result<()> {
        let mut text = String::new();
        for (i, cell) in cells.enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            let width = widths.get(i).copied().unwrap_or(0);
            text.push_str(&format!("{cell:<width$}"));
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(out, &mut headers.iter().copied())?;
    for row in rows {
        line(out, &mut row.iter().map(String::as_str))?;
    }
    Ok(())
}

/// `2026-05-12T09:14:27Z`.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// At most `max` characters, an ellipsis marking a cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// A NATS (`time` crate) timestamp as chrono.
pub fn from_nats_time(at: time::OffsetDateTime) -> DateTime<Utc> {
    let nanos = i64::try_from(at.unix_timestamp_nanos()).unwrap_or(i64::MAX);
    DateTime::from_timestamp_nanos(nanos)
}

/// A chrono timestamp as NATS wants it.
pub fn to_nats_time(at: DateTime<Utc>) -> time::OffsetDateTime {
    let nanos = at.timestamp_nanos_opt().unwrap_or(i64::MAX);
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// `--since`/`--until`: RFC 3339 (`2026-05-12T09:00:00Z`) or a duration ago (`90m`, `12h`, `2d`).
pub fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    let ago = infra::config::parse_duration(text).map_err(|_| {
        format!("`{text}` is neither an RFC 3339 time (2026-05-12T09:00:00Z) nor a duration ago (90m, 12h, 2d)")
    })?;
    let ago = chrono::Duration::from_std(ago).map_err(|e| e.to_string())?;
    Ok(Utc::now() - ago)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns() {
        let mut out = Vec::new();
        table(
            &mut out,
            &["ID", "NAME"],
            &[
                vec!["1".into(), "acme".into()],
                vec!["1234".into(), "x".into()],
            ],
        )
        .expect("writes");
        assert_eq!(
            String::from_utf8_lossy(&out),
            "ID    NAME\n1     acme\n1234  x\n"
        );
    }

    #[test]
    fn instants_parse_absolute_and_relative() {
        let at = parse_instant("2026-05-12T09:00:00+02:00").expect("rfc3339");
        assert_eq!(timestamp(at), "2026-05-12T07:00:00Z");
        let ago = parse_instant("2h").expect("duration");
        assert!((Utc::now() - ago).num_minutes() >= 119);
        assert!(parse_instant("yesterday").is_err());
    }

    #[test]
    fn times_convert_between_crates() {
        let at = parse_instant("2026-05-12T09:00:00.123Z").expect("rfc3339");
        assert_eq!(from_nats_time(to_nats_time(at)), at);
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }
}
