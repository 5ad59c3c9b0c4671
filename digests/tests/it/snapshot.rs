//! The Markdown of a daily and a weekly report, compared with files under `tests/snapshots/` (set
//! `UPDATE_SNAPSHOTS=1` to rewrite them after an intended change, then review the diff).

use chrono::NaiveDate;
use digests::{Kind, Period, Snapshot};

use crate::{busy_day, quiet_day};

fn check(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_SNAPSHOTS=1 to create it)",
            path.display()
        )
    });
    assert_eq!(actual, expected, "{name} differs from the snapshot");
}

#[test]
fn daily_report_markdown() {
    let date = NaiveDate::from_ymd_opt(2026, 3, 3).expect("date");
    let period = Period::containing(Kind::Daily, chrono_tz::Europe::Berlin, date);
    let snapshot = Snapshot {
        current: busy_day(),
        previous: quiet_day(),
    };
    check(
        "daily.md",
        &digests::render::markdown("acme", period, &snapshot),
    );
}

#[test]
fn weekly_report_markdown_without_activity() {
    let date = NaiveDate::from_ymd_opt(2026, 10, 21).expect("date");
    let period = Period::containing(Kind::Weekly, chrono_tz::America::New_York, date);
    check(
        "weekly-empty.md",
        &digests::render::markdown("acme", period, &Snapshot::default()),
    );
}
