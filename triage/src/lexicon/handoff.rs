//! Requests for a human: talk-to forms, call-back requests, and mentions that are not requests.

use super::Table;
use super::{DE, EN, ES, FR, IT, NL, PT};

/// Kinds of handoff request; the kind also colours sentiment (asking for a manager is a complaint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ask {
    /// Any human or agent.
    Agent,
    /// Explicitly not the bot: a human, a real person.
    Human,
    /// Someone senior: manager, supervisor.
    Senior,
    /// Call me back.
    Callback,
}

/// Handoff requests per language. Patterns need a request verb; bare nouns ("your agent Tom") never match.
pub(crate) const CUES: &Table<Ask> = &[
    (
        EN,
        Ask::Agent,
        "speak|talk|chat ~1 to|with ~4 agent|agents|someone|somebody|anyone|anybody|representative|rep|operator
         speak|talk|chat ~1 to|with ~4 staff|employee|advisor|adviser|team|member|support|service|colleague
         speak|talk|chat ~1 to|with ~4 receptionist|people|department|consultant|specialist
         transfer|connect|put|escalate ~3 to|with|through ~4 agent|someone|somebody|representative|operator|team
         need|want|get|give|request ~3 an|a? agent|representative|operator; agent please|pls|plz
         someone|anyone|somebody|anybody ~2 i|we can|could speak|talk|chat; is there anyone ~3 help
         anyone|anybody|someone there|here; anyone|anybody|someone out there; is anyone|anybody reading|listening
         live support|agent|agents|help|assistance|person; have|offer|got|any|there|use ~2 live chat
         live chat ~3 with|to ~3 agent|person|human|someone|somebody; phone|telephone support|line|number|helpline
         support|help ~2 by|over|on the? phone; can|could|may i|we call|phone|ring ~2 you|someone|somebody|anyone
         who ~2 i|we speak|talk ~1 to|with; is|are there ~3 agent|agents|operator|operators|staff|anyone|someone
         speak|talk|chat ~1 to|with ~4 technician|mechanic|engineer|expert|specialist|advisor|rep
         get|need|want|book|request|send ~3 a|an technician|mechanic|expert|specialist ~3 call|phone|look|check
         someone who knows; person|human ideally|preferably; one of your ~1 team|staff|experts|technicians
         is|are there ~3 human|humans|person|people|being; real|actual|live|flesh ~1 person|human|humans|people|agent|operator
         is|are anyone|someone|anybody|somebody ~4 online|available|around|free; get|send me a|an technician|engineer|specialist|expert|person|human
         or ~3 bot|robot|automated|machine|ai $",
    ),
    (
        EN,
        Ask::Human,
        "speak|talk|chat ~1 to|with ~4 human|humans|person|people|being
         need|want|get|give|request|prefer ~3 human|person|humans; human|person please|pls|plz
         human $; real|actual person|human|agent|operator|people $
         real|actual|live person|human|agent|operator please|pls|plz; not a bot|robot|machine",
    ),
    (
        EN,
        Ask::Senior,
        "speak|talk|chat ~1 to|with ~4 manager|supervisor|boss|owner|superior|director
         transfer|connect|put|escalate ~3 to|with|through ~4 manager|supervisor|boss|superior
         speak|talk ~1 to|with ~2 someone|somebody|anyone in charge
         need|want|get|give|request|see ~3 a|the|your? manager|supervisor; manager please|pls|plz",
    ),
    (
        EN,
        Ask::Callback,
        "call|ring|phone me|us back; call back; callback; give me a call|ring; call|ring|phone me|us
         someone|somebody|anyone ~3 call|ring|phone|contact me|us; have ~4 call me
         can|could|may i call|phone|ring you; number ~4 call|ring|reach|phone",
    ),
    (
        ES,
        Ask::Agent,
        "hay alguien; hay ~2 agente|asesor|asesora|operador|operadora|persona|empleado ~3 disponible|chat|atender; hablar con ~3 agente|asesor|asesora|operador|operadora|alguien|empleado|representante|atencion
         pasar|pasarme|pasame|pasenme|comunicar|comunicarme ~1 con ~3 alguien|agente|asesor|operador
         pase|paseme|pasadme|ponme|ponganme|pongame|comuniqueme|comunicadme ~2 con ~3 alguien|agente|asesor|operador|tecnico|especialista|persona
         hablar con ~3 especialista|tecnico|experto|mecanico|alguien; atencion telefonica|personalizada; telefono de atencion
         puedo|podemos llamar|llamaros|llamarles|llamarlos; numero ~3 llamar; alguna persona; hay ~2 alguien ~3 disponible|real|verdad",
    ),
    (
        ES,
        Ask::Human,
        "hablar con ~3 persona|humano|humana|personas; persona real|humana; persona de verdad
         atencion humana|personal; quiero|necesito ~3 persona|humano; no un bot|robot",
    ),
    (
        ES,
        Ask::Senior,
        "hablar con ~3 encargado|responsable|supervisor|gerente|jefe|director
         pase|paseme|pasame|pasenme|pasadme|ponme|ponganme|pongame|comuniqueme ~2 con ~3 encargado|responsable|supervisor|gerente|jefe|director",
    ),
    (ES, Ask::Callback, "llamenme; llamadme; llamarme; me llamen|llame|llamais; me ~2 llamar; llamar ~2 alguien; devolver|devuelvan ~2 llamada"),
    (
        DE,
        Ask::Agent,
        "ist da jemand; gibt es ~2 jemanden|mitarbeiter|menschen|berater; ist ~2 jemand|mitarbeiter ~3 erreichbar|online|verfugbar|da; mit ~3 mitarbeiter*|jemandem|kundendienst|kundenservice|berater*|service|agenten ~3 sprechen|reden
         mit ~3 mitarbeiter*|jemandem|kundendienst|kundenservice|berater*|agenten ~3 telefonieren|verbinden
         sprechen|reden ~1 mit ~3 mitarbeiter*|jemandem|kundendienst|kundenservice|berater*
         gesprach mit ~3 mitarbeiter*|jemandem|menschen; verbinden sie mich ~3 mit; telefonisch erreichbar; hotline
         kann|konnen|darf ich|wir ~3 anrufen; fachmann|fachfrau|techniker*|experte*|expertin|spezialist*|mechaniker ~4 sprechen|telefon|zuruckrufen|anrufen|reden
         sprechen|reden ~1 mit ~3 fachmann|fachfrau|techniker*|experte*|expertin|spezialist*|mechaniker
         kundenservice|kundendienst|support ~4 erreichbar|telefon|anrufen",
    ),
    (
        DE,
        Ask::Human,
        "mit ~3 mensch|menschen|person ~3 sprechen|reden; sprechen ~1 mit ~3 mensch|menschen|person
         echten|echter|echte menschen|mensch|person; will|mochte|brauche ~4 mensch|menschen; kein bot|roboter",
    ),
    (
        DE,
        Ask::Senior,
        "mit ~3 vorgesetzten|chef|manager|verantwortlichen|geschaftsfuhrer|leiter ~3 sprechen|reden
         sprechen ~1 mit ~3 vorgesetzten|chef|manager|verantwortlichen",
    ),
    (DE, Ask::Callback, "ruckruf; zuruckrufen; rufen sie mich ~3 an|zuruck; anrufen ~2 bitte; mich anrufen"),
    (
        FR,
        Ask::Agent,
        "il y a quelqu un; quelqu un ~3 disponible|joignable; quelqu un ~3 en ligne; parler ~2 a|avec ~3 conseiller|conseillere|quelqu|agent|operateur|operatrice|interlocuteur|service
         parler ~2 a|avec ~3 employe|equipe|technicien|specialiste|expert|mecanicien; mettre en relation
         passez|passer|passe moi ~3 responsable|conseiller|technicien|quelqu|superieur|manager|directeur|agent
         echanger avec ~3 technicien|conseiller|quelqu|humain|specialiste|expert|agent
         specialiste|technicien|expert|conseiller ~4 rappeler|appeler|parler|joindre; joindre ~3 conseiller|service|quelqu
         joindre ~3 par telephone; assistance|service ~2 telephonique; numero ~3 appeler",
    ),
    (
        FR,
        Ask::Human,
        "parler ~2 a|avec ~3 humain|personne|vrai|vraie; un humain; pas a|un|une ~1 robot|bot|machine
         vrai|vraie|veritable conseiller|conseillere|personne|humain|interlocuteur",
    ),
    (FR, Ask::Senior, "parler ~2 a|au|avec ~3 responsable|manager|directeur|superieur|gerant"),
    (FR, Ask::Callback, "rappelez moi; me rappeler; etre rappele*; me recontacter; appelez moi; m appeler"),
    (
        PT,
        Ask::Agent,
        "tem alguem ai; tem|ha alguem ~4 disponivel|falar|atender|online; falar com ~3 atendente|alguem|agente|operador|funcionario|assistente|consultor|atendimento
         falar com ~3 especialista|tecnico|perito|mecanico; passe|passem|passar|passa me ~3 alguem|tecnico|atendente|operador|especialista
         apoio|atendimento|suporte|linha ~3 telefone|telefonico|telefonica; numero ~3 ligar; posso|podemos ligar|telefonar
         alguma pessoa; alguem ~3 real|verdade; alguem ~2 possa ~1 falar",
    ),
    (
        PT,
        Ask::Human,
        "falar com ~3 humano|pessoa; atendimento humano|pessoal; pessoa real; pessoa de verdade; nao um robo|bot",
    ),
    (
        PT,
        Ask::Senior,
        "falar com ~3 gerente|supervisor|responsavel|chefe|diretor
         passe|passem|passar|passa me ~3 gerente|supervisor|responsavel|chefe|diretor",
    ),
    (PT, Ask::Callback, "me liguem; ligue me; liguem me; ligar me; me ligar; retornar|retornem ~2 ligacao|chamada"),
    (
        IT,
        Ask::Agent,
        "c e qualcuno; c e ~3 qualcuno|operatore|persona ~3 disponibile|online|parlare; parlare con ~3 operatore|operatrice|qualcuno|agente|addetto|consulente|assistenza|impiegato
         parlare con ~3 tecnico|specialista|esperto|meccanico; assistenza|supporto|servizio ~2 telefonica|telefonico
         numero ~3 chiamare; posso|possiamo chiamarvi|telefonarvi; c e ~3 operatore|operatrice|persona
         mi|ci passi|passa|passate|passino ~3 operatore|tecnico|qualcuno|addetto|specialista",
    ),
    (
        IT,
        Ask::Human,
        "parlare con ~3 persona|umano; operatore umano; persona vera|reale; non un bot|robot; in carne e ossa",
    ),
    (
        IT,
        Ask::Senior,
        "parlare con ~3 responsabile|supervisore|direttore|manager|capo
         mi|ci passi|passa|passate|passino ~3 responsabile|supervisore|direttore|manager|capo",
    ),
    (IT, Ask::Callback, "richiamatemi; richiamarmi; mi richiami|richiamate|chiami|chiamate; chiamatemi"),
    (
        NL,
        Ask::Agent,
        "is daar|er iemand; iemand ~3 beschikbaar|online|bereikbaar; spreken|praten|bellen ~1 met ~3 medewerker|iemand|klantenservice|agent
         medewerker|iemand|klantenservice ~2 spreken|bellen; met ~3 medewerker|iemand ~2 spreken|praten
         verbind ~3 door met; doorverbinden; klantenservice ~4 bellen|telefonisch|bereikbaar; kan|mag ik|we ~3 bellen
         telefonisch bereikbaar; monteur|technicus|specialist|expert|deskundige ~3 spreken|bellen|praten
         spreken|praten ~1 met ~3 monteur|technicus|specialist|expert|deskundige; echte ~1 medewerker|mens|persoon",
    ),
    (
        NL,
        Ask::Human,
        "spreken|praten ~1 met ~3 mens|persoon; mens|persoon ~2 spreken; echt|echte persoon|mens; geen bot|robot",
    ),
    (NL, Ask::Senior, "spreken|praten ~1 met ~3 manager|leidinggevende|supervisor; manager|leidinggevende ~4 spreken"),
    (NL, Ask::Callback, "bel me|mij ~2 terug; terugbellen; terug bellen; bel me|mij; kunnen jullie mij|me bellen"),
];

/// Mentions that look like requests but are not.
pub(crate) const MASKS: &Table<Option<Ask>> = &[
    (
        EN,
        None,
        "travel|estate|insurance|shipping|customs|booking|letting|leasing agent|agents
         said|promised|supposed ~4 call me|us back; call back ~2 never; human error; human resources
         person ~2 who|that ~3 answered|replied|helped; speak|talk|chat to you|u; talk to my mechanic|garage
         i am not a robot|bot|human",
    ),
    (ES, None, "agente de viajes; agencia de viajes"),
    (DE, None, "reiseburo; reiseburos"),
    (FR, None, "agent de voyage|voyages; agence de voyage"),
    (PT, None, "agente de viagens; agencia de viagens"),
    (IT, None, "agente di viaggio|viaggi; agenzia di viaggi"),
    (NL, None, "reisagent; reisbureau"),
];
