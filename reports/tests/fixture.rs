//! A fixture history with every expected figure computed by hand (the arithmetic is in the comments).
//!
//! Tenant: Europe/Berlin, business hours Mon-Fri 09:00-17:00. Times below are Berlin local unless they end in Z.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use reports::derive::{reporting_events, Fact};
use reports::query::Distribution;
use reports::{
    breakdown, derive, peak_hours, summary, timeseries, BusinessHours, ConversationInfo, Dimension,
    Event, EventName, Granularity, Group, History, Record, Rollup, Sender, Status, Timed, Volume,
};

fn b(local: &str) -> DateTime<Utc> {
    let naive = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").expect("test time");
    Berlin
        .from_local_datetime(&naive)
        .single()
        .expect("unambiguous")
        .with_timezone(&Utc)
}

fn z(utc: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(utc)
        .expect("test time")
        .with_timezone(&Utc)
}

fn hours() -> BusinessHours {
    BusinessHours::parse(
        "Europe/Berlin",
        &["mon", "tue", "wed", "thu", "fri"],
        "09:00-17:00",
    )
    .expect("valid")
}

fn at(t: DateTime<Utc>, event: Event) -> Timed {
    Timed { at: t, event }
}

fn contact() -> Event {
    Event::Message {
        sender: Sender::Contact,
        private: false,
    }
}

fn agent(id: u64) -> Event {
    Event::Message {
        sender: Sender::Agent(id),
        private: false,
    }
}

fn bot() -> Event {
    Event::Message {
        sender: Sender::Bot,
        private: false,
    }
}

fn info(id: u64, inbox: u64, channel: &str, bot: bool, created: DateTime<Utc>) -> ConversationInfo {
    ConversationInfo {
        id,
        inbox,
        channel: channel.into(),
        inbox_has_bot: bot,
        created_at: created,
        status: if bot { Status::Pending } else { Status::Open },
        assignee: None,
        team: None,
    }
}

const EMAIL: &str = "Channel::Email";
const WIDGET: &str = "Channel::WebWidget";

/// Created Friday 16:50, answered Monday 09:10, resolved, CSAT given twice, reopened, resolved again.
fn conversation_b() -> History {
    History {
        info: info(2, 8, EMAIL, false, b("2024-03-08 16:50")),
        events: vec![
            at(b("2024-03-08 16:50"), contact()),
            at(b("2024-03-11 09:05"), Event::Assigned(Some(17))),
            at(b("2024-03-11 09:10"), agent(17)),
            at(b("2024-03-11 09:20"), contact()),
            at(
                b("2024-03-11 09:25"),
                Event::Message {
                    sender: Sender::Agent(17),
                    private: true,
                },
            ),
            at(b("2024-03-11 09:30"), agent(17)),
            at(b("2024-03-11 10:00"), Event::Status(Status::Resolved)),
            at(
                b("2024-03-11 10:00"),
                Event::CsatSurveySent { message_id: 101 },
            ),
            at(
                b("2024-03-11 10:05"),
                Event::CsatResponse {
                    message_id: 101,
                    rating: 2,
                    feedback: Some("slow".into()),
                },
            ),
            at(
                b("2024-03-11 10:07"),
                Event::CsatResponse {
                    message_id: 101,
                    rating: 5,
                    feedback: Some("all good in the end".into()),
                },
            ),
            at(b("2024-03-11 11:00"), Event::Status(Status::Open)),
            at(b("2024-03-11 11:00"), contact()),
            at(b("2024-03-11 11:30"), agent(23)),
            at(b("2024-03-11 12:00"), Event::Status(Status::Resolved)),
        ],
    }
}

/// A bot inbox: bot answers, hands off, an agent answers; resolved, back to the bot, handed off again.
fn conversation_a() -> History {
    History {
        info: info(1, 7, WIDGET, true, b("2024-03-11 09:00")),
        events: vec![
            at(b("2024-03-11 09:00"), contact()),
            at(b("2024-03-11 09:01"), bot()),
            at(b("2024-03-11 09:02"), contact()),
            at(b("2024-03-11 09:05"), Event::BotHandoff),
            at(b("2024-03-11 09:05"), Event::Assigned(Some(17))),
            at(b("2024-03-11 09:05"), Event::Team(Some(2))),
            at(b("2024-03-11 09:15"), agent(17)),
            at(b("2024-03-11 09:20"), Event::Status(Status::Resolved)),
            at(b("2024-03-11 09:30"), Event::Status(Status::Pending)),
            at(b("2024-03-11 09:30"), contact()),
            at(b("2024-03-11 09:31"), Event::BotHandoff),
            at(b("2024-03-11 09:35"), agent(17)),
            at(b("2024-03-11 09:40"), Event::Status(Status::Resolved)),
            at(
                b("2024-03-11 09:40"),
                Event::CsatSurveySent { message_id: 102 },
            ),
            at(
                b("2024-03-11 09:45"),
                Event::CsatResponse {
                    message_id: 102,
                    rating: 3,
                    feedback: None,
                },
            ),
        ],
    }
}

/// The bot resolves on its own; the survey goes unanswered.
fn conversation_c() -> History {
    History {
        info: info(3, 7, WIDGET, true, b("2024-03-11 14:00")),
        events: vec![
            at(b("2024-03-11 14:00"), contact()),
            at(b("2024-03-11 14:01"), bot()),
            at(b("2024-03-11 14:03"), Event::Status(Status::Resolved)),
            at(
                b("2024-03-11 14:03"),
                Event::CsatSurveySent { message_id: 103 },
            ),
        ],
    }
}

fn events(history: &History) -> Vec<(EventName, i64, i64)> {
    let records = derive(history, Some(&hours())).expect("valid history");
    reporting_events(&records)
        .into_iter()
        .map(|e| (e.name, e.value, e.value_in_business_hours))
        .collect()
}

use EventName::*;

#[test]
fn conversation_b_reporting_events() {
    assert_eq!(
        events(&conversation_b()),
        vec![
            // Fri 16:50 → Mon 09:10 = 64 h 20 min = 231600 s; business: Fri 16:50-17:00 + Mon 09:00-09:10 = 20 min.
            // The first reply writes no reply_time.
            (FirstResponse, 231_600, 1_200),
            // Waiting since 09:20 (the private note at 09:25 does not answer): 10 min.
            (ReplyTime, 600, 600),
            // Fri 16:50 → Mon 10:00 = 65 h 10 min; business 10 + 60 min.
            (ConversationResolved, 234_600, 4_200),
            // Reopened 11:00, an hour after the resolution.
            (ConversationOpened, 3_600, 3_600),
            // Waiting since 11:00, answered 11:30 by another agent.
            (ReplyTime, 1_800, 1_800),
            // Second resolution counts too: Fri 16:50 → Mon 12:00 = 67 h 10 min; business 10 + 180 min.
            (ConversationResolved, 241_800, 11_400),
        ]
    );
}

#[test]
fn conversation_a_reporting_events() {
    assert_eq!(
        events(&conversation_a()),
        vec![
            // The handoff opens the pending conversation (nothing resolved before: 0), then hands off 5 min in.
            (ConversationOpened, 0, 0),
            (ConversationBotHandoff, 300, 300),
            // First human reply minus the handoff (the last non-human activity), not minus creation or the
            // customer's 09:02 message: 09:05 → 09:15.
            (FirstResponse, 600, 600),
            (ConversationResolved, 1_200, 1_200),
            // Pending → open by the second handoff, 11 min after the 09:20 resolution; no second handoff event.
            (ConversationOpened, 660, 660),
            // Waiting since the 09:30 message (the resolution had cleared it).
            (ReplyTime, 300, 300),
            (ConversationResolved, 2_400, 2_400),
        ]
    );
}

#[test]
fn conversation_c_is_a_bot_resolution() {
    assert_eq!(
        events(&conversation_c()),
        vec![
            (ConversationResolved, 180, 180),
            (ConversationBotResolved, 180, 180),
        ]
    );
}

#[test]
fn csat_given_twice_counts_once_with_the_last_rating_at_the_first_time() {
    let records = derive(&conversation_b(), Some(&hours())).expect("valid");
    let csat: Vec<(DateTime<Utc>, &Fact)> = records
        .iter()
        .filter(|r| {
            matches!(
                r.fact,
                Fact::CsatResponse { .. } | Fact::CsatRatingChanged { .. }
            )
        })
        .map(|r| (r.at, &r.fact))
        .collect();
    assert_eq!(
        csat,
        vec![
            (b("2024-03-11 10:05"), &Fact::CsatResponse { rating: 2 }),
            (
                b("2024-03-11 10:05"),
                &Fact::CsatRatingChanged { from: 2, to: 5 }
            ),
        ]
    );
}

#[test]
fn first_responses_across_dst_changes() {
    // Fri 2024-03-29 17:00 CET (16:00Z), answered Mon 2024-04-01 09:30 CEST (07:30Z): the clock moved on Sunday.
    let spring = History {
        info: info(4, 8, EMAIL, false, z("2024-03-29T16:00:00Z")),
        events: vec![at(z("2024-04-01T07:30:00Z"), agent(17))],
    };
    // 16:00Z → 07:30Z three days later = 63 h 30 min real time; business: Mon 09:00-09:30 CEST only.
    assert_eq!(events(&spring), vec![(FirstResponse, 228_600, 1_800)]);
    // Fri 2024-10-25 16:00 CEST (14:00Z), answered Mon 2024-10-28 10:00 CET (09:00Z).
    let autumn = History {
        info: info(5, 8, EMAIL, false, z("2024-10-25T14:00:00Z")),
        events: vec![at(z("2024-10-28T09:00:00Z"), agent(17))],
    };
    // 14:00Z → 09:00Z = 67 h; business: Fri 16:00-17:00 CEST + Mon 09:00-10:00 CET.
    assert_eq!(events(&autumn), vec![(FirstResponse, 241_200, 7_200)]);
}

#[test]
fn without_business_hours_the_business_value_is_zero_like_chatwoot() {
    let records = derive(&conversation_c(), None).expect("valid");
    let values: Vec<i64> = reporting_events(&records)
        .iter()
        .map(|e| e.value_in_business_hours)
        .collect();
    assert_eq!(values, vec![0, 0]);
}

#[test]
fn out_of_order_and_bad_ratings_are_errors() {
    let mut h = conversation_c();
    h.events.swap(0, 2);
    assert!(matches!(
        derive(&h, None),
        Err(reports::HistoryError::OutOfOrder {
            conversation: 3,
            ..
        })
    ));
    let mut h = conversation_c();
    h.events.push(at(
        b("2024-03-11 15:00"),
        Event::CsatResponse {
            message_id: 103,
            rating: 6,
            feedback: None,
        },
    ));
    assert_eq!(
        derive(&h, None),
        Err(reports::HistoryError::Rating {
            conversation: 3,
            rating: 6
        })
    );
}

fn records() -> Vec<Record> {
    [conversation_a(), conversation_b(), conversation_c()]
        .iter()
        .flat_map(|h| derive(h, Some(&hours())).expect("valid"))
        .collect()
}

fn rollup() -> Rollup {
    let mut r = Rollup::new(Berlin);
    r.record_all(&records());
    r
}

fn dist(avg: f64, p50: f64, p90: f64, p95: f64, p99: f64) -> Distribution {
    Distribution {
        avg: Some(avg),
        p50: Some(p50),
        p90: Some(p90),
        p95: Some(p95),
        p99: Some(p99),
    }
}

/// The week of Mon 2024-03-11; the previous period is the week before (B was created in it).
fn week() -> (DateTime<Utc>, DateTime<Utc>) {
    (b("2024-03-11 00:00"), b("2024-03-18 00:00"))
}

#[test]
fn summary_of_the_week_and_the_previous_one() {
    let (since, until) = week();
    let s = summary(&rollup(), &Group::Account, since, until);
    let c = &s.current;
    assert_eq!(
        c.conversations_count, 2,
        "A and C; B was created the week before"
    );
    // B 09:20, 11:00; A 09:00, 09:02, 09:30; C 14:00.
    assert_eq!(c.incoming_messages_count, 6);
    // B 09:10, 09:25 (a private note counts, as in Chatwoot), 09:30, 11:30; A 09:01 (bot), 09:15, 09:35;
    // C 14:01 (bot). Surveys are template messages and do not count.
    assert_eq!(c.outgoing_messages_count, 8);
    // First responses [600, 231600]: avg 116100; nearest rank: p50 = rank 1, p90 = rank 2.
    assert_eq!(c.first_response.count, 2);
    assert_eq!(
        c.first_response.wall,
        dist(116_100.0, 600.0, 231_600.0, 231_600.0, 231_600.0)
    );
    assert_eq!(
        c.first_response.business,
        dist(900.0, 600.0, 1_200.0, 1_200.0, 1_200.0)
    );
    // Reply times [300, 600, 1800]: avg 900; p50 = rank 2, p90 = rank ceil(2.7) = 3.
    assert_eq!(c.reply_time.count, 3);
    assert_eq!(
        c.reply_time.wall,
        dist(900.0, 600.0, 1_800.0, 1_800.0, 1_800.0)
    );
    // Resolutions [180, 1200, 2400, 234600, 241800]: sum 480180, avg 96036; p50 = rank 3, p90 = rank 5.
    assert_eq!(c.resolutions_count, 5);
    assert_eq!(
        c.resolution.wall,
        dist(96_036.0, 2_400.0, 241_800.0, 241_800.0, 241_800.0)
    );
    // Business [180, 1200, 2400, 4200, 11400]: sum 19380, avg 3876.
    assert_eq!(
        c.resolution.business,
        dist(3_876.0, 2_400.0, 11_400.0, 11_400.0, 11_400.0)
    );
    assert_eq!(c.bot_resolutions_count, 1, "C");
    assert_eq!(c.bot_handoffs_count, 1, "A, once although handed off twice");
    // Surveys: B, A, C = 3; responses B (5, the last of two) and A (3): score 1/2, rate 2/3.
    assert_eq!(c.csat.surveys_sent, 3);
    assert_eq!(c.csat.responses, 2);
    assert_eq!(c.csat.ratings, [0, 0, 1, 0, 1]);
    assert_eq!(c.csat.score, Some(50.0));
    assert_eq!(c.csat.response_rate, Some(200.0 / 3.0));

    let p = &s.previous;
    assert_eq!(
        (
            p.conversations_count,
            p.incoming_messages_count,
            p.outgoing_messages_count
        ),
        (1, 1, 0)
    );
    assert_eq!(p.first_response.count, 0);
    assert_eq!(p.first_response.wall.avg, None);
    assert_eq!((p.csat.score, p.csat.response_rate), (None, None));
}

#[test]
fn breakdowns_by_agent_team_inbox_and_channel() {
    let (since, until) = week();
    let r = rollup();
    let agents = breakdown(&r, Dimension::Agent, since, until);
    assert_eq!(
        agents.iter().map(|(g, _)| g.clone()).collect::<Vec<_>>(),
        vec![Group::Agent(17), Group::Agent(23)]
    );
    let a17 = &agents[0].1;
    // Agent 17 answered first in A and B; replied B 09:30 (600) and A 09:35 (300); was assignee at all four
    // resolutions of A and B; was assignee when both answered surveys were sent.
    assert_eq!(a17.first_response.count, 2);
    assert_eq!(a17.reply_time.count, 2);
    assert_eq!(a17.reply_time.wall.avg, Some(450.0));
    assert_eq!(a17.resolutions_count, 4);
    // (234600 + 241800 + 1200 + 2400) / 4
    assert_eq!(a17.resolution.wall.avg, Some(120_000.0));
    assert_eq!(a17.csat.score, Some(50.0));
    let a23 = &agents[1].1;
    assert_eq!(
        (
            a23.first_response.count,
            a23.reply_time.count,
            a23.resolutions_count
        ),
        (0, 1, 0)
    );
    assert_eq!(a23.reply_time.wall.avg, Some(1_800.0));

    let teams = breakdown(&r, Dimension::Team, since, until);
    assert_eq!(teams.len(), 1);
    // Team 2 got A at 09:05, just after the handoff: A's two resolutions (1200, 2400) and its first response.
    let (g, t2) = &teams[0];
    assert_eq!(g, &Group::Team(2));
    assert_eq!((t2.bot_handoffs_count, t2.resolutions_count), (0, 2));
    assert_eq!(t2.resolution.wall.avg, Some(1_800.0));
    assert_eq!(t2.first_response.wall.avg, Some(600.0));

    let inboxes = breakdown(&r, Dimension::Inbox, since, until);
    let counts: Vec<(Group, u64, u64)> = inboxes
        .iter()
        .map(|(g, f)| (g.clone(), f.conversations_count, f.resolutions_count))
        .collect();
    assert_eq!(
        counts,
        vec![(Group::Inbox(7), 2, 3), (Group::Inbox(8), 0, 2)]
    );

    let email = summary(&r, &Group::Channel(EMAIL.into()), since, until).current;
    assert_eq!(email.first_response.wall.avg, Some(231_600.0));
    assert_eq!(email.first_response.business.avg, Some(1_200.0));
    let widget = summary(&r, &Group::Channel(WIDGET.into()), since, until).current;
    assert_eq!(
        (widget.bot_handoffs_count, widget.bot_resolutions_count),
        (1, 1)
    );
}

#[test]
fn volumes_by_hour_day_and_week() {
    let r = rollup();
    let (since, until) = week();
    let days = timeseries(&r, &Group::Account, since, until, Granularity::Day);
    assert_eq!(days.len(), 7);
    assert_eq!(
        days[0].0,
        Berlin.with_ymd_and_hms(2024, 3, 11, 0, 0, 0).unwrap()
    );
    let incoming: Vec<u64> = days
        .iter()
        .map(|(_, f)| f.incoming_messages_count)
        .collect();
    assert_eq!(incoming, vec![6, 0, 0, 0, 0, 0, 0]);

    let weeks = timeseries(
        &r,
        &Group::Account,
        b("2024-03-04 00:00"),
        until,
        Granularity::Week,
    );
    let conversations: Vec<u64> = weeks.iter().map(|(_, f)| f.conversations_count).collect();
    assert_eq!(conversations, vec![1, 2]);

    let hours = timeseries(
        &r,
        &Group::Account,
        b("2024-03-11 09:00"),
        b("2024-03-11 12:00"),
        Granularity::Hour,
    );
    // 09h: A 09:00, 09:02, 09:30 and B 09:20; 10h: none; 11h: B 11:00.
    let incoming: Vec<u64> = hours
        .iter()
        .map(|(_, f)| f.incoming_messages_count)
        .collect();
    assert_eq!(incoming, vec![4, 0, 1]);
}

#[test]
fn peak_hours_grid() {
    let r = rollup();
    let (since, until) = week();
    let grid = peak_hours(&r, &Group::Account, since, until, Volume::IncomingMessages);
    let mut expected = [[0u64; 24]; 7];
    expected[0][9] = 4;
    expected[0][11] = 1;
    expected[0][14] = 1;
    assert_eq!(grid, expected);
    let grid = peak_hours(&r, &Group::Account, since, until, Volume::Conversations);
    assert_eq!(
        (grid[0][9], grid[0][14], grid.iter().flatten().sum::<u64>()),
        (1, 1, 2)
    );
}

#[test]
fn local_hours_across_the_autumn_change() {
    // Sun 2024-10-27: 00:30Z is 02:30 CEST, 01:30Z is 02:30 CET; 03:30Z is 04:30 CET.
    let h = History {
        info: info(6, 8, EMAIL, false, z("2024-10-27T00:30:00Z")),
        events: vec![
            at(z("2024-10-27T00:30:00Z"), contact()),
            at(z("2024-10-27T01:30:00Z"), contact()),
            at(z("2024-10-27T03:30:00Z"), contact()),
        ],
    };
    let mut r = Rollup::new(Berlin);
    r.record_all(&derive(&h, Some(&hours())).expect("valid"));
    let day = (z("2024-10-26T22:00:00Z"), z("2024-10-27T23:00:00Z"));
    let grid = peak_hours(&r, &Group::Account, day.0, day.1, Volume::IncomingMessages);
    assert_eq!(
        (grid[6][2], grid[6][4]),
        (2, 1),
        "both 02:30s fall in Sunday's 02h"
    );
    // The day has 25 hours, so 25 hourly points; 02:00 appears twice, once per offset.
    let hours = timeseries(&r, &Group::Account, day.0, day.1, Granularity::Hour);
    assert_eq!(hours.len(), 25);
    let incoming: Vec<(String, u64)> = hours[1..6]
        .iter()
        .map(|(t, f)| (t.to_rfc3339(), f.incoming_messages_count))
        .collect();
    assert_eq!(
        incoming,
        vec![
            ("2024-10-27T01:00:00+02:00".into(), 0),
            ("2024-10-27T02:00:00+02:00".into(), 1),
            ("2024-10-27T02:00:00+01:00".into(), 1),
            ("2024-10-27T03:00:00+01:00".into(), 0),
            ("2024-10-27T04:00:00+01:00".into(), 1),
        ]
    );
    let days = timeseries(&r, &Group::Account, day.0, day.1, Granularity::Day);
    assert_eq!(days.len(), 1);
    assert_eq!(days[0].1.incoming_messages_count, 3);
}

#[test]
fn rollups_merge_to_the_same_figures() {
    let (since, until) = week();
    let whole = rollup();
    // One rollup per conversation (as separate workers or days would build them), merged in reverse.
    let mut merged = Rollup::new(Berlin);
    for h in [conversation_c(), conversation_b(), conversation_a()] {
        let mut part = Rollup::new(Berlin);
        part.record_all(&derive(&h, Some(&hours())).expect("valid"));
        merged.merge(&part);
    }
    assert_eq!(
        summary(&merged, &Group::Account, since, until),
        summary(&whole, &Group::Account, since, until)
    );
}
