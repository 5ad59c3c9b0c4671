//! Recommendations: explicit rules over the figures, each saying what changed and what to do. A rule fires only
//! on enough data (small counts swing by chance), so a quiet day does not produce alarms.

use crate::figures::{PeriodFigures, Snapshot};
use crate::period::Kind;
use crate::render::{duration, percent_change};

/// One recommendation, with the rule that made it (stable ids, for tests and for readers who want to know why).
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    pub rule: &'static str,
    pub text: String,
}

/// Fewest values of a metric before its change is worth a recommendation.
const MIN_SAMPLE: u64 = 5;
/// A tail that grew by more than this share is a slowdown.
const SLOWER_BY: f64 = 0.20;
/// CSAT points lost before it is called a fall.
const CSAT_DROP_POINTS: f64 = 10.0;
/// A category at least this many times its previous count (and at least `MIN_SAMPLE`) is surging.
const SURGE_FACTOR: u64 = 2;
/// Approval rate (percent) under which the knowledge base is suspect.
const LOW_APPROVAL: f64 = 50.0;
/// Share of conversations breaching the first-reply SLA (percent) worth a staffing change.
const SLA_SHARE: f64 = 10.0;

type Rule = fn(&Snapshot, Kind) -> Option<Recommendation>;

/// The rules, in the order their recommendations are listed (most urgent first).
const RULES: [Rule; 7] = [
    dead_letters,
    first_response_slower,
    sla_breaches,
    csat_fell,
    category_surge,
    drafts_rarely_approved,
    volume_surge,
];

/// Every recommendation the figures call for.
pub fn recommend(snapshot: &Snapshot, kind: Kind) -> Vec<Recommendation> {
    RULES
        .iter()
        .filter_map(|rule| rule(snapshot, kind))
        .collect()
}

fn rec(rule: &'static str, text: String) -> Option<Recommendation> {
    Some(Recommendation { rule, text })
}

fn peak_clause(current: &PeriodFigures) -> String {
    match current.peak_hour() {
        Some((hour, count)) => format!(
            "; the busiest hour was {hour:02}:00-{:02}:00 ({count} new conversations): put more agents on it",
            (hour + 1) % 24
        ),
        None => String::new(),
    }
}

/// Dead-lettered actions are replies or labels that never reached Chatwoot: most often a revoked token.
fn dead_letters(s: &Snapshot, _: Kind) -> Option<Recommendation> {
    let n = s.current.deliveries.dead_lettered;
    (n > 0).then_some(())?;
    rec(
        "dead_letters",
        format!(
            "{n} action(s) could not be delivered to Chatwoot and were dead-lettered: check the tenant's API \
             token and Chatwoot's reachability (`cwctl doctor`), then redrive them (`cwctl dlq redrive`)."
        ),
    )
}

fn first_response_slower(s: &Snapshot, kind: Kind) -> Option<Recommendation> {
    let (now, before) = (&s.current.first_response, &s.previous.first_response);
    if now.count < MIN_SAMPLE || before.count < MIN_SAMPLE {
        return None;
    }
    let (p90, prev) = (now.p90?, before.p90?);
    (prev > 0.0 && p90 > prev * (1.0 + SLOWER_BY)).then_some(())?;
    rec(
        "first_response_slower",
        format!(
            "First responses got slower: p90 {} against {} the previous {} ({}){}.",
            duration(Some(p90)),
            duration(Some(prev)),
            kind.noun(),
            percent_change(p90, prev),
            peak_clause(&s.current)
        ),
    )
}

fn sla_breaches(s: &Snapshot, _: Kind) -> Option<Recommendation> {
    let (breaches, conversations) = (s.current.bot.sla_breaches, s.current.conversations);
    let share = 100.0 * breaches as f64 / conversations.max(1) as f64;
    (breaches >= MIN_SAMPLE || (breaches > 0 && share >= SLA_SHARE)).then_some(())?;
    rec(
        "sla_breaches",
        format!(
            "{breaches} conversation(s) waited past the first-reply SLA ({share:.0}% of new conversations): \
             cover the hours they arrived in, or route them to the support team sooner{}.",
            if s.current.peak_hour().is_some() {
                " (see the peak hours below)"
            } else {
                ""
            }
        ),
    )
}

fn csat_fell(s: &Snapshot, kind: Kind) -> Option<Recommendation> {
    let (now, before) = (&s.current.csat, &s.previous.csat);
    if now.responses < MIN_SAMPLE as i64 || before.responses < MIN_SAMPLE as i64 {
        return None;
    }
    let (score, prev) = (now.score?, before.score?);
    (prev - score >= CSAT_DROP_POINTS).then_some(())?;
    rec(
        "csat_fell",
        format!(
            "Customer satisfaction fell to {score:.0}% from {prev:.0}% the previous {} ({} responses): read the \
             feedback of the low ratings and look for a shared cause (a topic, an agent, a slow hour).",
            kind.noun(),
            now.responses
        ),
    )
}

fn category_surge(s: &Snapshot, kind: Kind) -> Option<Recommendation> {
    let surging: Vec<String> = s
        .current
        .categories
        .iter()
        .filter(|c| c.count >= MIN_SAMPLE && c.count >= SURGE_FACTOR * s.previous.category(&c.key))
        .map(|c| {
            format!(
                "\"{}\" ({} from {})",
                c.key,
                c.count,
                s.previous.category(&c.key)
            )
        })
        .collect();
    (!surging.is_empty()).then_some(())?;
    rec(
        "category_surge",
        format!(
            "{} at least doubled against the previous {}: add or update a knowledge-base article and a macro for \
             {}, so the bot and agents answer them faster.",
            surging.join(", "),
            kind.noun(),
            if surging.len() == 1 { "it" } else { "each" }
        ),
    )
}

fn drafts_rarely_approved(s: &Snapshot, _: Kind) -> Option<Recommendation> {
    let bot = &s.current.bot;
    let decided = bot.approved + bot.edited + bot.rejected;
    if decided < MIN_SAMPLE {
        return None;
    }
    let rate = bot.approval_rate()?;
    (rate < LOW_APPROVAL).then_some(())?;
    rec(
        "drafts_rarely_approved",
        format!(
            "Agents approved only {rate:.0}% of the bot's drafts ({} rejected of {decided} decided): review the \
             knowledge-base articles behind the rejected drafts, or raise the knowledge base's minimum score.",
            bot.rejected
        ),
    )
}

fn volume_surge(s: &Snapshot, kind: Kind) -> Option<Recommendation> {
    let (now, before) = (s.current.conversations, s.previous.conversations);
    (before >= MIN_SAMPLE && now >= before * 3 / 2 && now > before).then_some(())?;
    rec(
        "volume_surge",
        format!(
            "New conversations rose to {now} from {before} the previous {} ({}): check the top issues below for \
             the cause before adding staff.",
            kind.noun(),
            percent_change(now as f64, before as f64)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::{Count, Durations};

    fn with(f: impl FnOnce(&mut PeriodFigures, &mut PeriodFigures)) -> Snapshot {
        let mut s = Snapshot::default();
        f(&mut s.current, &mut s.previous);
        s
    }

    fn rules(s: &Snapshot) -> Vec<&'static str> {
        recommend(s, Kind::Daily).iter().map(|r| r.rule).collect()
    }

    fn first_response(count: u64, p90: f64) -> Durations {
        Durations {
            count,
            p90: Some(p90),
            ..Durations::default()
        }
    }

    #[test]
    fn quiet_figures_call_for_nothing() {
        assert!(recommend(&Snapshot::default(), Kind::Weekly).is_empty());
    }

    #[test]
    fn slower_first_responses_name_the_peak_hour() {
        let s = with(|now, before| {
            now.first_response = first_response(10, 1800.0);
            before.first_response = first_response(10, 1200.0);
            now.peak_hours[1][14] = 7;
            now.peak_hours[1][9] = 3;
        });
        let recs = recommend(&s, Kind::Daily);
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].rule, "first_response_slower");
        assert!(
            recs[0]
                .text
                .contains("p90 30m against 20m the previous day (+50%)"),
            "{}",
            recs[0].text
        );
        assert!(
            recs[0].text.contains("14:00-15:00 (7 new conversations)"),
            "{}",
            recs[0].text
        );
    }

    #[test]
    fn first_responses_need_a_rise_above_20_percent_and_enough_values() {
        let slightly = with(|now, before| {
            now.first_response = first_response(10, 1440.0);
            before.first_response = first_response(10, 1200.0);
        });
        assert!(rules(&slightly).is_empty());
        let few = with(|now, before| {
            now.first_response = first_response(4, 5000.0);
            before.first_response = first_response(10, 1200.0);
        });
        assert!(rules(&few).is_empty());
    }

    #[test]
    fn a_csat_fall_of_ten_points_with_enough_responses() {
        let csat = |responses, score| crate::figures::Csat {
            surveys_sent: 20,
            responses,
            score: Some(score),
        };
        let fell = with(|now, before| {
            now.csat = csat(8, 62.5);
            before.csat = csat(10, 90.0);
        });
        assert_eq!(rules(&fell), ["csat_fell"]);
        assert!(recommend(&fell, Kind::Weekly)[0]
            .text
            .contains("fell to 62% from 90% the previous week"));
        let small_dip = with(|now, before| {
            now.csat = csat(8, 82.0);
            before.csat = csat(10, 90.0);
        });
        assert!(rules(&small_dip).is_empty());
        let few = with(|now, before| {
            now.csat = csat(2, 0.0);
            before.csat = csat(10, 90.0);
        });
        assert!(rules(&few).is_empty());
    }

    #[test]
    fn a_doubled_category_asks_for_an_article() {
        let cat = |key: &str, count| Count {
            key: key.into(),
            count,
        };
        let s = with(|now, before| {
            now.categories = vec![cat("billing", 12), cat("shipping", 6), cat("login", 5)];
            before.categories = vec![cat("billing", 6), cat("shipping", 4)];
        });
        let recs = recommend(&s, Kind::Daily);
        assert_eq!(recs.len(), 1);
        assert!(recs[0]
            .text
            .starts_with("\"billing\" (12 from 6), \"login\" (5 from 0) at least doubled"));
        // Below the minimum count a doubling (2 -> 4) is noise.
        let small = with(|now, before| {
            now.categories = vec![cat("billing", 4)];
            before.categories = vec![cat("billing", 2)];
        });
        assert!(rules(&small).is_empty());
    }

    #[test]
    fn rarely_approved_drafts_point_at_the_knowledge_base() {
        let s = with(|now, _| {
            now.bot = crate::figures::Bot {
                drafts: 12,
                approved: 2,
                edited: 1,
                rejected: 7,
                ..Default::default()
            };
        });
        let recs = recommend(&s, Kind::Daily);
        assert_eq!(recs[0].rule, "drafts_rarely_approved");
        assert!(recs[0].text.contains("only 30%"), "{}", recs[0].text);
        let fine = with(|now, _| {
            now.bot.approved = 6;
            now.bot.rejected = 4;
        });
        assert!(rules(&fine).is_empty());
    }

    #[test]
    fn sla_breaches_by_count_or_share() {
        let share = with(|now, _| {
            now.conversations = 10;
            now.bot.sla_breaches = 1;
        });
        assert_eq!(rules(&share), ["sla_breaches"]);
        let rare = with(|now, _| {
            now.conversations = 40;
            now.bot.sla_breaches = 2;
        });
        assert!(rules(&rare).is_empty());
        let many = with(|now, _| {
            now.conversations = 400;
            now.bot.sla_breaches = 5;
        });
        assert_eq!(rules(&many), ["sla_breaches"]);
    }

    #[test]
    fn any_dead_letter_asks_to_check_credentials_first() {
        let s = with(|now, _| {
            now.deliveries.dead_lettered = 1;
            now.conversations = 10;
            now.bot.sla_breaches = 3;
        });
        assert_eq!(rules(&s), ["dead_letters", "sla_breaches"]);
        assert!(recommend(&s, Kind::Daily)[0].text.contains("cwctl doctor"));
    }

    #[test]
    fn volume_surge_from_half_again() {
        let s = with(|now, before| {
            now.conversations = 30;
            before.conversations = 20;
        });
        assert_eq!(rules(&s), ["volume_surge"]);
        let calm = with(|now, before| {
            now.conversations = 29;
            before.conversations = 20;
        });
        assert!(rules(&calm).is_empty());
    }
}
