//! Working time between two instants, in the tenant's business hours.
//!
//! The shape mirrors the rules crate's `[settings]` (`timezone`, `business_days`, `business_hours = "HH:MM-HH:MM"`,
//! an end before the start spanning midnight) so one tenant config feeds both; it is copied rather than shared
//! because `rules` pulls in triage and infra, and this crate stays pure.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BusinessHoursError {
    #[error("unknown time zone `{0}`")]
    TimeZone(String),
    #[error("`{0}` is not a day (mon..sun)")]
    Day(String),
    #[error("`{0}` is not HH:MM-HH:MM")]
    Hours(String),
}

/// Open windows per weekday, in local time of `tz`. Elapsed working time is real time (a DST night that lasts
/// 5 hours by the clock counts 4 or 6), because values are compared with wall-clock-free UTC spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    tz: Tz,
    /// Indexed by `Weekday::num_days_from_monday`; each day's windows are `[start, end)`, `None` = end of day.
    windows: [Vec<(NaiveTime, Option<NaiveTime>)>; 7],
}

impl BusinessHours {
    /// The same days and hours every business day. `opens > closes` spans midnight like the rules crate:
    /// the day has `[00:00, closes)` and `[opens, 24:00)`; `opens == closes` means closed.
    pub fn new(tz: Tz, days: &[Weekday], opens: NaiveTime, closes: NaiveTime) -> Self {
        let day_windows = if opens < closes {
            vec![(opens, Some(closes))]
        } else if opens > closes {
            vec![(NaiveTime::MIN, Some(closes)), (opens, None)]
        } else {
            Vec::new()
        };
        let mut windows: [Vec<_>; 7] = Default::default();
        for day in days {
            windows[day.num_days_from_monday() as usize] = day_windows.clone();
        }
        Self { tz, windows }
    }

    /// From the rules crate's settings strings, e.g. `("Europe/Berlin", ["mon", …], "09:00-17:00")`.
    pub fn parse(timezone: &str, days: &[&str], hours: &str) -> Result<Self, BusinessHoursError> {
        let tz: Tz = timezone
            .parse()
            .map_err(|_| BusinessHoursError::TimeZone(timezone.into()))?;
        let days = days
            .iter()
            .map(|d| {
                d.parse::<Weekday>()
                    .map_err(|_| BusinessHoursError::Day((*d).into()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let (opens, closes) = hours
            .split_once('-')
            .and_then(|(a, b)| {
                Some((
                    NaiveTime::parse_from_str(a.trim(), "%H:%M").ok()?,
                    NaiveTime::parse_from_str(b.trim(), "%H:%M").ok()?,
                ))
            })
            .ok_or_else(|| BusinessHoursError::Hours(hours.into()))?;
        Ok(Self::new(tz, &days, opens, closes))
    }

    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// Seconds of business time in `[from, to)`; 0 when `to <= from`.
    pub fn seconds_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        if to <= from {
            return 0;
        }
        let first = from.with_timezone(&self.tz).date_naive();
        let last = to.with_timezone(&self.tz).date_naive();
        let mut total = 0;
        // One step per local day: a conversation open for a year costs 366 steps, cheap next to the I/O that
        // brought its events.
        for date in first.iter_days().take_while(|d| *d <= last) {
            for &(start, end) in &self.windows[date.weekday().num_days_from_monday() as usize] {
                let open = self.instant(date, start, true);
                let close = match end {
                    Some(end) => self.instant(date, end, false),
                    None => self.instant(date + Duration::days(1), NaiveTime::MIN, false),
                };
                let (a, b) = (open.max(from), close.min(to));
                if b > a {
                    total += (b - a).num_seconds();
                }
            }
        }
        total
    }

    /// The instant a local clock time happens on `date`. An ambiguous time (the repeated autumn hour) takes the
    /// earlier instant for a window start and the later for an end, so the window covers all it says; a time
    /// skipped in spring is shifted forward by the gap (02:30 → 03:30), as java.time and calendars do, i.e. it
    /// is read with the offset in force before the gap.
    fn instant(&self, date: NaiveDate, time: NaiveTime, start: bool) -> DateTime<Utc> {
        let local = NaiveDateTime::new(date, time);
        match self.tz.from_local_datetime(&local) {
            LocalResult::Single(t) => t.with_timezone(&Utc),
            LocalResult::Ambiguous(a, b) => if start { a } else { b }.with_timezone(&Utc),
            LocalResult::None => {
                let before = self
                    .tz
                    .from_local_datetime(&(local - Duration::hours(3)))
                    .earliest()
                    .map(|t| t.offset().fix())
                    .unwrap_or_else(|| Utc.fix());
                (local - before).and_utc()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("test timestamp")
            .with_timezone(&Utc)
    }

    fn berlin(hours: &str, days: &[&str]) -> BusinessHours {
        BusinessHours::parse("Europe/Berlin", days, hours).expect("valid")
    }

    const WEEKDAYS: [&str; 5] = ["mon", "tue", "wed", "thu", "fri"];
    const ALL: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

    #[test]
    fn friday_evening_to_monday_morning_counts_twenty_minutes() {
        let bh = berlin("09:00-17:00", &WEEKDAYS);
        // Fri 16:50 → Mon 09:10 CET: 10 minutes on Friday, 10 on Monday.
        let s = bh.seconds_between(
            at("2024-03-08T16:50:00+01:00"),
            at("2024-03-11T09:10:00+01:00"),
        );
        assert_eq!(s, 20 * 60);
    }

    #[test]
    fn reversed_or_closed_spans_are_zero() {
        let bh = berlin("09:00-17:00", &WEEKDAYS);
        assert_eq!(
            bh.seconds_between(
                at("2024-03-11T10:00:00+01:00"),
                at("2024-03-11T09:00:00+01:00")
            ),
            0
        );
        // Saturday and Sunday are closed.
        assert_eq!(
            bh.seconds_between(
                at("2024-03-09T10:00:00+01:00"),
                at("2024-03-10T16:00:00+01:00")
            ),
            0
        );
    }

    #[test]
    fn spring_night_lasts_four_real_hours() {
        // 00:00-06:00 local on 2024-03-31 in Berlin: the clock jumps 02:00 → 03:00.
        let bh = berlin("22:00-06:00", &ALL);
        let s = bh.seconds_between(at("2024-03-30T23:30:00Z"), at("2024-03-31T03:30:00Z"));
        assert_eq!(
            s,
            4 * 3600,
            "00:30 CET → 05:30 CEST is 4 real hours, all open"
        );
        // The whole early window of that Sunday: 00:00 CET (23:00 UTC) → 06:00 CEST (04:00 UTC) = 5 hours.
        let s = bh.seconds_between(at("2024-03-30T23:00:00Z"), at("2024-03-31T04:00:00Z"));
        assert_eq!(s, 5 * 3600);
    }

    #[test]
    fn autumn_night_lasts_six_real_hours() {
        // 2024-10-27 in Berlin: 03:00 CEST → 02:00 CET, so 00:30 → 05:30 local is 6 real hours.
        let bh = berlin("22:00-06:00", &ALL);
        let s = bh.seconds_between(at("2024-10-26T22:30:00Z"), at("2024-10-27T04:30:00Z"));
        assert_eq!(s, 6 * 3600);
    }

    #[test]
    fn windows_follow_the_local_clock_across_dst() {
        let bh = berlin("09:00-17:00", &WEEKDAYS);
        // Fri 2024-03-29 16:00 UTC is 17:00 CET (closed); Mon 07:30 UTC is 09:30 CEST: 30 minutes.
        assert_eq!(
            bh.seconds_between(at("2024-03-29T16:00:00Z"), at("2024-04-01T07:30:00Z")),
            30 * 60
        );
        // Fri 2024-10-25 14:00 UTC is 16:00 CEST; Mon 09:00 UTC is 10:00 CET: 1 h + 1 h.
        assert_eq!(
            bh.seconds_between(at("2024-10-25T14:00:00Z"), at("2024-10-28T09:00:00Z")),
            2 * 3600
        );
    }

    #[test]
    fn gap_time_is_shifted_forward() {
        // A window starting at 02:30 on the spring-forward Sunday opens at 03:30 CEST (01:30 UTC).
        let bh = berlin("02:30-04:00", &["sun"]);
        let s = bh.seconds_between(at("2024-03-30T12:00:00Z"), at("2024-03-31T12:00:00Z"));
        // 01:30 UTC → 04:00 CEST (02:00 UTC): 30 minutes.
        assert_eq!(s, 30 * 60);
    }

    #[test]
    fn parse_errors_name_the_bad_part() {
        assert_eq!(
            BusinessHours::parse("Mars/Olympus", &WEEKDAYS, "09:00-17:00"),
            Err(BusinessHoursError::TimeZone("Mars/Olympus".into()))
        );
        assert_eq!(
            BusinessHours::parse("UTC", &["funday"], "09:00-17:00"),
            Err(BusinessHoursError::Day("funday".into()))
        );
        assert_eq!(
            BusinessHours::parse("UTC", &WEEKDAYS, "9 to 5"),
            Err(BusinessHoursError::Hours("9 to 5".into()))
        );
    }
}
