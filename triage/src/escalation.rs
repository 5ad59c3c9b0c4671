//! Escalation: legal threats and fraud reports, after negation and trap masks, graded by how clearly the rules
//! found them (see [`Evidence`]).

use crate::lexicon::escalation::{Cue, LEGAL, LEGAL_MASKS};
use crate::lexicon::fraud::{FRAUD, FRAUD_MASKS, HALVES};
use crate::lexicon::Lexicon;
use crate::Message;

/// How clearly the rules found a legal threat or a fraud report; the combination trusts each grade differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// No live cue.
    #[default]
    None,
    /// The event half of a report and nothing else ("a charge on my card", "my password was changed"): not a
    /// report on its own, but the model needs less to call it one. The denial half alone ("I've never ordered
    /// from you") is as often a newcomer's question.
    Hint,
    /// A bare word ("lawyer", "court", "stolen", "scam"): a report or a mention, the model decides.
    Word,
    /// The two halves of a report told without a fraud word ("a charge on my card" + "I never ordered").
    Joined,
    /// A form that means it ("I'll sue", "my card was cloned", "chargeback"): never vetoed.
    Clear,
}

/// What the escalation detector found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Escalated {
    /// The customer is the victim or the threatening party, by a clear or joined cue.
    pub hostile: bool,
    /// A phishing or scam report where the customer is not the victim of a charge.
    pub phishing: bool,
    /// A legal or fraud word was defused by negation ("I'm not going to sue"): still a sign of frustration.
    pub defused: bool,
    /// The strongest live legal cue.
    pub legal: Evidence,
    /// The strongest live fraud, phishing or dispute cue, or the two halves of a report.
    pub fraud: Evidence,
    /// A negated or masked legal cue and no live one ("I'm not going to sue", "my sister is a lawyer").
    pub legal_defused: bool,
    /// A negated or masked fraud cue and no live one ("not saying it's fraud", "my car was stolen").
    pub fraud_defused: bool,
}

/// Compiled escalation lexicons.
pub(crate) struct EscalationRules {
    pub(crate) cues: Lexicon<Cue>,
}

impl EscalationRules {
    pub(crate) fn new() -> Self {
        EscalationRules {
            cues: Lexicon::build(&[LEGAL, FRAUD, HALVES], &[LEGAL_MASKS, FRAUD_MASKS]),
        }
    }

    pub(crate) fn detect(&self, msg: &Message) -> Escalated {
        let mut live = Vec::new();
        let mut negated = Vec::new();
        let (hits, masked) = self.cues.find_with_masked(&msg.doc, msg.langs);
        for hit in &hits {
            // The halves are not negated: "never ordered" and "not me" are negations themselves ("je n'ai
            // jamais commandé"), and a charge under a negator is still there ("I don't know what this charge
            // is").
            if !hit.value.is_part() && msg.scope.is_negated(&msg.doc, hit.start, hit.end) {
                negated.push(hit.value);
            } else {
                live.push(hit.value);
            }
        }
        // A masked half is a look-alike of a report on its own ("I've never ordered from you before", "I
        // changed my password"), but still half of one when the other half is there ("...and you charged my
        // card"). Except "someone": a masked one is a person the customer knows ("someone from your team"),
        // not someone else.
        for hit in &masked {
            if hit.value.is_part() && hit.value != Cue::NotMe {
                live.push(hit.value);
                // Alone, it is the look-alike the mask names: the model must be sure to overrule it.
                negated.push(hit.value);
            } else {
                // A masked cue is a recognised look-alike ("my sister is a lawyer", "my car was stolen"): like a
                // negated one, it says the word is there and is not meant.
                negated.push(hit.value);
            }
        }
        let has = |c: Cue| live.contains(&c);
        let joined =
            (has(Cue::Charge) && has(Cue::NeverDid)) || (has(Cue::AccountEvent) && has(Cue::NotMe));
        let legal = if has(Cue::Legal) {
            Evidence::Clear
        } else if has(Cue::LegalWord) {
            Evidence::Word
        } else {
            Evidence::None
        };
        let fraud = if has(Cue::Fraud) || has(Cue::Dispute) {
            Evidence::Clear
        } else if joined {
            Evidence::Joined
        } else if has(Cue::FraudWord) || has(Cue::Phishing) {
            Evidence::Word
        } else if has(Cue::Charge) || has(Cue::AccountEvent) {
            Evidence::Hint
        } else {
            Evidence::None
        };
        let is_legal = |c: &Cue| matches!(c, Cue::Legal | Cue::LegalWord);
        let is_fraud = |c: &Cue| !is_legal(c);
        let hostile = has(Cue::Legal) || fraud >= Evidence::Joined;
        Escalated {
            hostile,
            phishing: has(Cue::Phishing) && !hostile,
            defused: negated.iter().any(|c| !c.is_part() && !live.contains(c)),
            legal,
            fraud,
            // Also next to a bare word: a message that tells the customer's own legal life ("I'm a lawyer") uses
            // the other legal words of that story too ("...and in court all week").
            legal_defused: legal != Evidence::Clear && negated.iter().any(is_legal),
            fraud_defused: fraud <= Evidence::Hint && negated.iter().any(is_fraud),
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

    /// Reports told without a fraud word, one per language: a charge and "never ordered", or an account
    /// change and "not me" (the two halves, joined across the message).
    #[test]
    fn reports_without_a_fraud_word() {
        for text in [
            "There's a payment to you on my statement. I haven't ordered anything.",
            "Tengo un cargo vuestro en la tarjeta y no he comprado nada.",
            "Sie haben mir 80 € abgebucht, obwohl ich nichts bestellt habe.",
            "Je ne sais pas à quoi correspond ce prélèvement, je n'ai rien acheté.",
            "Cobraram-me 60 euros e não comprei nada.",
            "Mi avete addebitato 70 euro ma non ho comprato niente.",
            "Ik weet niet waar deze afschrijving voor is, ik heb niets gekocht.",
            "My email address was changed and it wasn't me.",
            "Alguien ha cambiado la contraseña de mi cuenta.",
            "Mon mot de passe a été modifié sans que je le demande.",
        ] {
            assert_eq!(esc(text), Some(Escalation::Fraud), "{text}");
        }
    }

    /// The halves alone, or a newcomer's question, are not reports.
    #[test]
    fn halves_alone_are_not_reports() {
        for text in [
            "I've never stayed with you before, is breakfast charged separately?",
            "Nunca he comprado aquí, ¿cobráis gastos de envío a Canarias?",
            "I changed my password yesterday, can you update my order?",
            "Someone from your team changed my delivery address as I asked, thanks.",
            "I was charged for delivery but the parcel never arrived.",
        ] {
            assert_eq!(esc(text), None, "{text}");
        }
    }

    /// The customer's own life: a profession, a hearing, presence at a court.
    #[test]
    fn legal_words_about_the_customers_own_life() {
        for text in [
            "I'm a criminal defence lawyer, do you have brake discs for a Mondeo?",
            "My brother-in-law, who's a lawyer, recommends you.",
            "Soy procuradora y por las mañanas estoy en los juzgados, entregad por la tarde.",
            "Je viens à Lisbonne pour témoigner au tribunal, l'hôtel est-il loin du centre ?",
            "Ik moet getuigen bij de rechtbank; is er ontbijt vanaf 7 uur?",
            "Not looking to involve any lawyers, I just want the right part.",
        ] {
            assert_eq!(esc(text), None, "{text}");
        }
    }

    /// Clear threats stand whatever the model reads.
    #[test]
    fn clear_threats_in_every_language() {
        for text in [
            "My solicitor will be in touch about the bumper.",
            "Nos veremos en los tribunales.",
            "Das wird ein juristisches Nachspiel haben.",
            "Je vais saisir le tribunal.",
            "Vou pôr-vos em tribunal.",
            "Mi rivolgerò a un legale.",
            "Ik stap naar de rechter.",
        ] {
            assert_eq!(esc(text), Some(Escalation::Legal), "{text}");
        }
    }
}
