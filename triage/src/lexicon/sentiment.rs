//! Sentiment cues. Weights: 1 for mild cues ("thanks", "still"), 2 for clear ones ("thank you so much",
//! "unacceptable"), 3 for strong ones.

use super::Table;
use super::{DE, EN, ES, FR, IT, NL, PT};
use crate::lang::ANY;

/// A sentiment cue and its weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tone {
    Pos(u8),
    Neg(u8),
    /// Markers of sarcasm: praise next to one of these reads as a complaint.
    Irony,
}

/// Sentiment cues per language; emojis are matched on the raw text by the detector.
pub(crate) const CUES: &Table<Tone> = &[
    (EN, Tone::Pos(1), "thanks; thank you; thx; ty; cheers; appreciate*; happy; pleased; glad; helpful; nice; good"),
    (
        EN,
        Tone::Pos(2),
        "thank you so|very much; thanks so|very much; thanks a lot|million|bunch|ton; many thanks; thank you ~5 for; thanks for
         great; excellent; amazing; awesome; fantastic; wonderful; perfect; perfectly; love; loved; lovely; best
         brilliant; superb; delighted; impressed; recommend*; well done; you rock; you guys rock; spot on
         not bad; fits like a glove; would stay again; will be back; coming back; grateful; kudos; legend; 10 10
         sorted ~4 minutes|quickly; in no time; compliments; congrats; congratulations; so quick|fast|helpful|kind; very quick|fast|helpful|kind",
    ),
    (
        EN,
        Tone::Neg(1),
        "still; again; keeps|keep; nobody; no one; tried; waiting; bot; chatbot; robot; even though; despite
         died|dies; broke; faulty; defective; worse; slow; confusing; taking so long; took so long; days|weeks ago
         for ~2 days|weeks|months|hours|minutes; not happy; does|did|do not work; not working; stopped working
         broke|broken down; stuck; smashed; crushed; cracked; dented; leaked; leaking; scratched
         completely|totally|absolutely ~1 smashed|destroyed|broken|ruined|wrong|useless|crushed; unhappy; useless; not good; wrong again
         taking forever; no response|reply|answer; just want; want my money back; stop calling|emailing|texting
         already told|explained|asked; treated me|my; not what i ordered|expected|paid for; without warning|notice
         stop sending; twice already; already twice; soaked; ruined; dirty; not clean; filthy; please please
         been waiting; nobody|no one ~2 mentioned|told|warned|informed",
    ),
    (
        EN,
        Tone::Neg(2),
        "annoyed; annoying; angry; furious; frustrated; frustrating; disappointed; disappointing; unacceptable
         ridiculous; terrible; awful; horrible; worst; disgusting; outrageous; joke; shame; disgrace; pathetic
         incompetent; sick of; fed up; upset; never again; waste; nightmare; rude; lied; lying; ignored
         nobody ~2 answered|replied|responded|helps|cares|called
         no one ~2 answered|replied|responded|helps|cares|called; third|fourth|fifth time; second time
         how hard is it; seriously; stranded; daylight robbery; rip off; ripoff; extortionate; overpriced
         third|fourth|fifth ~2 wrong|email|message|call|attempt|time; why was|were|did|have ~3 charged|billed|cancelled|canceled;
         # th|rd|nd time; what is going on; what is wrong with; is this a joke; appalling; poor service; scandal",
    ),
    (
        EN,
        Tone::Irony,
        "thanks for nothing; thank you for nothing; yeah right; oh great|wonderful|perfect|brilliant|fantastic; just great|perfect|wonderful
         what a surprise; love how; so much for; really impressive; now on day; impressive work; great job guys",
    ),
    (ES, Tone::Pos(1), "gracias; amable; bien; contento; contenta"),
    (
        ES,
        Tone::Pos(2),
        "muchas gracias; mil gracias; gracias por; felicidades; felicitaciones; genial; excelente; perfect*; encantador*; encanto; encantado
         encantada; precios*; maravill*; increible; fantastic*; recomiend*; volveremos; estupend*; buenisim*",
    ),
    (
        ES,
        Tone::Neg(1),
        "todavia; sigue sin; otra vez; nadie; esperando; bot; robot; aunque; no entiende; lento; no funciona; roto; rota; danado; danada; sucia; sucio; no estaba limpia|limpio
         hace ~2 dias|semanas|meses; llevo ~3 dias|semanas|meses|horas",
    ),
    (
        ES,
        Tone::Neg(2),
        "tirado; tirada; averiado; averia; verguenza; inaceptable; ridicul*; terrible; horrible; fatal; pesimo; peor; enfadad*; harto; harta
         indignante; decepcion*; decepcionad*; nadie ~2 responde|contesta; tercera vez; una estafa",
    ),
    (DE, Tone::Pos(1), "danke; dankeschon; gut; nett; freundlich; zufrieden"),
    (
        DE,
        Tone::Pos(2),
        "vielen dank; herzlichen dank; danke fur; kompliment; lob; besten dank; super; toll; klasse; perfekt; hervorragend
         ausgezeichnet; grossartig; empfehl*; spitze; wunderbar; sehr zufrieden; begeistert",
    ),
    (
        DE,
        Tone::Neg(1),
        "immer noch; schon wieder; niemand; warte; bot; roboter; obwohl; trotzdem; leider; funktioniert nicht; kaputt; beschadigt; defekt; schmutzig; dreckig; nicht sauber
         seit ~2 tagen|wochen|monaten|stunden; zeigt nichts; keine antwort|reaktion; nichts passiert",
    ),
    (
        DE,
        Tone::Neg(2),
        "frechheit; unverschamt; inakzeptabel; lacherlich; katastrophe; katastrophal; schlimm; schlecht
         enttauscht; enttauschend; argerlich; verargert; sauer; wutend; dritte|dritten mal; panne; liegengeblieben; unmoglich; skandal",
    ),
    (FR, Tone::Pos(1), "merci; bien; gentil; content; contente; satisfait"),
    (
        FR,
        Tone::Pos(2),
        "merci beaucoup; merci pour; merci a; felicitations; chapeau; remercie; remercions; remerciements; mille mercis; super; genial; parfait*; excellent*; formidable
         magnifique; delicieux; ravi; ravie; recommande*; top; bravo; aide rapide; au top",
    ),
    (
        FR,
        Tone::Neg(1),
        "toujours pas; encore; personne; attente; robot; bot; malgre; alors que; lent; pas propre; sale; casse; cassee; abime; abimee; endommage*; ne marche|marchait pas
         ne fonctionne|fonctionnait pas; depuis ~2 jours|semaines|mois; aucune reponse",
    ),
    (
        FR,
        Tone::Neg(2),
        "inadmissible; inacceptable; honte; honteux; ridicule; nul; nulle; horrible; scandaleux; decu; decue
         furieux; furieuse; agace; agacee; enerve; enervee; troisieme fois; catastrophe; en panne",
    ),
    (PT, Tone::Pos(1), "obrigado; obrigada; bom; boa; simpatic*"),
    (
        PT,
        Tone::Pos(2),
        "muito obrigado|obrigada; obrigado|obrigada pela|pelo; parabens; agradec*; adorei; excelente; otim*; perfeit*
         lind*; maravilh*; incrivel; recomendo; voltaremos; fantastic*; impecavel",
    ),
    (
        PT,
        Tone::Neg(1),
        "ainda nao; de novo; outra vez; ninguem; esperando; tentando; robo; bot; embora; so da; nao funciona; quebrado; quebrada; partido; partida; danificad*; estragad*; sujo; suja; nao estava limpo|limpa
         ha ~2 dias|semanas|meses|minutos|horas; faz ~2 dias|semanas|meses; nenhuma resposta",
    ),
    (
        PT,
        Tone::Neg(2),
        "vergonha; inaceitavel; ridicul*; pessim*; horrivel; terrivel; absurdo; decepcion*; irritad*; chatead*
         revoltad*; terceira vez; descaso; palhacada; avariou; avariado; avaria",
    ),
    (IT, Tone::Pos(1), "grazie; bene; gentile; gentili; contento; contenta"),
    (
        IT,
        Tone::Pos(2),
        "grazie mille; grazie per; grazie di; complimenti; ottim*; perfett*; eccellent*; fantastic*; bellissim*; splendid*
         gentilissim*; consiglio; torneremo; meraviglios*; super",
    ),
    (
        IT,
        Tone::Neg(1),
        "ancora; di nuovo; nessuno; aspetto; bot; robot; anche se; difettos*; lento; non funziona; rotto; rotta; danneggiat*; sporco; sporca; non era pulit*
         da ~2 giorni|settimane|mesi; continua a; nessuna risposta",
    ),
    (
        IT,
        Tone::Neg(2),
        "vergogna; inaccettabile; ridicol*; pessim*; orribile; terribile; assurdo; deluso; delusa; arrabbiat*
         scandalos*; terza volta; indecente; guasto; in panne",
    ),
    (NL, Tone::Pos(1), "bedankt; dank; dankjewel; dankuwel; goed; fijn; tevreden; vriendelijk"),
    (
        NL,
        Tone::Pos(2),
        "hartelijk dank|bedankt; heel erg bedankt; complimenten; compliment; geweldig*; top; perfect; uitstekend; super; fantastisch
         prima; aanrader; snelle service; zeer tevreden",
    ),
    (
        NL,
        Tone::Neg(1),
        "nog steeds; alweer; weer; niemand; wachten; bot; robot; hoewel; doet niets|niks; werkt niet; kapot; beschadigd; vies; smerig; niet schoon
         al ~2 dagen|weken|maanden; sinds ~2 dagen|weken; geen reactie|antwoord",
    ),
    (
        NL,
        Tone::Neg(2),
        "schandalig; onacceptabel; belachelijk; slecht; slechte; vreselijk; teleurgesteld; teleurstellend
         boos; woedend; derde keer; waardeloos; pech; gestrand",
    ),
    (ANY, Tone::Pos(1), "lol; haha"),
];

/// Masks: politeness formulas and idioms that carry no sentiment.
pub(crate) const MASKS: &Table<Option<Tone>> = &[
    (
        EN,
        None,
        "thanks ~2 in advance; thank you ~2 in advance; thanks for asking; no problem; good morning|afternoon
         good evening|day; would be great|good|nice|perfect|lovely; that would be; if possible; good to know
         best regards|wishes; all the best; kind regards; is it good; any good; great if; love to know
         would love; best way|option|time|place|route|choice; keep it up|going; skoda superb",
    ),
    (EN, Some(Tone::Neg(1)), "still ~2 under warranty|available|open|in stock; keep me posted|updated"),
    (ES, None, "gracias de antemano; de nada; buenos dias; buenas tardes|noches"),
    (DE, None, "danke im voraus; vielen dank im voraus; guten tag|morgen|abend; gut zu wissen"),
    (FR, None, "merci d avance; merci par avance; merci de|d; bonne journee|soiree; bien a vous; bien recu"),
    (PT, None, "obrigado|obrigada desde ja; bom dia; boa tarde|noite"),
    (IT, None, "grazie in anticipo; buongiorno; buona giornata|sera; va bene"),
    (NL, None, "alvast bedankt|dank; goedemorgen; goedemiddag; goedenavond"),
];
