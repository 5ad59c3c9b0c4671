//! Mergeable partial aggregates: what a tenant's reports are computed from.
//!
//! Records land in buckets keyed by group (the account plus each breakdown key the record has) and by the
//! **local hour** in the tenant's time zone, stored as the UTC instant that hour starts. Every field of a bucket
//! is a count, a sum or a [`Sketch`], so buckets merge by addition: a summary over a month merges ~720 hourly
//! buckets per group, whatever the number of conversations, and the same buckets can live in a database table
//! updated as events flow. Local hours make days, weeks and the weekday × hour grid exact in the tenant's time
//! zone, including DST and half-hour offsets; periods should start and end on local hours.

use std::collections::BTreeMap;

use chrono::{DateTime, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::derive::{EventName, Fact, Record};
use crate::sketch::Sketch;

/// A breakdown dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Dimension {
    Account,
    Agent,
    Team,
    Inbox,
    Channel,
}

/// A group-by key: the whole account, or one agent, team, inbox or channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Group {
    Account,
    Agent(u64),
    Team(u64),
    Inbox(u64),
    Channel(String),
}

/// `account`, `agent:12`, `team:3`, `inbox:5`, `channel:Channel::WebWidget`: the form APIs and storage use.
impl std::fmt::Display for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Group::Account => f.write_str("account"),
            Group::Agent(id) => write!(f, "agent:{id}"),
            Group::Team(id) => write!(f, "team:{id}"),
            Group::Inbox(id) => write!(f, "inbox:{id}"),
            Group::Channel(channel) => write!(f, "channel:{channel}"),
        }
    }
}

/// A group that is not `account`, `agent:<id>`, `team:<id>`, `inbox:<id>` or `channel:<type>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a group (account, agent:ID, team:ID, inbox:ID or channel:TYPE)")]
pub struct GroupError(pub String);

impl std::str::FromStr for Group {
    type Err = GroupError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || GroupError(s.to_owned());
        if s == "account" {
            return Ok(Group::Account);
        }
        let (kind, value) = s.split_once(':').ok_or_else(bad)?;
        let id = || value.parse::<u64>().map_err(|_| bad());
        match kind {
            "agent" => Ok(Group::Agent(id()?)),
            "team" => Ok(Group::Team(id()?)),
            "inbox" => Ok(Group::Inbox(id()?)),
            "channel" if !value.is_empty() => Ok(Group::Channel(value.to_owned())),
            _ => Err(bad()),
        }
    }
}

impl Dimension {
    /// The name used in APIs: `account`, `agent`, `team`, `inbox`, `channel`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Account => "account",
            Dimension::Agent => "agent",
            Dimension::Team => "team",
            Dimension::Inbox => "inbox",
            Dimension::Channel => "channel",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Dimension::Account,
            Dimension::Agent,
            Dimension::Team,
            Dimension::Inbox,
            Dimension::Channel,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }
}

impl Group {
    pub fn dimension(&self) -> Dimension {
        match self {
            Group::Account => Dimension::Account,
            Group::Agent(_) => Dimension::Agent,
            Group::Team(_) => Dimension::Team,
            Group::Inbox(_) => Dimension::Inbox,
            Group::Channel(_) => Dimension::Channel,
        }
    }
}

/// Count, sums and distributions of one duration metric, in seconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub count: u64,
    pub sum: i64,
    pub sum_business: i64,
    pub values: Sketch,
    pub values_business: Sketch,
}

impl Stats {
    fn add(&mut self, value: i64, business: i64) {
        self.count += 1;
        self.sum += value;
        self.sum_business += business;
        self.values.add(value);
        self.values_business.add(business);
    }

    pub fn merge(&mut self, other: &Stats) {
        self.count += other.count;
        self.sum += other.sum;
        self.sum_business += other.sum_business;
        self.values.merge(&other.values);
        self.values_business.merge(&other.values_business);
    }
}

/// One group's figures for one local hour.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub conversations: u64,
    pub incoming_messages: u64,
    pub outgoing_messages: u64,
    pub first_response: Stats,
    pub reply_time: Stats,
    /// Every resolution, so `count` is Chatwoot's `resolutions_count`.
    pub resolution: Stats,
    pub bot_resolutions: u64,
    pub bot_handoffs: u64,
    pub csat_surveys_sent: u64,
    /// Responses by rating 1..=5. Signed, because a changed rating moves one count from one rating to another and
    /// the bucket being updated may not hold the first (e.g. a partial rollup over part of a day).
    pub csat_ratings: [i64; 5],
}

impl Bucket {
    pub fn merge(&mut self, other: &Bucket) {
        self.conversations += other.conversations;
        self.incoming_messages += other.incoming_messages;
        self.outgoing_messages += other.outgoing_messages;
        self.first_response.merge(&other.first_response);
        self.reply_time.merge(&other.reply_time);
        self.resolution.merge(&other.resolution);
        self.bot_resolutions += other.bot_resolutions;
        self.bot_handoffs += other.bot_handoffs;
        self.csat_surveys_sent += other.csat_surveys_sent;
        for (mine, theirs) in self.csat_ratings.iter_mut().zip(other.csat_ratings) {
            *mine += theirs;
        }
    }

    fn apply(&mut self, fact: &Fact) {
        match fact {
            Fact::ConversationCreated => self.conversations += 1,
            Fact::IncomingMessage => self.incoming_messages += 1,
            Fact::OutgoingMessage => self.outgoing_messages += 1,
            Fact::Event(e) => {
                let (v, b) = (e.value, e.value_in_business_hours);
                match e.name {
                    EventName::FirstResponse => self.first_response.add(v, b),
                    EventName::ReplyTime => self.reply_time.add(v, b),
                    EventName::ConversationResolved => self.resolution.add(v, b),
                    EventName::ConversationBotResolved => self.bot_resolutions += 1,
                    EventName::ConversationBotHandoff => self.bot_handoffs += 1,
                    EventName::ConversationOpened => {}
                }
            }
            Fact::CsatSurveySent => self.csat_surveys_sent += 1,
            Fact::CsatResponse { rating } => self.csat_ratings[rating_index(*rating)] += 1,
            Fact::CsatRatingChanged { from, to } => {
                self.csat_ratings[rating_index(*from)] -= 1;
                self.csat_ratings[rating_index(*to)] += 1;
            }
        }
    }
}

fn rating_index(rating: u8) -> usize {
    // The tracker rejects ratings outside 1..=5.
    usize::from(rating.clamp(1, 5) - 1)
}

/// A tenant's rollup: per group, hourly buckets keyed by the UTC second their local hour starts.
#[derive(Debug, Clone)]
pub struct Rollup {
    tz: Tz,
    groups: BTreeMap<Group, BTreeMap<i64, Bucket>>,
}

impl Rollup {
    pub fn new(tz: Tz) -> Self {
        Self {
            tz,
            groups: BTreeMap::new(),
        }
    }

    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// The UTC second at which the local hour holding `at` starts. Subtracting the local minutes and seconds
    /// (rather than flooring UTC) keeps half-hour zones such as Asia/Kolkata on their own hours.
    pub fn hour_key(&self, at: DateTime<Utc>) -> i64 {
        let local = at.with_timezone(&self.tz);
        at.timestamp() - i64::from(local.minute() * 60 + local.second())
    }

    pub fn record(&mut self, record: &Record) {
        let key = self.hour_key(record.at);
        let d = &record.dims;
        let mut groups = vec![
            Group::Account,
            Group::Inbox(d.inbox),
            Group::Channel(d.channel.clone()),
        ];
        groups.extend(d.agent.map(Group::Agent));
        groups.extend(d.team.map(Group::Team));
        for group in groups {
            self.groups
                .entry(group)
                .or_default()
                .entry(key)
                .or_default()
                .apply(&record.fact);
        }
    }

    pub fn record_all<'a>(&mut self, records: impl IntoIterator<Item = &'a Record>) {
        records.into_iter().for_each(|r| self.record(r));
    }

    /// Adds another rollup of the same tenant (e.g. one built by another worker or for another day).
    pub fn merge(&mut self, other: &Rollup) {
        for (group, buckets) in &other.groups {
            let mine = self.groups.entry(group.clone()).or_default();
            for (key, bucket) in buckets {
                mine.entry(*key).or_default().merge(bucket);
            }
        }
    }

    /// Merges a stored bucket into the rollup (how a database-backed rollup is loaded).
    pub fn add(&mut self, group: Group, key: i64, bucket: &Bucket) {
        self.groups
            .entry(group)
            .or_default()
            .entry(key)
            .or_default()
            .merge(bucket);
    }

    /// Every bucket, by group then hour (how a rollup is stored).
    pub fn iter(&self) -> impl Iterator<Item = (&Group, i64, &Bucket)> {
        self.groups
            .iter()
            .flat_map(|(g, buckets)| buckets.iter().map(move |(k, b)| (g, *k, b)))
    }

    /// The hourly buckets of `group` starting in `[since, until)`.
    pub fn buckets(
        &self,
        group: &Group,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> impl Iterator<Item = (i64, &Bucket)> {
        self.groups
            .get(group)
            .into_iter()
            .flat_map(move |b| b.range(since.timestamp()..until.timestamp()))
            .map(|(k, b)| (*k, b))
    }

    /// The groups of one dimension that have any bucket.
    pub fn groups(&self, dimension: Dimension) -> impl Iterator<Item = &Group> {
        self.groups
            .keys()
            .filter(move |g| g.dimension() == dimension)
    }
}
