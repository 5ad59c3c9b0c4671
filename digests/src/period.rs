//! Which period a report covers, in the tenant's time zone: a local day, or a local week starting on Monday
//! (like PostgreSQL's `date_trunc('week')` that Chatwoot groups with). DST makes a local day 23 or 25 hours
//! long, so periods are computed on local dates and only then turned into instants.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// A daily or weekly report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Daily,
    Weekly,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Weekly => "weekly",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "daily" => Some(Self::Daily),
            "weekly" => Some(Self::Weekly),
            _ => None,
        }
    }

    /// "day" or "week", for sentences.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Daily => "day",
            Self::Weekly => "week",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[start, end)` local dates of one report, with the time zone that makes them instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub kind: Kind,
    pub tz: Tz,
    /// First local date of the period.
    pub first: NaiveDate,
}

impl Period {
    /// The period of `kind` holding the local date `date`.
    pub fn containing(kind: Kind, tz: Tz, date: NaiveDate) -> Self {
        let first = match kind {
            Kind::Daily => date,
            Kind::Weekly => date - Duration::days(i64::from(date.weekday().num_days_from_monday())),
        };
        Self { kind, tz, first }
    }

    /// The period of `kind` starting at the instant `start` (its local date), e.g. as given on the command line.
    pub fn starting_at(kind: Kind, tz: Tz, start: DateTime<Utc>) -> Self {
        Self::containing(kind, tz, start.with_timezone(&tz).date_naive())
    }

    fn days(self) -> i64 {
        match self.kind {
            Kind::Daily => 1,
            Kind::Weekly => 7,
        }
    }

    /// First local date after the period.
    pub fn end_date(self) -> NaiveDate {
        self.first + Duration::days(self.days())
    }

    pub fn start(self) -> DateTime<Utc> {
        local_midnight(self.tz, self.first)
    }

    pub fn end(self) -> DateTime<Utc> {
        local_midnight(self.tz, self.end_date())
    }

    /// The period just before, of the same kind (the comparison in the report).
    pub fn previous(self) -> Self {
        Self {
            first: self.first - Duration::days(self.days()),
            ..self
        }
    }

    /// The last period of `kind` whose report is due at `now`: the previous local day (or Monday-based week)
    /// once the tenant's `send_hour` has passed today (or this Monday), else the one before it.
    pub fn due(kind: Kind, tz: Tz, send_hour: u32, now: DateTime<Utc>) -> Self {
        let today = now.with_timezone(&tz).date_naive();
        let current = Self::containing(kind, tz, today);
        let last_complete = current.previous();
        if now >= local_time(tz, current.first, send_hour) {
            last_complete
        } else {
            last_complete.previous()
        }
    }
}

/// The first instant of a local date. Midnight does not exist on DST days in a few zones (e.g.
/// America/Santiago); the day then starts at its first existing instant.
pub fn local_midnight(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    local_time(tz, date, 0)
}

/// The first instant at or after `hour`:00 local on `date`, skipping an hour removed by DST.
pub fn local_time(tz: Tz, date: NaiveDate, hour: u32) -> DateTime<Utc> {
    (hour..24)
        .find_map(|h| {
            tz.from_local_datetime(&date.and_hms_opt(h, 0, 0)?)
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        // Unreachable for real zones (no day lacks every hour from `hour` on); UTC keeps the function total.
        .unwrap_or_else(|| {
            Utc.from_utc_datetime(&date.and_hms_opt(hour.min(23), 0, 0).unwrap_or_default())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("test instant")
            .with_timezone(&Utc)
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("test date")
    }

    const BERLIN: Tz = chrono_tz::Europe::Berlin;

    #[test]
    fn daily_is_due_once_the_send_hour_has_passed() {
        // 07:59 local in Berlin (winter, UTC+1): yesterday's report is not due yet, the day before's is.
        let before = Period::due(Kind::Daily, BERLIN, 8, utc("2026-01-14T06:59:00Z"));
        assert_eq!(before.first, date("2026-01-12"));
        let after = Period::due(Kind::Daily, BERLIN, 8, utc("2026-01-14T07:00:00Z"));
        assert_eq!(after.first, date("2026-01-13"));
        assert_eq!(after.start(), utc("2026-01-12T23:00:00Z"));
        assert_eq!(after.end(), utc("2026-01-13T23:00:00Z"));
    }

    #[test]
    fn the_local_date_decides_not_the_utc_date() {
        // 01:30 UTC on the 14th is still the 13th in New York; at send hour 0 the 12th is the due day there, while
        // in Tokyo (10:30 on the 14th) it is the 13th.
        let now = utc("2026-01-14T01:30:00Z");
        let ny = Period::due(Kind::Daily, chrono_tz::America::New_York, 0, now);
        assert_eq!(ny.first, date("2026-01-12"));
        assert_eq!(ny.start(), utc("2026-01-12T05:00:00Z"));
        let tokyo = Period::due(Kind::Daily, chrono_tz::Asia::Tokyo, 0, now);
        assert_eq!(tokyo.first, date("2026-01-13"));
        assert_eq!(tokyo.start(), utc("2026-01-12T15:00:00Z"));
    }

    #[test]
    fn days_across_dst_changes_are_23_and_25_hours_long() {
        let spring = Period::containing(Kind::Daily, BERLIN, date("2026-03-29"));
        assert_eq!(spring.end() - spring.start(), Duration::hours(23));
        let autumn = Period::containing(Kind::Daily, BERLIN, date("2026-10-25"));
        assert_eq!(autumn.end() - autumn.start(), Duration::hours(25));
        assert_eq!(autumn.start(), utc("2026-10-24T22:00:00Z"));
        assert_eq!(autumn.end(), utc("2026-10-25T23:00:00Z"));
    }

    #[test]
    fn weekly_covers_the_previous_monday_based_week() {
        // Wednesday 2026-04-01: the due week is Monday 23 March .. Monday 30 March, which holds the spring change.
        let week = Period::due(Kind::Weekly, BERLIN, 8, utc("2026-04-01T12:00:00Z"));
        assert_eq!(week.first, date("2026-03-23"));
        assert_eq!(week.end_date(), date("2026-03-30"));
        assert_eq!(week.start(), utc("2026-03-22T23:00:00Z"));
        assert_eq!(week.end(), utc("2026-03-29T22:00:00Z"));
        assert_eq!(week.end() - week.start(), Duration::hours(7 * 24 - 1));
        assert_eq!(week.previous().first, date("2026-03-16"));
        // Monday 30 March at 07:00 local: the send hour has not passed, so the week before is still the due one.
        let early = Period::due(Kind::Weekly, BERLIN, 8, utc("2026-03-30T05:00:00Z"));
        assert_eq!(early.first, date("2026-03-16"));
        let on_time = Period::due(Kind::Weekly, BERLIN, 8, utc("2026-03-30T06:00:00Z"));
        assert_eq!(on_time.first, date("2026-03-23"));
    }

    #[test]
    fn a_send_hour_skipped_by_dst_fires_at_the_next_existing_hour() {
        // 02:00 does not exist in Berlin on 2026-03-29: the report of the 28th is due at 03:00 CEST (01:00 UTC).
        assert_eq!(
            local_time(BERLIN, date("2026-03-29"), 2),
            utc("2026-03-29T01:00:00Z")
        );
        let before = Period::due(Kind::Daily, BERLIN, 2, utc("2026-03-29T00:59:00Z"));
        assert_eq!(before.first, date("2026-03-27"));
        let after = Period::due(Kind::Daily, BERLIN, 2, utc("2026-03-29T01:00:00Z"));
        assert_eq!(after.first, date("2026-03-28"));
    }

    #[test]
    fn a_day_whose_midnight_does_not_exist_starts_at_its_first_instant() {
        // Santiago moves from 00:00 to 01:00 on 2026-09-06.
        let tz = chrono_tz::America::Santiago;
        let day = Period::containing(Kind::Daily, tz, date("2026-09-06"));
        assert_eq!(day.start(), utc("2026-09-06T04:00:00Z"));
        assert_eq!(day.end() - day.start(), Duration::hours(23));
    }

    #[test]
    fn a_period_is_found_again_from_its_start_instant() {
        let week = Period::containing(Kind::Weekly, BERLIN, date("2026-10-21"));
        assert_eq!(
            Period::starting_at(Kind::Weekly, BERLIN, week.start()),
            week
        );
        let kolkata = chrono_tz::Asia::Kolkata;
        let day = Period::containing(Kind::Daily, kolkata, date("2026-05-02"));
        assert_eq!(day.start(), utc("2026-05-01T18:30:00Z"));
        assert_eq!(Period::starting_at(Kind::Daily, kolkata, day.start()), day);
    }
}
