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

    /// The strongest request found, if any (senior staff, then "a human", then anyone), and whether a request form was found only negated or masked ("I don't need to
    /// talk to a person", "travel agent").
    pub(crate) fn findings(&self, msg: &Message) -> (Option<Ask>, bool) {
        let (hits, masked) = self.cues.find_with_masked(&msg.doc, msg.langs);
        let (live, negated): (Vec<_>, Vec<_>) = hits
            .into_iter()
            .partition(|h| !msg.scope.is_negated(&msg.doc, h.start, h.end));
        let asks: Vec<Ask> = live.iter().map(|h| h.value).collect();
        let strongest = [Ask::Senior, Ask::Human, Ask::Agent, Ask::Callback]
            .into_iter()
            .find(|a| asks.contains(a));
        let defused = strongest.is_none() && !(negated.is_empty() && masked.is_empty());
        (strongest, defused)
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

    /// Questions about a person or live support, and put-through forms, in every language.
    #[test]
    fn questions_and_put_through() {
        for text in [
            "Is there a human available?",
            "Do you have a customer service number I can ring?",
            "Páseme con el encargado, por favor.",
            "Gibt es jemanden, mit dem ich direkt sprechen kann?",
            "Passez-moi un responsable.",
            "Passe-me ao gerente, por favor.",
            "Mi passi il responsabile, per favore.",
            "Verbind me door met een medewerker.",
        ] {
            assert!(handoff(text), "{text}");
        }
        assert!(!handoff(
            "The live chat button on your website doesn't do anything."
        ));
    }
}
