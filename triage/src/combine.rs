//! Rules and model together. The model scores every label from the whole message; the rules contribute what
//! they are sure of (a phrase that threatens, asks for a person, says "no rush", a tenant's keyword). The
//! thresholds below were chosen on the development sets (`tests/data/dev*.jsonl`) only, and checked by
//! cross-validation over them in round 4 (`examples/cv.rs`); the frozen sets never moved them.
//!
//! - Categories: on when the model is confident, or when a rule cue found it and the model does not rule it
//!   out. `general` is also the default when nothing else is on. Tenant categories are keyword rules.
//! - Legal, fraud, handoff: graded by how clearly the rules found them ([`Evidence`]). A clear cue ("I'll
//!   sue", "my card was cloned", "let me talk to a manager") is never vetoed; weaker evidence stands unless the
//!   model's score is low enough to read a mention ("I'm in court all day"); without any cue the model decides
//!   alone, and a cue the rules found only negated or masked ("I'm not going to sue", "I work at the court")
//!   raises what the model alone needs.
//! - Urgent: the rules' deadline cues, or the model; an explicit "no rush" always wins.
//! - Sentiment: the model's most likely tone.

use serde::Serialize;

use crate::categories::CategoryCues;
use crate::escalation::Evidence;
use crate::model::heads::{self, CATEGORIES};
use crate::model::Scores;
use crate::urgency::UrgencyCue;
use crate::{Escalation, Sentiment, Triage};

/// A category head's score at which the model alone turns it on.
const CATEGORY: f32 = 0.5;
/// A category head's score at which a rule's cue for it is trusted.
const CATEGORY_WITH_CUE: f32 = 0.2;
/// When no category passed its threshold, the model's best one is given instead of `general` from this score
/// (and when it ranks above `general`).
const CATEGORY_BEST: f32 = 0.25;
/// In a thank-you note, a category head's score needed to keep the category next to `general`.
const THANKS_ONLY: f32 = 0.9;
/// Legal: score at which the model alone escalates (no rule cue at all). Higher than fraud's: the clear legal
/// cues carry the threats, and a model without one mostly reads anger ("I'm very disappointed").
const LEGAL_ALONE: f32 = 0.7;
/// Fraud: score at which the model alone escalates (reports told in words no rule knows, not even half of a
/// report). On the development sets the rules found every report, and messages without any cue scored up to
/// 0.7 (a declined card, an angry refund chase).
const FRAUD_ALONE: f32 = 0.75;
/// Fraud: score at which the model escalates next to half of a report ("a charge on my card", "my password
/// was changed") and nothing more.
const FRAUD_HINTED: f32 = 0.6;
/// Legal, fraud: a bare word ("lawyer", "court", "stolen") stands unless the model scores it below this (it
/// then reads the customer's own life or a look-alike).
const WORD_VETO: f32 = 0.1;
/// Fraud: the two halves of a report ("a charge on my card" + "I never ordered") stand unless the model
/// scores below this: only a model that is sure it reads something else vetoes them.
const JOINED_VETO: f32 = 0.03;
/// Legal: a bare word stands next to a masked or negated legal cue ("I'm a lawyer and in court all week",
/// "not suing, my lawyer friend says...") only when the model is this sure: the rules already read the
/// customer's own life there, and the other words of the message mostly tell the same story.
const WORD_BESIDE_MENTION: f32 = 0.9;
/// Legal, fraud: what the model alone needs when the rules found the cue only negated or masked ("I don't want
/// to involve lawyers", "I'm a lawyer myself"): the rules' scopes and trap masks are finer than the model.
const ESCALATION_DEFUSED: f32 = 0.97;
/// Handoff: the model alone / the veto below which a weaker request form is a mere mention (a clear one, asking
/// for a manager or a human, is never vetoed) / the model alone when the rules found the request form only
/// negated or masked ("I don't need to talk to a person").
const HANDOFF: f32 = 0.6;
const HANDOFF_VETO: f32 = 0.03;
const HANDOFF_DEFUSED: f32 = 0.97;
/// Weight of the sentiment lexicons' tone added to the model's probability of that tone. Round 3 raised it
/// from 0.2: on the longer, mixed messages of the new writers the model's tone is often a near tie, and the
/// lexicons broke it right more often on every development set but the first.
const TONE_VOTE: f32 = 0.4;
/// The thresholds cross-validation may move (`crate::training`); the embedded triage uses [`TUNING`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tuning {
    /// A category head's score at which the model alone turns it on.
    pub category: f32,
    /// A category head's score at which a rule's cue for it is trusted.
    pub category_with_cue: f32,
    /// When no category passed, the model's best one is given instead of `general` from this score.
    pub category_best: f32,
    /// `general`'s score at which the model alone turns it on, when it ranks first.
    pub general: f32,
    /// `general`'s score at which a rule's cue for it (opening hours, location) is trusted.
    pub general_with_cue: f32,
    /// Weight of the sentiment lexicons' tone added to the model's probability of that tone.
    pub tone_vote: f32,
}

/// The embedded triage's thresholds.
pub(crate) const TUNING: Tuning = Tuning {
    category: CATEGORY,
    category_with_cue: CATEGORY_WITH_CUE,
    category_best: CATEGORY_BEST,
    general: CATEGORY,
    general_with_cue: CATEGORY_WITH_CUE,
    tone_vote: TONE_VOTE,
};

/// Urgent: the model alone. The urgency rules' cues are never vetoed: their traps ("emergency brake") are
/// masked in the lexicon, and on the development set a veto cost more deadlines than it saved false alarms.
const URGENT: f32 = 0.5;

/// Why a label was given, or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The model's score passed the threshold; no rule cue.
    Model,
    /// A rule cue fired and the model agreed or did not veto it.
    Rule,
    /// A clear legal or fraud cue ("I'll sue", "my card was cloned"): the model cannot veto it.
    ClearRule,
    /// A rule cue fired and the model's score passed the threshold on its own too.
    RuleAndModel,
    /// A rule cue fired, but the model's score was below the veto: read as a mention, not a request or threat.
    Vetoed,
    /// A rule overrode the model ("no rush" against a deadline-like score).
    Overridden,
    /// The rules found the cue only negated or masked ("I'm not going to sue", "my lawyer friend"), and the
    /// model alone was not sure enough to overrule them.
    Defused,
    /// A tenant keyword (categories added in the tenant's rules file).
    Keyword,
    /// `general`: no other category applies.
    Default,
    /// Neither rule nor model.
    None,
}

/// One label's decision and what it rests on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelDecision {
    /// `orders`... `general`, a tenant category, `urgent`, `handoff`, `legal`, `fraud`, or `sentiment`.
    pub label: String,
    /// Whether the label was given (for `sentiment`: always true, the value is in `value`).
    pub on: bool,
    /// For `sentiment`, the tone given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Sentiment>,
    /// The model's probability for the label (for `sentiment`, of the tone given); `None` for tenant keywords.
    pub score: Option<f32>,
    /// The score the model alone needs (for `sentiment`, the model's probability of the runner-up tone).
    pub threshold: Option<f32>,
    /// Whether a rule cue fired for it.
    pub cue: bool,
    /// For `legal`, `fraud` and `handoff`: how clearly the rules found it (a bare word or weaker form, two
    /// halves joined, a clear cue).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    /// What decided.
    pub basis: Basis,
}

impl LabelDecision {
    /// How far the model's score is from flipping this decision on its own; `None` when the model did not
    /// decide (a rule or keyword did).
    pub fn margin(&self) -> Option<f32> {
        if self.label == "sentiment" {
            // Negative when the lexicons' vote chose a tone the model ranked lower: unsure by any margin.
            return self.score.zip(self.threshold).map(|(s, t)| s - t);
        }
        match (self.basis, self.score, self.threshold) {
            (Basis::Model | Basis::None | Basis::Defused, Some(s), Some(t)) => Some((s - t).abs()),
            (Basis::Default, Some(s), Some(t)) => Some((t - s).abs()),
            _ => None,
        }
    }
}

/// A triage and the decisions behind it, for operators and for deciding whether a second opinion is worth
/// asking (see [`Analysis::unsure`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// The labels.
    pub triage: Triage,
    /// One decision per built-in label, tenant category and `sentiment`, in output order.
    pub decisions: Vec<LabelDecision>,
}

impl Analysis {
    /// Decisions the model made within `margin` of flipping (labels decided by rules or keywords are never
    /// unsure). Used to send only doubtful messages to an LLM.
    pub fn unsure(&self, margin: f32) -> Vec<&LabelDecision> {
        // A margin of 0 asks about nothing (`triage_llm.unsure_margin = 0`), even the sentiment the lexicons
        // chose against the model, whose margin is negative.
        if margin <= 0.0 {
            return Vec::new();
        }
        self.decisions
            .iter()
            .filter(|d| d.margin().is_some_and(|m| m < margin))
            .collect()
    }
}

/// What the rules found, in the shape the combination needs.
pub(crate) struct RuleFindings {
    pub categories: CategoryCues,
    pub legal: Evidence,
    pub fraud: Evidence,
    pub legal_defused: bool,
    pub fraud_defused: bool,
    /// A request for a person: clear ("let me talk to a manager", "a human please") or a weaker form the
    /// model may veto ("is there phone support?").
    pub handoff: Evidence,
    pub handoff_defused: bool,
    pub urgency: UrgencyCue,
    /// The sentiment lexicons' tone: a vote next to the model's.
    pub tone: Sentiment,
}

/// A binary decision with a rule veto.
fn vetoable(cue: bool, score: f32, alone: f32, veto: f32) -> (bool, Basis) {
    match (cue, score >= alone, score >= veto) {
        (true, true, _) => (true, Basis::RuleAndModel),
        (true, false, true) => (true, Basis::Rule),
        (true, false, false) => (false, Basis::Vetoed),
        (false, true, _) => (true, Basis::Model),
        (false, false, _) => (false, Basis::None),
    }
}

/// Names the reason when a negated or masked cue kept a label off.
fn defused(defused: bool, (on, basis): (bool, Basis)) -> (bool, Basis) {
    if defused && basis == Basis::None {
        (on, Basis::Defused)
    } else {
        (on, basis)
    }
}

/// A decision on graded rule evidence (legal, fraud, handoff): a clear cue stands whatever the model says,
/// weaker evidence stands unless the model scores it below its veto, and without any the model decides alone
/// (more strictly when the rules saw the cue only negated or masked). Returns the label, its basis and the
/// score the model alone needed.
fn graded(evidence: Evidence, defused_cue: bool, score: f32, t: Thresholds) -> (bool, Basis, f32) {
    match evidence {
        Evidence::Clear if score >= t.alone => (true, Basis::RuleAndModel, t.alone),
        Evidence::Clear => (true, Basis::ClearRule, t.alone),
        Evidence::Joined | Evidence::Word => {
            let (alone, veto) = match evidence {
                Evidence::Joined => (t.alone, t.joined_veto),
                _ if defused_cue => (t.alone.max(t.word_defused), t.word_defused),
                _ => (t.alone, t.word_veto),
            };
            let (on, basis) = vetoable(true, score, alone, veto);
            (on, basis, alone)
        }
        Evidence::None | Evidence::Hint => {
            let alone = match (defused_cue, evidence) {
                (true, _) => t.defused,
                (false, Evidence::Hint) => t.hinted,
                _ => t.alone,
            };
            let (on, basis) = defused(defused_cue, vetoable(false, score, alone, 0.0));
            (on, basis, alone)
        }
    }
}

/// The evidence worth reporting in a decision.
fn grade(e: Evidence) -> Option<Evidence> {
    (e != Evidence::None).then_some(e)
}

/// The thresholds of one graded label.
#[derive(Clone, Copy)]
struct Thresholds {
    /// The model alone, no rule cue.
    alone: f32,
    /// Below this, the model vetoes a bare word.
    word_veto: f32,
    /// Below this, the model vetoes a bare word next to a negated or masked cue.
    word_defused: f32,
    /// Below this, the model vetoes two joined halves.
    joined_veto: f32,
    /// The model alone when the rules found the cue only negated or masked.
    defused: f32,
    /// The model alone next to half of a report (see [`Evidence::Hint`]).
    hinted: f32,
}

const LEGAL_THRESHOLDS: Thresholds = Thresholds {
    alone: LEGAL_ALONE,
    word_veto: WORD_VETO,
    word_defused: WORD_BESIDE_MENTION,
    joined_veto: JOINED_VETO,
    defused: ESCALATION_DEFUSED,
    hinted: LEGAL_ALONE,
};
const FRAUD_THRESHOLDS: Thresholds = Thresholds {
    alone: FRAUD_ALONE,
    hinted: FRAUD_HINTED,
    // Fraud words are graded without their look-alikes (`fraud_defused` is only set below a word).
    word_defused: WORD_VETO,
    ..LEGAL_THRESHOLDS
};
const HANDOFF_THRESHOLDS: Thresholds = Thresholds {
    alone: HANDOFF,
    word_veto: HANDOFF_VETO,
    word_defused: HANDOFF_VETO,
    joined_veto: HANDOFF_VETO,
    defused: HANDOFF_DEFUSED,
    hinted: HANDOFF,
};

fn decision(
    label: &str,
    on: bool,
    score: f32,
    threshold: f32,
    cue: bool,
    basis: Basis,
) -> LabelDecision {
    LabelDecision {
        label: label.to_string(),
        on,
        value: None,
        score: Some(score),
        threshold: Some(threshold),
        cue,
        evidence: None,
        basis,
    }
}

/// Combines the rules' findings and the model's scores into the labels.
pub(crate) fn combine(
    language: &str,
    rules: &RuleFindings,
    scores: &Scores,
    tuning: &Tuning,
) -> Analysis {
    let mut decisions = Vec::new();
    let mut categories = Vec::new();
    let cues = &rules.categories;
    // A thank-you for something already solved is feedback: only `general`, unless the model reads a request.
    let thanks_only = cues.thanks_only && scores.p(heads::POSITIVE) >= scores.p(heads::NEGATIVE);

    for (h, name) in heads::NAMES[..CATEGORIES - 1].iter().enumerate() {
        let p = scores.p(h);
        let cue = cues.builtin[h];
        let (on, basis) = if cues.keywords[h].1 {
            (true, Basis::Keyword)
        } else if thanks_only && p < THANKS_ONLY {
            (false, Basis::Overridden)
        } else {
            vetoable(cue, p, tuning.category, tuning.category_with_cue)
        };
        decisions.push(decision(name, on, p, tuning.category, cue, basis));
        if on {
            categories.push((*name).to_string());
        }
    }
    for (name, hit) in &cues.keywords[CATEGORIES - 1..] {
        decisions.push(LabelDecision {
            label: name.clone(),
            on: *hit,
            value: None,
            score: None,
            threshold: None,
            cue: *hit,
            evidence: None,
            basis: if *hit { Basis::Keyword } else { Basis::None },
        });
        if *hit {
            categories.push(name.clone());
        }
    }
    // `general` next to other categories only for its own intents (opening hours, location) or when the model
    // ranks it first; a general-sounding phrase in a request about an order is not one.
    let p = scores.p(heads::GENERAL);
    let keyword = cues.keywords.iter().any(|(_, hit)| *hit);
    let top = !keyword && (0..CATEGORIES - 1).all(|h| scores.p(h) <= p);
    let (on, basis) = vetoable(
        cues.general,
        p,
        if top { tuning.general } else { 1.1 },
        tuning.general_with_cue,
    );
    // Nothing passed its threshold: the model's best category, when it ranks one above `general` and is not
    // merely guessing, is a better default than `general` (a long message spreads its scores thin).
    let best = (0..CATEGORIES - 1)
        .filter(|&h| decisions[h].basis != Basis::Overridden)
        .max_by(|&a, &b| scores.p(a).total_cmp(&scores.p(b)))
        .filter(|&h| scores.p(h) >= tuning.category_best && scores.p(h) > p);
    let general = if on {
        decision("general", true, p, tuning.general, cues.general, basis)
    } else if let (true, Some(h)) = (categories.is_empty(), best) {
        decisions[h].on = true;
        decisions[h].basis = Basis::Model;
        decisions[h].threshold = Some(tuning.category_best);
        categories.push(heads::NAMES[h].to_string());
        decision("general", false, p, tuning.general, cues.general, basis)
    } else if categories.is_empty() {
        decision(
            "general",
            true,
            p,
            tuning.general,
            cues.general,
            Basis::Default,
        )
    } else {
        decision("general", false, p, tuning.general, cues.general, basis)
    };
    if general.on {
        categories.push("general".to_string());
    }
    decisions.push(general);

    let p = scores.p(heads::URGENT);
    let (urgent, basis) = match rules.urgency {
        UrgencyCue::Calm if p >= URGENT => (false, Basis::Overridden),
        UrgencyCue::Calm => (false, Basis::Rule),
        cue => vetoable(cue == UrgencyCue::Pressing, p, URGENT, 0.0),
    };
    let cue = rules.urgency != UrgencyCue::None;
    decisions.push(decision("urgent", urgent, p, URGENT, cue, basis));

    let p = scores.p(heads::HANDOFF);
    let (handoff, basis, alone) =
        graded(rules.handoff, rules.handoff_defused, p, HANDOFF_THRESHOLDS);
    let cue = rules.handoff != Evidence::None || rules.handoff_defused;
    decisions.push(LabelDecision {
        evidence: grade(rules.handoff),
        ..decision("handoff", handoff, p, alone, cue, basis)
    });

    let (pl, pf) = (scores.p(heads::LEGAL), scores.p(heads::FRAUD));
    let (legal, legal_basis, tl) = graded(rules.legal, rules.legal_defused, pl, LEGAL_THRESHOLDS);
    let (fraud, fraud_basis, tf) = graded(rules.fraud, rules.fraud_defused, pf, FRAUD_THRESHOLDS);
    let cue = |e: Evidence, defused: bool| e != Evidence::None || defused;
    decisions.push(LabelDecision {
        evidence: grade(rules.legal),
        ..decision(
            "legal",
            legal,
            pl,
            tl,
            cue(rules.legal, rules.legal_defused),
            legal_basis,
        )
    });
    decisions.push(LabelDecision {
        evidence: grade(rules.fraud),
        ..decision(
            "fraud",
            fraud,
            pf,
            tf,
            cue(rules.fraud, rules.fraud_defused),
            fraud_basis,
        )
    });
    // A fraud victim's report outranks a legal threat made in the same breath, unless the rules found the
    // threat more clearly than the report.
    let fraud_first = match rules.fraud.cmp(&rules.legal) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => rules.fraud != Evidence::None || pf >= pl,
    };
    let escalate = match (legal, fraud) {
        (true, true) if !fraud_first => Some(Escalation::Legal),
        (_, true) => Some(Escalation::Fraud),
        (true, false) => Some(Escalation::Legal),
        _ => None,
    };

    let vote = |s: Sentiment, h: usize| {
        let p = scores.p(h)
            + if rules.tone == s {
                tuning.tone_vote
            } else {
                0.0
            };
        (s, p)
    };
    let mut ranked = [
        vote(Sentiment::Positive, heads::POSITIVE),
        vote(Sentiment::Neutral, heads::NEUTRAL),
        vote(Sentiment::Negative, heads::NEGATIVE),
    ];
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let sentiment = ranked[0].0;
    let model_top = [
        (Sentiment::Positive, heads::POSITIVE),
        (Sentiment::Neutral, heads::NEUTRAL),
        (Sentiment::Negative, heads::NEGATIVE),
    ]
    .into_iter()
    .max_by(|a, b| scores.p(a.1).total_cmp(&scores.p(b.1)))
    .map(|(s, _)| s);
    let by_model = model_top == Some(sentiment);
    let model_p = |s: Sentiment| match s {
        Sentiment::Positive => scores.p(heads::POSITIVE),
        Sentiment::Neutral => scores.p(heads::NEUTRAL),
        Sentiment::Negative => scores.p(heads::NEGATIVE),
    };
    decisions.push(LabelDecision {
        label: "sentiment".to_string(),
        on: true,
        value: Some(sentiment),
        // The model's own probabilities: below the runner-up's when the lexicons' vote decided.
        score: Some(model_p(sentiment)),
        threshold: Some(model_p(ranked[1].0)),
        cue: rules.tone == sentiment,
        evidence: None,
        basis: match (by_model, rules.tone == sentiment) {
            (true, true) => Basis::RuleAndModel,
            (true, false) => Basis::Model,
            _ => Basis::Rule,
        },
    });

    Analysis {
        triage: Triage {
            language: language.to_string(),
            categories,
            urgent,
            escalate,
            handoff,
            sentiment,
        },
        decisions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_cue_stands_unless_the_model_vetoes_it() {
        assert_eq!(vetoable(true, 0.3, 0.5, 0.1), (true, Basis::Rule));
        assert_eq!(vetoable(true, 0.05, 0.5, 0.1), (false, Basis::Vetoed));
        assert_eq!(vetoable(false, 0.7, 0.5, 0.1), (true, Basis::Model));
        assert_eq!(vetoable(true, 0.7, 0.5, 0.1), (true, Basis::RuleAndModel));
        assert_eq!(vetoable(false, 0.3, 0.5, 0.1), (false, Basis::None));
    }

    fn findings() -> RuleFindings {
        let mut keywords: Vec<(String, bool)> = heads::NAMES[..CATEGORIES - 1]
            .iter()
            .map(|n| ((*n).to_string(), false))
            .collect();
        keywords.push(("loyalty".into(), true));
        RuleFindings {
            categories: CategoryCues {
                builtin: [false; CATEGORIES - 1],
                general: false,
                thanks_only: false,
                keywords,
            },
            legal: Evidence::None,
            fraud: Evidence::Clear,
            legal_defused: false,
            fraud_defused: false,
            handoff: Evidence::None,
            handoff_defused: false,
            urgency: UrgencyCue::Calm,
            tone: Sentiment::Neutral,
        }
    }

    #[test]
    fn combines_into_labels_with_reasons() {
        let mut p = [0.01f32; heads::HEADS];
        p[heads::ORDERS] = 0.9;
        p[heads::URGENT] = 0.8;
        p[heads::LEGAL] = 0.6;
        p[heads::FRAUD] = 0.3;
        p[heads::NEGATIVE] = 0.7;
        p[heads::NEUTRAL] = 0.2;
        let a = combine("en", &findings(), &Scores(p), &TUNING);
        assert_eq!(a.triage.categories, ["orders", "loyalty"]);
        assert!(!a.triage.urgent, "no rush wins");
        assert_eq!(
            a.triage.escalate,
            Some(Escalation::Fraud),
            "the fraud cue outranks"
        );
        assert_eq!(a.triage.sentiment, Sentiment::Negative);
        let urgent = a
            .decisions
            .iter()
            .find(|d| d.label == "urgent")
            .expect("urgent");
        assert_eq!(urgent.basis, Basis::Overridden);
        let general = a
            .decisions
            .iter()
            .find(|d| d.label == "general")
            .expect("general");
        assert!(!general.on);
        // Orders (0.9 vs 0.5) is sure; sentiment (0.7 vs 0.2) is sure; legal (0.6 vs 0.5) is not.
        let unsure: Vec<&str> = a.unsure(0.15).iter().map(|d| d.label.as_str()).collect();
        assert_eq!(unsure, ["legal"]);
    }

    #[test]
    fn general_is_the_default() {
        let mut rules = findings();
        rules.categories.keywords.pop();
        let a = combine("en", &rules, &Scores([0.01; heads::HEADS]), &TUNING);
        assert_eq!(a.triage.categories, ["general"]);
    }
}
