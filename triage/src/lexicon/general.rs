//! Cues for the `general` category and for telling requests from pure thanks/feedback.

use super::Table;
use super::{DE, EN, ES, FR, IT, NL, PT};

/// General-purpose intents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Intent {
    /// Opening hours: `general` even next to other categories.
    Hours,
    /// Where a shop or hotel is: `general` even next to other categories.
    Location,
    /// The customer asks for something: a thank-you note that also asks is not "only thanks".
    Request,
    /// A question word opening a clause, for questions typed without "?".
    Question,
}

/// General intents per language.
pub(crate) const INTENTS: &Table<Intent> = &[
    (
        EN,
        Intent::Hours,
        "opening hours|times; open on|until|till|today|tomorrow|sunday|saturday|sundays|saturdays|weekends
         are you open; what time ~3 open|close|opens|closes; when ~3 open|close|opens|closes; business hours
         closing time",
    ),
    (
        EN,
        Intent::Location,
        "where ~3 located; where is|s|are the|your ~2 shop|store|hotel|office|branch|garage; where are you based
         where exactly; your address; the address of; directions; how do i|we get to|there; near; close to
         way to get to|there; get to your|the ~2 hotel|store|shop|branch
         walking distance; far from; nearest store|branch|shop|hotel",
    ),
    (
        EN,
        Intent::Request,
        "please; pls; plz; can|could|would you; can|could|may i; i want|need; i would like; let me know; tell me
         help me; send me; kindly; is it possible; i am looking for",
    ),
    (
        EN,
        Intent::Question,
        "how; what; when; where; why; which; who; can|could|would|will you|u|i|we; do|does|did you|u|it|they|we|i
         is|are there|it|this|that|the|my|your; any chance",
    ),
    (
        ES,
        Intent::Hours,
        "horario*; a que hora ~3 abre|abren|cierra|cierran|abris; abren; abris; estan abiertos
         abierto|abiertos ~2 domingo|domingos|sabado|sabados|hoy|festivos",
    ),
    (
        ES,
        Intent::Location,
        "donde esta|estan ~3 tienda|hotel|local|oficina; donde se encuentra; ubicacion; como llego|llegar; cerca de",
    ),
    (ES, Intent::Request, "por favor; pueden; podrian; puede; podeis; quiero; necesito; quisiera; me gustaria"),
    (ES, Intent::Question, "como; que; cuando; donde; por que; cual; quien; tienen; hay; puedo; pueden"),
    (
        DE,
        Intent::Hours,
        "offnungszeiten; geoffnet ~3 sonntag|samstag|heute|feiertag*; haben sie ~3 geoffnet|offen
         wann ~3 offen|geoffnet|offnet|offnen|schliesst|schliessen",
    ),
    (
        DE,
        Intent::Location,
        "wo ist ~3 hotel|laden|geschaft|filiale; wo befindet sich; wo finde ich; anfahrt; wie komme ich; in der nahe",
    ),
    (DE, Intent::Request, "bitte; konnen|konnten sie; ich mochte; ich will; ich brauche; ich hatte gern"),
    (DE, Intent::Question, "wie; was; wann; wo; warum; welche*; wer; konnen; kann; haben; ist; gibt es"),
    (
        FR,
        Intent::Hours,
        "heures d ouverture; horaires; etes vous ouverts; ouvert|ouverts ~2 dimanche|samedi|aujourd|ferie|feries
         a quelle heure ~3 ouvre|ouvrez|ferme|fermez",
    ),
    (FR, Intent::Location, "ou se trouve; est situe*; comment venir|aller|se rendre; pres de"),
    (
        FR,
        Intent::Request,
        "s il vous plait; svp; pouvez vous; pourriez vous; je voudrais; je veux; j ai besoin; merci de",
    ),
    (FR, Intent::Question, "comment; quoi; quand; ou; pourquoi; quel; quelle; qui; est ce; avez; pouvez"),
    (
        PT,
        Intent::Hours,
        "horario*; estao abertos; abrem; aberto|abertos ~2 domingo|sabado|hoje|feriado|feriados
         a que horas ~3 abre|abrem|fecha|fecham",
    ),
    (PT, Intent::Location, "onde fica|ficam; como chego|chegar; perto de"),
    (PT, Intent::Request, "por favor; podem; poderiam; pode; quero; preciso; gostaria"),
    (PT, Intent::Question, "como; que; quando; onde; porque; qual; quem; tem; podem; posso"),
    (
        IT,
        Intent::Hours,
        "orari*; orario; siete aperti; aperto|aperti ~2 domenica|sabato|oggi|domani|festivi
         a che ora ~3 apre|aprite|chiude|chiudete",
    ),
    (IT, Intent::Location, "dove si trova|trovate; come arrivare|raggiungere; vicino a"),
    (IT, Intent::Request, "per favore; per cortesia; potete; potreste; puo; vorrei; voglio; ho bisogno"),
    (IT, Intent::Question, "come; cosa; quando; dove; perche; quale; chi; avete; potete; posso"),
    (NL, Intent::Hours, "openingstijden; open op; hoe laat ~3 open|dicht|sluit|sluiten|opent|openen"),
    (NL, Intent::Location, "waar zit|zitten|ligt|is ~2 winkel|hotel|vestiging; hoe kom ik; in de buurt"),
    (NL, Intent::Request, "alstublieft; aub; graag; kunnen jullie; kunt u; kun je; ik wil; ik zou graag"),
    (NL, Intent::Question, "hoe; wat; wanneer; waar; waarom; welke; wie; hebben; kunnen; is; zijn"),
];

/// Masks for general intents.
pub(crate) const MASKS: &Table<Option<Intent>> = &[
    (EN, Some(Intent::Hours), "open the|my|it|a; opened"),
    (
        ES | PT,
        Some(Intent::Hours),
        "horario ~2 check; horario ~2 pequeno|desayuno|cafe",
    ),
    (FR, Some(Intent::Hours), "horaires ~2 check|petit"),
    (IT, Some(Intent::Hours), "orario ~2 check|colazione"),
];
