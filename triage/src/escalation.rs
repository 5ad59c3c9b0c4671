//! Escalation: legal threats and fraud reports, after negation and trap masks.

use crate::lexicon::escalation::{Cue, CUES, MASKS};
use crate::lexicon::Lexicon;
use crate::{Escalation, Message};

/// What the escalation detector found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Escalated {
    /// The escalation to raise.
    pub kind: Option<Escalation>,
    /// The customer is the victim or the threatening party (not merely asking "is this a scam?").
    pub hostile: bool,
    /// A legal or fraud word was defused by negation ("I'm not going to sue"): still a sign of frustration.
    pub defused: bool,
    /// A live (not negated, not masked) legal cue.
    pub legal: bool,
    /// A live fraud, phishing or dispute cue.
    pub fraud: bool,
    /// A negated or masked legal cue ("I'm not going to sue", "my sister is a lawyer").
    pub legal_defused: bool,
    /// A negated or masked fraud, phishing or dispute cue ("not saying it's fraud", "my car was stolen").
    pub fraud_defused: bool,
}

/// Compiled escalation lexicons.
pub(crate) struct EscalationRules {
    pub(crate) cues: Lexicon<Cue>,
}

impl Escalated {
    /// A phishing or scam report where the customer is not the victim of a charge.
    pub(crate) fn phishing(&self) -> bool {
        self.kind == Some(Escalation::Fraud) && !self.hostile
    }
}

impl EscalationRules {
    pub(crate) fn new() -> Self {
        EscalationRules {
            cues: Lexicon::build(&[CUES], &[MASKS]),
        }
    }

    pub(crate) fn detect(&self, msg: &Message) -> Escalated {
        let mut live = Vec::new();
        let mut negated = Vec::new();
        let (hits, masked) = self.cues.find_with_masked(&msg.doc, msg.langs);
        for hit in hits {
            if msg.scope.is_negated(&msg.doc, hit.start, hit.end) {
                negated.push(hit.value);
            } else {
                live.push(hit.value);
            }
        }
        // A masked cue is a recognised look-alike ("my sister is a lawyer", "my car was stolen"): like a negated
        // one, it says the word is there and is not meant.
        negated.extend(masked.iter().map(|h| h.value));
        let defused = negated.iter().any(|c| !live.contains(c));
        let has = |c: Cue| live.contains(&c);
        // A fraud victim's report outranks a legal threat made in the same breath; a chargeback threat is the
        // weakest signal and only stands alone.
        let (kind, hostile) = if has(Cue::Fraud) {
            (Some(Escalation::Fraud), true)
        } else if has(Cue::Legal) {
            (Some(Escalation::Legal), true)
        } else if has(Cue::Phishing) {
            (Some(Escalation::Fraud), false)
        } else if has(Cue::Dispute) {
            (Some(Escalation::Fraud), true)
        } else {
            (None, false)
        };
        Escalated {
            kind,
            hostile,
            defused,
            legal: has(Cue::Legal),
            fraud: has(Cue::Fraud) || has(Cue::Phishing) || has(Cue::Dispute),
            legal_defused: negated.contains(&Cue::Legal),
            fraud_defused: negated.iter().any(|c| *c != Cue::Legal),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Escalation, Triager};

    fn esc(text: &str) -> Option<Escalation> {
        Triager::default().triage(text).escalate
    }

    #[test]
    fn legal_threats() {
        assert_eq!(
            esc("You'll be hearing from my attorney."),
            Some(Escalation::Legal)
        );
        assert_eq!(
            esc("I will take you to small claims court."),
            Some(Escalation::Legal)
        );
        assert_eq!(
            esc("If you don't refund me I will sue"),
            Some(Escalation::Legal)
        );
        assert_eq!(
            esc("Ich gehe zur Verbraucherzentrale."),
            Some(Escalation::Legal)
        );
        assert_eq!(
            esc("Vou fazer uma reclamação no Procon."),
            Some(Escalation::Legal)
        );
    }

    #[test]
    fn legal_traps() {
        assert_eq!(
            esc("I'm not going to sue anyone, just want a refund."),
            None
        );
        assert_eq!(esc("My lawyer friend recommended your shop."), None);
        assert_eq!(esc("Are these bulbs street legal in the UK?"), None);
        assert_eq!(esc("Non voglio fare causa a nessuno."), None);
        assert_eq!(esc("Je ne vais pas porter plainte."), None);
    }

    #[test]
    fn fraud_reports() {
        assert_eq!(
            esc("my card was stolen and there's a charge i did NOT make"),
            Some(Escalation::Fraud)
        );
        assert_eq!(
            esc("I have opened a chargeback with my bank."),
            Some(Escalation::Fraud)
        );
        assert_eq!(
            esc("Is this a scam? Got an SMS saying it's from you."),
            Some(Escalation::Fraud)
        );
        assert_eq!(
            esc("Contesterò l'addebito con la mia banca."),
            Some(Escalation::Fraud)
        );
        assert_eq!(esc("Meu cartão foi clonado."), Some(Escalation::Fraud));
        assert_eq!(
            esc("Someone has my card details and bought stuff."),
            Some(Escalation::Fraud)
        );
        assert_eq!(
            esc("I've reported the payment to my bank."),
            Some(Escalation::Fraud)
        );
        assert_eq!(
            esc("Alguien ha hecho una compra con mi tarjeta. Yo no he sido."),
            Some(Escalation::Fraud)
        );
    }

    #[test]
    fn fraud_traps() {
        assert_eq!(
            esc("I was charged twice, not saying it's fraud, please refund."),
            None
        );
        assert_eq!(
            esc("My car was stolen, do you have a replacement mirror?"),
            None
        );
        assert_eq!(
            esc("I was about to dispute it with my bank but the refund arrived."),
            None
        );
        assert_eq!(
            esc("I've never ordered from you before, do you ship to Spain?"),
            None
        );
    }
}
