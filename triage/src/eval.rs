//! Scoring predictions against labelled examples.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Escalation, Sentiment, Triage, DEFAULT_CATEGORIES};

/// A labelled example, as in `triage/tests/data/examples.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Labelled {
    /// Example id (`t001` ...).
    pub id: String,
    /// The customer's message.
    pub text: String,
    /// Gold language code.
    pub language: String,
    /// Gold categories (order does not matter).
    pub categories: Vec<String>,
    /// Gold urgency.
    pub urgent: bool,
    /// Gold escalation.
    pub escalate: Option<Escalation>,
    /// Gold handoff.
    pub handoff: bool,
    /// Gold sentiment.
    pub sentiment: Sentiment,
}

/// Precision/recall/F1 of a binary label or one class.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Binary {
    /// True positives.
    pub tp: usize,
    /// False positives.
    pub fp: usize,
    /// False negatives.
    pub fn_: usize,
    /// tp / (tp + fp); 1.0 when nothing was predicted.
    pub precision: f64,
    /// tp / (tp + fn); 1.0 when nothing was expected.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
}

impl Binary {
    fn from_counts(tp: usize, fp: usize, fn_: usize) -> Binary {
        let ratio = |num: usize, den: usize| {
            if den == 0 {
                1.0
            } else {
                num as f64 / den as f64
            }
        };
        let precision = ratio(tp, tp + fp);
        let recall = ratio(tp, tp + fn_);
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        Binary {
            tp,
            fp,
            fn_,
            precision,
            recall,
            f1,
        }
    }

    fn count(pairs: impl Iterator<Item = (bool, bool)>) -> Binary {
        let (mut tp, mut fp, mut fn_) = (0, 0, 0);
        for (gold, pred) in pairs {
            match (gold, pred) {
                (true, true) => tp += 1,
                (false, true) => fp += 1,
                (true, false) => fn_ += 1,
                (false, false) => {}
            }
        }
        Binary::from_counts(tp, fp, fn_)
    }
}

/// Scores of one category.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassScore {
    /// Category name.
    pub name: String,
    /// Gold examples carrying it.
    pub support: usize,
    /// Precision/recall/F1.
    pub score: Binary,
}

/// Recall and false alarms of one escalation kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EscalationScore {
    /// Gold examples with this escalation.
    pub gold: usize,
    /// Of those, predicted with this escalation.
    pub caught: usize,
    /// caught / gold (1.0 when gold is 0).
    pub recall: f64,
    /// Predicted with this escalation where gold is null.
    pub false_alarms: usize,
    /// Predicted with this escalation where gold is the other escalation.
    pub confused: usize,
}

/// One example that was not labelled exactly right.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mismatch {
    /// Example id.
    pub id: String,
    /// `field: gold -> predicted` descriptions.
    pub fields: Vec<String>,
}

/// Evaluation report; `Display` prints a table, `Serialize` gives the same figures as JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Examples scored.
    pub n: usize,
    /// Share of examples with the right language.
    pub language_accuracy: f64,
    /// Per-category scores, built-in categories first.
    pub categories: Vec<ClassScore>,
    /// Mean F1 over categories present in gold or predictions.
    pub category_macro_f1: f64,
    /// Share of examples whose category set is exactly right.
    pub category_exact: f64,
    /// Urgency.
    pub urgent: Binary,
    /// Legal escalation.
    pub legal: EscalationScore,
    /// Fraud escalation.
    pub fraud: EscalationScore,
    /// Handoff.
    pub handoff: Binary,
    /// Share of examples with the right sentiment.
    pub sentiment_accuracy: f64,
    /// Examples with at least one wrong label.
    pub mismatches: Vec<Mismatch>,
}

/// Scores `predicted[i]` against `gold[i]`; extra entries on either side are ignored.
pub fn score(gold: &[Labelled], predicted: &[Triage]) -> Report {
    let pairs: Vec<(&Labelled, &Triage)> = gold.iter().zip(predicted).collect();
    let n = pairs.len();
    let share = |k: usize| if n == 0 { 1.0 } else { k as f64 / n as f64 };

    let mut names: Vec<String> = DEFAULT_CATEGORIES.iter().map(|s| s.to_string()).collect();
    for (g, p) in &pairs {
        for c in g.categories.iter().chain(&p.categories) {
            if !names.contains(c) {
                names.push(c.clone());
            }
        }
    }
    let categories: Vec<ClassScore> = names
        .iter()
        .map(|name| ClassScore {
            name: name.clone(),
            support: pairs
                .iter()
                .filter(|(g, _)| g.categories.contains(name))
                .count(),
            score: Binary::count(
                pairs
                    .iter()
                    .map(|(g, p)| (g.categories.contains(name), p.categories.contains(name))),
            ),
        })
        .filter(|c| c.support > 0 || c.score.fp > 0)
        .collect();
    let category_macro_f1 = if categories.is_empty() {
        1.0
    } else {
        categories.iter().map(|c| c.score.f1).sum::<f64>() / categories.len() as f64
    };
    let set = |v: &[String]| v.iter().cloned().collect::<BTreeSet<_>>();

    let escalation = |kind: Escalation| {
        let gold_n = pairs
            .iter()
            .filter(|(g, _)| g.escalate == Some(kind))
            .count();
        let caught = pairs
            .iter()
            .filter(|(g, p)| g.escalate == Some(kind) && p.escalate == Some(kind))
            .count();
        EscalationScore {
            gold: gold_n,
            caught,
            recall: if gold_n == 0 {
                1.0
            } else {
                caught as f64 / gold_n as f64
            },
            false_alarms: pairs
                .iter()
                .filter(|(g, p)| g.escalate.is_none() && p.escalate == Some(kind))
                .count(),
            confused: pairs
                .iter()
                .filter(|(g, p)| g.escalate.is_some_and(|e| e != kind) && p.escalate == Some(kind))
                .count(),
        }
    };

    Report {
        n,
        language_accuracy: share(
            pairs
                .iter()
                .filter(|(g, p)| g.language == p.language)
                .count(),
        ),
        categories,
        category_macro_f1,
        category_exact: share(
            pairs
                .iter()
                .filter(|(g, p)| set(&g.categories) == set(&p.categories))
                .count(),
        ),
        urgent: Binary::count(pairs.iter().map(|(g, p)| (g.urgent, p.urgent))),
        legal: escalation(Escalation::Legal),
        fraud: escalation(Escalation::Fraud),
        handoff: Binary::count(pairs.iter().map(|(g, p)| (g.handoff, p.handoff))),
        sentiment_accuracy: share(
            pairs
                .iter()
                .filter(|(g, p)| g.sentiment == p.sentiment)
                .count(),
        ),
        mismatches: pairs.iter().filter_map(|(g, p)| mismatch(g, p)).collect(),
    }
}

fn mismatch(g: &Labelled, p: &Triage) -> Option<Mismatch> {
    let mut fields = Vec::new();
    let mut diff = |name: &str, gold: String, got: String| {
        if gold != got {
            fields.push(format!("{name}: {gold} -> {got}"));
        }
    };
    diff("language", g.language.clone(), p.language.clone());
    let sorted = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v.join(",")
    };
    diff("categories", sorted(&g.categories), sorted(&p.categories));
    diff("urgent", g.urgent.to_string(), p.urgent.to_string());
    diff(
        "escalate",
        format!("{:?}", g.escalate),
        format!("{:?}", p.escalate),
    );
    diff("handoff", g.handoff.to_string(), p.handoff.to_string());
    diff(
        "sentiment",
        format!("{:?}", g.sentiment),
        format!("{:?}", p.sentiment),
    );
    (!fields.is_empty()).then(|| Mismatch {
        id: g.id.clone(),
        fields,
    })
}

impl Report {
    /// The same report without the per-message mismatches: what is printed for the frozen sets, whose
    /// individual errors nobody should read (see `tests/data/frozen/README.md`).
    pub fn aggregate(&self) -> Report {
        Report {
            mismatches: Vec::new(),
            ..self.clone()
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "examples: {}", self.n)?;
        writeln!(f, "language accuracy:   {:.3}", self.language_accuracy)?;
        writeln!(f, "sentiment accuracy:  {:.3}", self.sentiment_accuracy)?;
        writeln!(
            f,
            "category macro-F1:   {:.3}   (exact sets {:.3})",
            self.category_macro_f1, self.category_exact
        )?;
        writeln!(
            f,
            "  {:<12} {:>7} {:>9} {:>7} {:>6}",
            "category", "support", "precision", "recall", "F1"
        )?;
        for c in &self.categories {
            let s = &c.score;
            writeln!(
                f,
                "  {:<12} {:>7} {:>9.3} {:>7.3} {:>6.3}",
                c.name, c.support, s.precision, s.recall, s.f1
            )?;
        }
        let binary = |f: &mut fmt::Formatter<'_>, name: &str, b: &Binary| {
            writeln!(
                f,
                "{name:<10} P {:.3}  R {:.3}  F1 {:.3}  (tp {} fp {} fn {})",
                b.precision, b.recall, b.f1, b.tp, b.fp, b.fn_
            )
        };
        binary(f, "urgent", &self.urgent)?;
        binary(f, "handoff", &self.handoff)?;
        for (name, e) in [("legal", &self.legal), ("fraud", &self.fraud)] {
            writeln!(
                f,
                "{name:<10} recall {:.3} ({}/{})  false alarms {}  confused {}",
                e.recall, e.caught, e.gold, e.false_alarms, e.confused
            )?;
        }
        if !self.mismatches.is_empty() {
            writeln!(f, "mismatches ({}):", self.mismatches.len())?;
            for m in &self.mismatches {
                writeln!(f, "  {}: {}", m.id, m.fields.join("; "))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labelled(cats: &[&str], urgent: bool, escalate: Option<Escalation>) -> Labelled {
        Labelled {
            id: "t".into(),
            text: String::new(),
            language: "en".into(),
            categories: cats.iter().map(|s| s.to_string()).collect(),
            urgent,
            escalate,
            handoff: false,
            sentiment: Sentiment::Neutral,
        }
    }

    fn triage(cats: &[&str], urgent: bool, escalate: Option<Escalation>) -> Triage {
        Triage {
            language: "en".into(),
            categories: cats.iter().map(|s| s.to_string()).collect(),
            urgent,
            escalate,
            handoff: false,
            sentiment: Sentiment::Neutral,
        }
    }

    #[test]
    fn perfect_and_imperfect_scores() {
        let gold = [
            labelled(&["orders"], true, Some(Escalation::Legal)),
            labelled(&["billing", "returns"], false, None),
        ];
        let perfect = [
            triage(&["orders"], true, Some(Escalation::Legal)),
            triage(&["returns", "billing"], false, None),
        ];
        let r = score(&gold, &perfect);
        assert_eq!(
            (r.category_macro_f1, r.category_exact, r.legal.recall),
            (1.0, 1.0, 1.0)
        );
        assert!(r.mismatches.is_empty());

        let off = [
            triage(&["orders"], false, None),
            triage(&["billing"], true, Some(Escalation::Fraud)),
        ];
        let r = score(&gold, &off);
        assert_eq!(r.legal.recall, 0.0);
        assert_eq!(r.fraud.false_alarms, 1);
        assert_eq!(r.urgent.fp + r.urgent.fn_, 2);
        let returns = r
            .categories
            .iter()
            .find(|c| c.name == "returns")
            .expect("returns scored");
        assert_eq!(returns.score.recall, 0.0);
        assert_eq!(r.mismatches.len(), 2);
        let text = r.to_string();
        assert!(
            text.contains("category macro-F1") && text.contains("legal"),
            "{text}"
        );
        assert!(serde_json::to_string(&r).is_ok());
    }
}
