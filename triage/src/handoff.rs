//! Human handoff: requests for a person, agent, manager or call-back, but not mere mentions of one.

use crate::lexicon::handoff::{Ask, CUES, MASKS};
use crate::lexicon::Lexicon;
use crate::Message;

/// Compiled handoff lexicons.
pub(crate) struct HandoffRules {
    pub(crate) cues: Lexicon<Ask>,
}

impl HandoffRules {
    pub(crate) fn new() -> Self {
        HandoffRules {
            cues: Lexicon::build(&[CUES], &[MASKS]),
        }
    }

    /// The strongest request found, if any: senior staff, then "a human", then anyone.
    pub(crate) fn detect(&self, msg: &Message) -> Option<Ask> {
        let asks: Vec<Ask> = self
            .cues
            .find(&msg.doc, msg.langs)
            .into_iter()
            .filter(|h| !msg.scope.is_negated(&msg.doc, h.start, h.end))
            .map(|h| h.value)
            .collect();
        [Ask::Senior, Ask::Human, Ask::Agent, Ask::Callback]
            .into_iter()
            .find(|a| asks.contains(a))
    }
}

#[cfg(test)]
mod tests {
    use crate::Triager;

    fn handoff(text: &str) -> bool {
        Triager::default().triage(text).handoff
    }

    #[test]
    fn requests() {
        assert!(handoff("Let me talk to your supervisor."));
        assert!(handoff("Need a human. Not a bot. A HUMAN."));
        assert!(handoff("Can someone call me back?"));
        assert!(handoff("I want to speak to a manager."));
    }

    #[test]
    fn mentions_are_not_requests() {
        assert!(!handoff("Your agent Tom was great, thanks!"));
        assert!(!handoff(
            "I don't need to talk to a person, just tell me the price."
        ));
        assert!(!handoff("I'm a travel agent booking 6 rooms."));
        assert!(!handoff("Please don't call me, email is fine."));
    }

    #[test]
    fn each_language() {
        assert!(handoff("¿Puedo hablar con una persona de verdad?"));
        assert!(handoff("Ich möchte mit einem Mitarbeiter sprechen."));
        assert!(handoff(
            "Je voudrais parler à un conseiller, pas à un robot."
        ));
        assert!(handoff("Quero falar com um atendente humano."));
        assert!(handoff("Vorrei parlare con un operatore."));
        assert!(handoff("Ik wil een medewerker spreken."));
        assert!(!handoff("Não preciso falar com ninguém."));
        assert!(!handoff(
            "Ich habe kein Interesse an einem Gespräch mit einem Mitarbeiter."
        ));
    }
}
