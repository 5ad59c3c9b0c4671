//! Urgency cues: emergencies, explicit urgency, deadlines, and explicit calm ("no rush").

use super::Table;
use super::{DE, EN, ES, FR, IT, NL, PT};
use crate::lang::ANY;

/// Kinds of urgency cue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Urgency {
    /// Time pressure or an emergency; defused by negation.
    Pressing,
    /// The customer says it can wait; overrides everything else.
    Calm,
}

/// Urgency cues per language.
pub(crate) const CUES: &Table<Urgency> = &[
    (
        EN,
        Urgency::Pressing,
        "urgent; urgently; urgency; asap; emergency; immediately; right away; right now; straight away; stranded
         as soon as possible; as quickly as possible; time sensitive; last minute; desperate; desperately
         broke|broken down; breakdown; will not start; side of the road; middle of nowhere; locked out
         today; tonight; tomorrow; this evening|afternoon; in # ~1 hours|hour|minutes|mins|h
         within # ~1 hours|hour|h; in an hour; in a couple of hours; in two|three|few hours; in a few hours
         within an|a few hours; end of the day; end of today
         reply|respond|answer|help|fix|sort|call|get ~4 quickly|quick|fast|soon|asap; please ~3 quickly|hurry
         hurry; need|want|needs ~5 now; refund|send|fix|sort|cancel|call|reply|respond|answer|deliver ~3 now
         by|before this|next|coming|the? monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekend
         by|before tomorrow|tonight|noon|midnight; by|before ~3 end of; off the road; can not drive; undriveable
         by|before # pm|am; no later than; need|needs|must ~7 monday|tuesday|wednesday|thursday|friday|saturday
         need|needs|must ~7 sunday|weekend; have|has|got to ~6 monday|tuesday|wednesday|thursday|friday
         have|has|got to ~6 saturday|sunday|weekend; before ~2 ships|shipped|dispatched|sent|goes|leaves
         before the sale ends",
    ),
    (
        EN,
        Urgency::Calm,
        "no rush; no hurry; no urgency; not urgent; not in a rush|hurry; whenever; take your time; no pressure
         when you can; when you get a chance; in your own time; at your convenience; non urgent
         not time sensitive; not a big deal",
    ),
    (
        ES,
        Urgency::Pressing,
        "urgente; urgentemente; urgencia; emergencia; cuanto antes; lo antes posible; inmediatamente; ya mismo
         ahora mismo; ya $; hoy; esta noche; manana; tirado; averiado; averia; en # horas; dentro de # horas
         antes del|de|el? lunes|martes|miercoles|jueves|viernes|sabado|domingo
         para el|este lunes|martes|miercoles|jueves|viernes|sabado|domingo|finde|fin
         necesito ~5 lunes|martes|miercoles|jueves|viernes|sabado|domingo; rapido por favor",
    ),
    (ES, Urgency::Calm, "no es urgente; sin prisa; no hay prisa; cuando puedan; no corre prisa; con calma"),
    (
        DE,
        Urgency::Pressing,
        "dringend; eilig; sofort; umgehend; schnellstmoglich; so schnell wie moglich; notfall; liegengeblieben
         panne; heute; heute abend; morgen; in # stunden; innerhalb ~2 # stunden|h
         bis|vor ~1 montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|wochenende
         brauche ~5 montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag",
    ),
    (DE, Urgency::Calm, "nicht dringend; keine eile; eilt nicht; kein stress; ganz in ruhe; wann immer"),
    (
        FR,
        Urgency::Pressing,
        "urgent; urgente; urgence; au plus vite; des que possible; immediatement; tout de suite; rapidement
         en panne; aujourd hui; ce soir; demain; dans # heures|heure; sous # heures|h
         avant|pour ~1 lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|demain
         d ici ~2 lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|demain|ce|#
         besoin ~5 lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche",
    ),
    (
        FR,
        Urgency::Calm,
        "pas urgent; pas pressé; rien ne presse; pas de precipitation|presse|urgence; quand vous pouvez",
    ),
    (
        PT,
        Urgency::Pressing,
        "urgente; urgentemente; urgencia; emergencia; o mais rapido possivel; o quanto antes; imediatamente; ja $; agora mesmo
         hoje; hoje a noite; esta noite; amanha; avariado; avaria; em # horas; dentro de # horas
         ate|para|antes ~2 segunda|terca|quarta|quinta|sexta|sabado|domingo|amanha
         preciso ~5 segunda|terca|quarta|quinta|sexta|sabado|domingo",
    ),
    (PT, Urgency::Calm, "nao e urgente; sem pressa; nao ha pressa; quando puderem; com calma"),
    (
        IT,
        Urgency::Pressing,
        "urgente; urgentemente; urgenza; emergenza; subito; al piu presto; il prima possibile; immediatamente; oggi; stasera
         domani; in panne; guasto; entro # ore; tra # ore
         entro|per|prima ~2 oggi|domani|stasera|lunedi|martedi|mercoledi|giovedi|venerdi|sabato|domenica
         ho bisogno ~5 lunedi|martedi|mercoledi|giovedi|venerdi|sabato|domenica",
    ),
    (IT, Urgency::Calm, "non e urgente; nessuna fretta; non c e fretta; con calma; quando potete"),
    (
        NL,
        Urgency::Pressing,
        "dringend; spoed; spoedig; zo snel mogelijk; zsm; meteen; onmiddellijk; noodgeval; pech; gestrand
         vandaag; vanavond; morgen; morgenochtend; morgenavond; binnen # uur; over # uur; direct
         uiterlijk ~1 maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag|morgen|vanavond",
    ),
    (NL, Urgency::Calm, "niet dringend; geen haast; geen spoed; wanneer het uitkomt; rustig aan"),
];

/// Masks: products and idioms that look urgent but are not.
pub(crate) const MASKS: &Table<Option<Urgency>> = &[
    (
        ANY,
        Some(Urgency::Pressing),
        "sorted|fixed|solved|resolved|done|answered|replied|delivered|arrived|came|took|found|got|received ~5 in # ~1 hours|hour|minutes|mins|h",
    ),
    (
        EN,
        Some(Urgency::Pressing),
        "emergency brake|brakes|light|lights|flasher|flashers|kit|triangle|hammer|exit|blanket|tyre|tire|jack|tow
         emergency strap|rope|vest|flares|jump|starter|pack|tool|tools|release|handle|cable|lever|stop|switch
         earlier today; as of today; until today; to this day; from today; today s date
         ordered|placed|bought|paid|received|got|called|emailed|arrived|came|delivered ~3 today",
    ),
    (ES, Some(Urgency::Pressing), "la|esta|por|de manana; hasta hoy; freno de emergencia"),
    (DE, Some(Urgency::Pressing), "guten morgen; heute morgen; bis heute; notbremse"),
    (FR, Some(Urgency::Pressing), "jusqu a aujourd hui; frein d urgence"),
    (PT, Some(Urgency::Pressing), "ate hoje; ja ~1 passaram|paguei|tentei|fiz|recebi; travao de emergencia"),
    (IT, Some(Urgency::Pressing), "fino ad oggi; ad oggi; freno di emergenza"),
    (NL, Some(Urgency::Pressing), "goedemorgen; tot vandaag; noodrem"),
];
