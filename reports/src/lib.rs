//! Support analytics computed the way Chatwoot computes its reports, so the figures agree with Chatwoot's.
//!
//! Pure: no database and no network. The flow is
//! [`History`](history::History) (typed, ordered events of one conversation) → [`derive`](derive::derive) or a
//! per-conversation [`Tracker`](derive::Tracker) → [`Record`](derive::Record)s (Chatwoot's reporting events plus
//! volumes and CSAT) → a [`Rollup`](rollup::Rollup) of mergeable hourly buckets → [`query`] figures. See
//! `README.md` for the definitions.

pub mod business_hours;
pub mod derive;
pub mod history;
pub mod query;
pub mod rollup;
pub mod sketch;

pub use business_hours::{BusinessHours, BusinessHoursError};
pub use derive::{derive, EventName, Fact, HistoryError, Record, ReportingEvent, Tracker};
pub use history::{ConversationInfo, Event, History, Sender, Status, Timed};
pub use query::{
    breakdown, peak_hours, summary, timeseries, Figures, Granularity, Summary, Volume,
};
pub use rollup::{Bucket, Dimension, Group, GroupError, Rollup, Stats};
