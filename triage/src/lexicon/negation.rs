//! Negators and scope breakers.

use super::Table;
use super::{DE, EN, ES, FR, IT, NL, PT};

/// How far a negator reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach {
    /// A few tokens to the right ("not going to sue").
    Near,
    /// To the end of the clause: disclaimers and counterfactuals ("not saying it's fraud", "I was about to
    /// dispute it").
    Clause,
}

/// Negator phrases. Patterns use the lexicon syntax (see `lexicon`).
pub(crate) const NEGATORS: &Table<Reach> = &[
    (
        EN,
        Reach::Near,
        "not; no; never; nobody; none; without; hardly; neither; nor; no need to; no reason to
         not looking|planning|trying|wanting|intending|interested|keen|going|about to|in|on
         no plan|plans|wish|desire|interest|intention to|in|of",
    ),
    (
        EN,
        Reach::Clause,
        "not saying|claiming|accusing|suggesting|implying|threatening; not trying to; no intention; \
         was|were about to; almost; nearly; would have; no longer need|want",
    ),
    (ES, Reach::Near, "no; nunca; jamas; ni; sin; tampoco; ningun; ninguna; nadie; no hace falta"),
    (ES, Reach::Clause, "no digo; no estoy diciendo; no es que; estuve|estaba a punto de; casi; no acuso; no estoy acusando"),
    (DE, Reach::Near, "nicht; kein*; nie; niemals; ohne; nichts"),
    (DE, Reach::Clause, "ich sage nicht; will nicht sagen; wollte schon; fast; unterstelle ~2 nicht|kein*|niemand*"),
    (FR, Reach::Near, "ne; n; pas; jamais; sans; aucun; aucune; ni; pas besoin; inutile; pas la peine"),
    (FR, Reach::Clause, "je ne dis pas; j allais; failli; presque; n accuse personne; accuse personne"),
    (PT, Reach::Near, "nao; nunca; jamais; sem; nem; nenhum; nenhuma; ninguem"),
    (PT, Reach::Clause, "nao estou dizendo; nao digo; estava prestes a; quase; nao estou a ~1 acusar|dizer|insinuar; nao acuso"),
    (IT, Reach::Near, "non; mai; senza; nessun; nessuna; nessuno; ne"),
    (IT, Reach::Clause, "non sto dicendo; non dico; stavo per; quasi; non sto accusando; non accuso"),
    (NL, Reach::Near, "niet; geen; nooit; zonder; niks; niets"),
    (NL, Reach::Clause, "ik zeg niet; wilde al; bijna; beschuldig ~2 niet|niemand"),
];

/// Words that end a negator's reach: what follows them is a new proposition ("if you don't pay I'll sue").
/// English "or" is not one: it mostly lists what is negated ("no lawyers or courts").
/// Portuguese and Italian "e" (and) is missing on purpose: folded, it is also "é"/"è" (is).
pub(crate) const BREAKERS: &Table<()> = &[
    (
        EN,
        (),
        "and; so; because; if; then; otherwise; until; unless; when; since; cause",
    ),
    (ES, (), "y; porque; si; entonces; o; hasta; cuando"),
    (DE, (), "und; weil; wenn; dann; oder; sonst; bis; falls"),
    (FR, (), "et; parce; si; alors; ou; sinon; jusqu; quand"),
    (PT, (), "porque; se; entao; ou; senao; ate; quando"),
    (IT, (), "perche; se; allora; o; altrimenti; finche; quando"),
    (NL, (), "en; omdat; als; dan; of; anders; tot; wanneer"),
];

/// Conditionals: after one of these, a new subject pronoun starts the consequence ("if you don't refund me I
/// will sue"), which the negation in the condition does not reach.
pub(crate) const CONDITIONALS: &Table<()> = &[
    (EN, (), "if; unless"),
    (ES, (), "si"),
    (DE, (), "wenn; falls"),
    (FR, (), "si"),
    (PT, (), "se"),
    (IT, (), "se"),
    (NL, (), "als; indien"),
];

/// Subject pronouns that open a consequence after a conditional.
pub(crate) const SUBJECTS: &Table<()> = &[
    (EN, (), "i; we; my"),
    (ES, (), "yo; nosotros; voy; vamos"),
    (DE, (), "ich; wir; werde"),
    (FR, (), "je; j; nous"),
    (PT, (), "eu; nos; vou"),
    (IT, (), "io; noi"),
    (NL, (), "ik; wij; we"),
];
