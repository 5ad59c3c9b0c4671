//! Category tagging: built-in cues resolved in context, tenant extensions, and the `general` rules.

use crate::lang::{Lang, LangMask, ANY};
use crate::lexicon::categories::{Cue, CUES, MASKS};
use crate::lexicon::general::{Intent, INTENTS, MASKS as GENERAL_MASKS};
use crate::lexicon::{categories_intl, Hit, Lexicon, PatternError};
use crate::{Message, Sentiment};

/// Built-in categories in output order; `general` always comes last, after tenant extensions.
pub const DEFAULT_CATEGORIES: [&str; 8] = [
    "orders",
    "returns",
    "billing",
    "inventory",
    "account",
    "technical",
    "booking",
    "general",
];

const GENERAL: &str = "general";

/// How far before an arrival verb its subject is looked for ("the refund has still not arrived").
const SUBJECT_WINDOW: usize = 4;
/// How far after it its object is looked for ("never received the confirmation email").
const OBJECT_WINDOW: usize = 3;

/// The category set of a tenant: the built-in categories plus extensions.
///
/// Extension keywords use the lexicon pattern syntax: words and phrases match folded text (case and accents
/// do not matter), `word*` matches a prefix, `a|b` alternatives, `~N` skips up to N words, `#` a number.
/// Adding keywords under a built-in name extends that category.
#[derive(Debug, Clone, Default)]
pub struct Taxonomy {
    extensions: Vec<Extension>,
}

#[derive(Debug, Clone)]
struct Extension {
    name: String,
    keywords: Vec<(LangMask, String)>,
}

impl Taxonomy {
    /// Adds (or extends) category `name` with keywords per language; `None` means any language.
    ///
    /// ```
    /// use triage::{Lang, Taxonomy, Triager};
    /// let mut taxonomy = Taxonomy::default();
    /// taxonomy
    ///     .add_category("loyalty", &[(None, &["loyalty card", "reward* points"]), (Some(Lang::De), &["treuepunkte"])])
    ///     .expect("valid keywords");
    /// let triager = Triager::new(taxonomy);
    /// assert_eq!(triager.triage("How many reward points do I have?").categories, ["loyalty"]);
    /// ```
    pub fn add_category(
        &mut self,
        name: &str,
        keywords: &[(Option<Lang>, &[&str])],
    ) -> Result<&mut Self, PatternError> {
        let mut compiled = Vec::new();
        for (lang, words) in keywords {
            let mask = lang.map_or(ANY, Lang::bit);
            for w in *words {
                // Validate now so a bad keyword fails where the tenant configures it, not at first use.
                crate::lexicon::Pattern::parse(w)?;
                compiled.push((mask, (*w).to_string()));
            }
        }
        match self.extensions.iter_mut().find(|e| e.name == name) {
            Some(ext) => ext.keywords.extend(compiled),
            None => self.extensions.push(Extension {
                name: name.to_string(),
                keywords: compiled,
            }),
        }
        Ok(self)
    }

    /// All category names in output order.
    pub fn categories(&self) -> Vec<&str> {
        let mut names: Vec<&str> = DEFAULT_CATEGORIES[..7].to_vec();
        for ext in &self.extensions {
            if !names.contains(&ext.name.as_str()) && ext.name != GENERAL {
                names.push(&ext.name);
            }
        }
        names.push(GENERAL);
        names
    }
}

/// Compiled category rules.
pub(crate) struct CategoryRules {
    pub(crate) cues: Lexicon<Cue>,
    pub(crate) intents: Lexicon<Intent>,
    /// Tenant keywords; values index `names`.
    extensions: Lexicon<usize>,
    names: Vec<String>,
}

impl CategoryRules {
    pub(crate) fn new(taxonomy: &Taxonomy) -> Self {
        let names: Vec<String> = taxonomy
            .categories()
            .into_iter()
            .map(str::to_string)
            .collect();
        let mut extensions = Lexicon::default();
        for ext in &taxonomy.extensions {
            let idx = names
                .iter()
                .position(|n| *n == ext.name)
                .expect("every extension is listed in categories()");
            for (mask, kw) in &ext.keywords {
                extensions
                    .add_hit(kw, *mask, idx)
                    .expect("extension keywords are validated by add_category");
            }
        }
        CategoryRules {
            cues: Lexicon::build(
                &[CUES, categories_intl::CUES],
                &[MASKS, categories_intl::MASKS],
            ),
            intents: Lexicon::build(&[INTENTS], &[GENERAL_MASKS]),
            extensions,
            names,
        }
    }

    /// Category names in output order.
    pub(crate) fn names(&self) -> Vec<&str> {
        self.names.iter().map(String::as_str).collect()
    }

    /// What the category rules find in `msg`: built-in categories by their cues (resolved in context;
    /// `sentiment` tells thank-you notes from requests), and every category's tenant keywords.
    pub(crate) fn find(&self, msg: &Message, sentiment: Sentiment, phishing: bool) -> CategoryCues {
        let hits = self.cues.find(&msg.doc, msg.langs);
        let intents = self.intents.find(&msg.doc, msg.langs);
        let mut builtin = self.resolve(msg, &hits);
        let mut keywords = vec![false; self.names.len()];
        for hit in self.extensions.find(&msg.doc, msg.langs) {
            keywords[hit.value] = true;
        }
        if phishing {
            // A phishing report quotes the scam's bait ("pay £2.99", "confirm your card details"); the
            // customer is not asking about their own payment.
            builtin[slot(Cue::Billing).expect("built-in")] = false;
        }
        let asks = intents.iter().any(|h| h.value == Intent::Request) || is_question(msg, &intents);
        // "Thanks, the refund arrived": praise about something already solved is feedback only.
        let thanks_only = sentiment == Sentiment::Positive && !asks;
        if thanks_only {
            builtin = [false; BUILTIN.len()];
        }
        let general = intents
            .iter()
            .any(|h| matches!(h.value, Intent::Hours | Intent::Location));
        CategoryCues {
            builtin,
            general,
            thanks_only,
            keywords: self
                .names
                .iter()
                .cloned()
                .zip(keywords)
                .take(self.names.len() - 1)
                .collect(),
        }
    }

    /// Which built-in categories (in [`BUILTIN`] order) the cue hits add up to, resolving the
    /// context-dependent cues.
    fn resolve(&self, msg: &Message, hits: &[Hit<Cue>]) -> [bool; BUILTIN.len()] {
        let has = |cue: Cue| hits.iter().any(|h| h.value == cue);
        let mut on = [false; BUILTIN.len()];
        for h in hits {
            if let Some(slot) = slot(h.value) {
                on[slot] = true;
            }
        }
        let set = |on: &mut [bool; BUILTIN.len()], cue: Cue| {
            on[slot(cue).expect("only built-in categories are set")] = true;
        };
        let hotel = has(Cue::Hotel);
        let stayed = hits
            .iter()
            .any(|h| h.value == Cue::Stay && !msg.scope.is_negated(&msg.doc, h.start, h.end));
        if stayed && hotel {
            set(&mut on, Cue::Booking);
        }
        let booking = on[slot(Cue::Booking).expect("built-in")];
        for h in hits {
            match h.value {
                Cue::Arrive if is_parcel_arrival(msg, h, hits) => set(&mut on, Cue::Orders),
                Cue::TechWeak if near_digital(msg, h, hits) => set(&mut on, Cue::Technical),
                Cue::Cancel if booking || hotel => set(&mut on, Cue::Booking),
                Cue::Cancel if !same_clause_as(msg, h, hits, Cue::Account) => {
                    set(&mut on, Cue::Returns)
                }
                _ => {}
            }
        }
        let product = has(Cue::Product) || mentions_model_year(msg);
        for h in hits.iter().filter(|h| h.value == Cue::Replacement) {
            // "a replacement headlight", "a replacement for a 2012 Prius" ask for a part, not a return.
            let part_follows = hits
                .iter()
                .any(|p| p.value == Cue::Product && p.start >= h.end && p.start <= h.end + 3);
            let fitment = msg.doc.tokens.get(h.end).is_some_and(|t| t.text == "for") && product;
            if part_follows || fitment {
                set(&mut on, Cue::Inventory);
            } else {
                set(&mut on, Cue::Returns);
            }
        }
        // "Is it available?" is about a part unless a room or a hotel amenity is in play.
        if has(Cue::Avail) && !booking && !hotel && (product || !on.contains(&true)) {
            set(&mut on, Cue::Inventory);
        }
        on
    }
}

/// What the category rules found in a message.
pub(crate) struct CategoryCues {
    /// Built-in categories (the first seven default categories, in order) found by their cues.
    pub builtin: [bool; BUILTIN.len()],
    /// An opening-hours or location question: `general` next to anything else.
    pub general: bool,
    /// Praise or thanks and no question or request: feedback only, so `general` alone.
    pub thanks_only: bool,
    /// Every category but `general`, in taxonomy order, and whether a tenant keyword for it matched.
    pub keywords: Vec<(String, bool)>,
}

/// Cues that are categories in their own right, in output order (the first seven default categories).
const BUILTIN: [Cue; 7] = [
    Cue::Orders,
    Cue::Returns,
    Cue::Billing,
    Cue::Inventory,
    Cue::Account,
    Cue::Technical,
    Cue::Booking,
];

fn slot(cue: Cue) -> Option<usize> {
    BUILTIN.iter().position(|c| *c == cue)
}

/// An arrival is a parcel's unless its subject or object is money, a message or a guest ("the refund has
/// not arrived", "never received the confirmation email", "we arrive at 11pm").
fn is_parcel_arrival(msg: &Message, arrive: &Hit<Cue>, hits: &[Hit<Cue>]) -> bool {
    let clause = msg.doc.tokens[arrive.start].clause;
    let from = arrive.start.saturating_sub(SUBJECT_WINDOW);
    !hits.iter().any(|h| {
        matches!(h.value, Cue::NotParcel | Cue::Booking)
            && h.start < arrive.end + OBJECT_WINDOW
            && h.end > from
            && msg.doc.tokens[h.start].clause == clause
    })
}

/// A model year followed by a name ("2012 Prius", "2019 Mazda 3") marks a car, hence a parts question.
fn mentions_model_year(msg: &Message) -> bool {
    msg.doc.tokens.windows(2).any(|w| {
        w[0].text
            .parse::<u16>()
            .is_ok_and(|y| (1980..=2030).contains(&y))
            && w[1].text.chars().next().is_some_and(char::is_alphabetic)
    })
}

/// A weak problem word ("error", "not working") is technical when a website/app is named in its clause or the
/// neighbouring ones.
fn near_digital(msg: &Message, weak: &Hit<Cue>, hits: &[Hit<Cue>]) -> bool {
    let clause = i32::from(msg.doc.tokens[weak.start].clause);
    hits.iter()
        .filter(|h| h.value == Cue::Digital)
        .any(|h| (i32::from(msg.doc.tokens[h.start].clause) - clause).abs() <= 1)
}

fn same_clause_as(msg: &Message, hit: &Hit<Cue>, hits: &[Hit<Cue>], cue: Cue) -> bool {
    let clause = msg.doc.tokens[hit.start].clause;
    hits.iter()
        .any(|h| h.value == cue && msg.doc.tokens[h.start].clause == clause)
}

/// A question mark, or a clause opened by a question word ("hi what time is breakfast").
fn is_question(msg: &Message, intents: &[Hit<Intent>]) -> bool {
    msg.raw.contains('?')
        || intents.iter().any(|h| {
            h.value == Intent::Question
                && (h.start == 0
                    || msg.doc.tokens[h.start - 1].clause != msg.doc.tokens[h.start].clause)
        })
}

#[cfg(test)]
mod tests {
    use crate::{Taxonomy, Triager};

    /// The categories the rule cues alone give, in taxonomy order; the model's say is tested in `combine`.
    fn cats(text: &str) -> Vec<String> {
        cats_with(&Triager::default(), text)
    }

    fn cats_with(t: &Triager, text: &str) -> Vec<String> {
        let found = t.findings(&t.prepare(text)).categories;
        let mut out: Vec<String> = found
            .keywords
            .iter()
            .enumerate()
            .filter(|(i, (_, hit))| *hit || found.builtin.get(*i).copied().unwrap_or(false))
            .map(|(_, (name, _))| name.clone())
            .collect();
        if found.general || out.is_empty() {
            out.push("general".to_string());
        }
        out
    }

    #[test]
    fn availability_follows_context() {
        assert_eq!(
            cats("Is a double room available for 2 nights in May?"),
            ["booking"]
        );
        assert_eq!(cats("Is the Brembo brake kit available?"), ["inventory"]);
        assert_eq!(cats("Do you have vegan options at the hotel?"), ["general"]);
    }

    #[test]
    fn arrivals_are_parcels_unless_money_or_guests() {
        assert_eq!(cats("My package never arrived."), ["orders"]);
        assert_eq!(cats("The refund has still not arrived."), ["returns"]);
        assert_eq!(
            cats("We will arrive late at the hotel, around midnight, is reception open?"),
            ["booking"]
        );
    }

    #[test]
    fn cancellations() {
        assert_eq!(cats("Please cancel my order 5512."), ["returns"]);
        assert_eq!(
            cats("I need to cancel my reservation for next week."),
            ["booking"]
        );
    }

    #[test]
    fn errors_need_a_digital_surface() {
        assert_eq!(
            cats("The website gives me an error when I pay with PayPal."),
            ["billing", "technical"]
        );
        assert_eq!(
            cats("I crashed my car, do you have a bumper for a 2019 Mazda 3?"),
            ["inventory"]
        );
    }

    #[test]
    fn thanks_only_is_general_and_hours_sit_alongside() {
        assert_eq!(
            cats("Thank you so much, the refund arrived today!"),
            ["general"]
        );
        assert_eq!(
            cats("What are your opening hours, and do you have brake pads for a Golf?"),
            ["inventory", "general"]
        );
    }

    #[test]
    fn each_language_has_categories() {
        assert_eq!(
            cats("¿Dónde está mi pedido? El seguimiento no se actualiza."),
            ["orders"]
        );
        assert_eq!(
            cats("Ich möchte die Bremsscheiben zurücksenden und mein Geld zurück."),
            ["returns"]
        );
        assert_eq!(
            cats("Je n'arrive pas à me connecter, mot de passe refusé."),
            ["account"]
        );
        assert_eq!(cats("Podem enviar a fatura com o meu NIF?"), ["billing"]);
        assert_eq!(
            cats("Vorrei prenotare una camera doppia per due notti."),
            ["booking"]
        );
        assert_eq!(
            cats("Hebben jullie remblokken voor een Golf 7 op voorraad?"),
            ["inventory"]
        );
    }

    #[test]
    fn tenant_extension_and_order() {
        let mut tax = Taxonomy::default();
        tax.add_category("loyalty", &[(None, &["loyalty card"])])
            .expect("valid");
        tax.add_category("inventory", &[(None, &["zundkerzen"])])
            .expect("valid");
        assert_eq!(tax.categories().last(), Some(&"general"));
        let t = Triager::new(tax);
        assert_eq!(
            cats_with(&t, "Where is my loyalty card? My order never arrived"),
            ["orders", "loyalty"]
        );
        // A tenant keyword decides on its own, model or not.
        assert_eq!(t.triage("Zündkerzen?").categories, ["inventory"]);
        assert!(t
            .triage("Where is my loyalty card? My order never arrived")
            .categories
            .contains(&"loyalty".to_string()));
        assert!(Taxonomy::default()
            .add_category("x", &[(None, &["~2 bad"])])
            .is_err());
    }
}
