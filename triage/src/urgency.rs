//! Urgency: time pressure or an emergency, unless the customer says it can wait.

use crate::lexicon::urgency::{Urgency, CUES, MASKS};
use crate::lexicon::Lexicon;
use crate::Message;

/// Words that signal urgency when shouted ("I WANT IT NOW", "PLEASE HELP").
const SHOUTED: &[&str] = &[
    "now", "asap", "ya", "jetzt", "sofort", "agora", "subito", "nu", "help", "hilfe",
];

/// Words that signal urgency when they make up a whole clause ("Cancel my booking. Now.").
const CURT: &[&str] = &[
    "now",
    "ahora",
    "jetzt",
    "maintenant",
    "agora",
    "ora",
    "subito",
    "nu",
    "immediately",
];

/// Cries for help, matched on the lowercased raw text because the exclamation marks matter.
const CRIES: &[&str] = &[
    "help!",
    "help !",
    "hilfe!",
    "ayuda!",
    "socorro!",
    "aiuto!",
    "au secours",
];

/// Compiled urgency lexicons.
pub(crate) struct UrgencyRules {
    pub(crate) cues: Lexicon<Urgency>,
}

impl UrgencyRules {
    pub(crate) fn new() -> Self {
        UrgencyRules {
            cues: Lexicon::build(&[CUES], &[MASKS]),
        }
    }

    /// Whether the message is pressing, says it is not, or neither; explicit calm wins over any deadline.
    pub(crate) fn detect(&self, msg: &Message) -> UrgencyCue {
        let tokens = &msg.doc.tokens;
        let mut pressing = tokens
            .iter()
            .any(|t| t.shouted && SHOUTED.contains(&t.text.as_str()));
        pressing |= tokens.iter().enumerate().any(|(i, t)| {
            let alone = |j: Option<usize>| {
                j.and_then(|j| tokens.get(j))
                    .is_none_or(|o| o.clause != t.clause)
            };
            CURT.contains(&t.text.as_str()) && alone(i.checked_sub(1)) && alone(Some(i + 1))
        });
        let lower = msg.raw.to_lowercase();
        pressing |= CRIES.iter().any(|c| lower.contains(c));
        for hit in self.cues.find(&msg.doc, msg.langs) {
            match hit.value {
                // An explicit "no rush" wins: customers who say it mean the whole message.
                Urgency::Calm => return UrgencyCue::Calm,
                // "If it is not here by Friday ...": a threatened condition keeps its deadline.
                Urgency::Pressing => {
                    pressing |= !msg.scope.is_negated(&msg.doc, hit.start, hit.end)
                        || msg.scope.in_condition(hit.start)
                }
            }
        }
        if pressing {
            UrgencyCue::Pressing
        } else {
            UrgencyCue::None
        }
    }
}

/// What the urgency rules found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UrgencyCue {
    /// A deadline, an emergency, a shouted "NOW".
    Pressing,
    /// "No rush", "not urgent": the customer says it can wait.
    Calm,
    /// Nothing either way.
    None,
}

#[cfg(test)]
mod tests {
    use crate::Triager;

    fn urgent(text: &str) -> bool {
        Triager::default().triage(text).urgent
    }

    #[test]
    fn deadlines_and_emergencies() {
        assert!(urgent("I need it for work on Monday."));
        assert!(urgent(
            "If the money isn't in my account by Friday I'm complaining."
        ));
        assert!(urgent("We land in 2 hours, is reception open?"));
        assert!(urgent("My car broke down and I'm stranded."));
        assert!(urgent("pls help asap"));
        assert!(urgent("I WANT A REFUND NOW"));
    }

    #[test]
    fn negations_and_traps() {
        assert!(!urgent("Not urgent, just curious where my order is."));
        assert!(!urgent("no rush at all but could you send an invoice?"));
        assert!(!urgent("I need the emergency brake cable for a Civic."));
        assert!(!urgent(
            "I ordered last Monday and tracking says label created."
        ));
        assert!(!urgent(
            "If this isn't done within the 30 days GDPR gives you, I will complain."
        ));
    }

    #[test]
    fn each_language() {
        assert!(urgent("Necesito las pastillas para el sábado, es urgente."));
        assert!(!urgent("No es urgente."));
        assert!(urgent(
            "Wenn ich nicht innerhalb von 48 Stunden eine Antwort bekomme ..."
        ));
        assert!(!urgent("Es eilt nicht."));
        assert!(urgent("j'en ai absolument besoin pour samedi"));
        assert!(urgent("Preciso cancelar urgente!"));
        assert!(!urgent("Nessuna fretta, grazie."));
        assert!(urgent("Kunnen jullie het vandaag nog versturen?"));
        assert!(!urgent("Geen haast."));
    }
}
