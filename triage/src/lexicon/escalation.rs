//! Escalation cues: legal threats, and the traps that look like them. Fraud cues are in `fraud`.
//!
//! Cues come in two strengths. A **clear** cue is a form that means it ("I'll sue", "my lawyer will be in
//! touch", "see you in court", a regulator complaint): the combination never lets the model veto it. A bare
//! **word** ("lawyer", "court", "tribunal") is as often the customer's own life ("I'm in court all day") as a
//! threat: it stands only when the model does not read a mention. Masks name the mentions the rules recognise
//! (a profession, a hearing, presence at a court), and a masked or negated cue leaves the decision to a very
//! sure model.

use super::Table;
use super::{DE, EN, ES, FR, IT, NL, PT};

/// Kinds of escalation cue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cue {
    /// A legal threat in a form that means it: lawsuit, a lawyer acting for the customer, a regulator or
    /// consumer-body complaint.
    Legal,
    /// A legal word alone ("lawyer", "court"): a threat or a mention of the customer's own life.
    LegalWord,
    /// Fraud on the customer in a form that means it: unauthorised charge, stolen or cloned card, takeover.
    Fraud,
    /// A fraud word alone ("stolen", "hacked", "dispute"): a report or a look-alike.
    FraudWord,
    /// Phishing or a scam in the shop's name: fraud, but the customer is asking rather than a victim.
    Phishing,
    /// A chargeback or bank dispute, opened or threatened.
    Dispute,
    /// Money taken from the customer: a charge, a debit, a payment on a statement. Half of a report.
    Charge,
    /// The customer never ordered, bought, booked or stayed, or does not recognise it. Half of a report.
    NeverDid,
    /// Something happened to the account: a password or e-mail changed, a login from somewhere.
    AccountEvent,
    /// Someone else did it: "not me", "without my permission", "someone", "an unknown device".
    NotMe,
}

impl Cue {
    /// Whether the cue is half of a report (see `escalation`), not a cue of its own.
    pub(crate) fn is_part(self) -> bool {
        matches!(
            self,
            Cue::Charge | Cue::NeverDid | Cue::AccountEvent | Cue::NotMe
        )
    }
}

/// Legal cues per language.
pub(crate) const LEGAL: &Table<Cue> = &[
    (
        EN,
        Cue::Legal,
        "sue; suing; sued; lawsuit*; legal action|proceedings|steps|route|claim|letter|advice|counsel|matter
         take|taking|took ~2 legal action|steps|advice; legal team|department|representative|representation
         small claim|claims; trading standards; ombudsman; regulator; regulators; watchdog
         consumer protection|rights|council|agency|association|authority|office|bureau|watchdog|champion
         ftc; cma; ico; bbb; better business bureau; data protection authority|commissioner|regulator
         report|reporting|reported you|your|this ~3 to; report you; class action; citizens advice
         advertising standards; consumer centre|center|ombudsman|tribunal
         complain|complaint|complaints|report|reporting ~2 to|with ~2 authority|authorities|regulator|ombudsman
         complain|complaint|complaints|report|reporting ~2 to|with ~2 ico|ftc|cma|bbb|council|agency|commission
         cease and desist; letter before action; notice before action; county court claim; money claim
         my|our lawyer|lawyers|attorney|attorneys|solicitor|solicitors|barrister|counsel|advocate
         contact|contacting|consult|consulting|hire|hiring|get|getting|involve|involving|instruct|instructing ~3 a|an|my? lawyer|lawyers|attorney|attorneys|solicitor|solicitors
         call|calling|engage|engaging|see|seeing|retain|retaining ~2 a|an|my? lawyer|attorney|solicitor
         hand|handing|pass|passing|forward|forwarding|send|sending|refer|referring ~4 to ~2 lawyer|lawyers|attorney|solicitor|solicitors|legal
         lawyer|lawyers|attorney|solicitor|solicitors ~3 will|would|is|are|shall ~3 touch|contact|write|writing|call|deal
         hearing from ~2 lawyer|lawyers|solicitor|solicitors|attorney|legal
         see|meet you ~1 in court; take|taking|drag|dragging|bring|bringing|haul|hauling ~3 to court
         court action|case|claim|claims|proceedings|order; go|going|went ~2 to court
         on behalf of my|our client|clients; act|acting for ~2 mr|mrs|ms|miss|dr|client; my client|clients
         represent|representing ~2 mr|mrs|ms|miss|dr|client; solicitor|lawyer|attorney for ~2 mr|mrs|ms|miss|client",
    ),
    (
        EN,
        Cue::LegalWord,
        "lawyer*; attorney*; solicitor*; barrister*; court; courts; litigation; tribunal
         illegal; illegally; unlawful*; against the law; breach of contract",
    ),
    (
        ES,
        Cue::Legal,
        "demand*; denunciar*; denuncio; denunciare; denunciaremos; denuncia ~3 contra|policia|consumo
         acciones|via|medidas|reclamacion legales|judiciales|judicial; via judicial; burofax
         oficina ~3 consumidor|consumo; reclamacion|denuncia|queja|hoja ~3 consumo|consumidor*; omic; facua; ocu
         hoja|libro de reclamaciones; defensa del consumidor; mi|mis|nuestro|nuestra|nuestros abogad*
         contratar|consultar|buscar|llamar|poner|pondre|meter ~3 un|una|mi? abogad*; hablar con ~2 abogad*
         en manos de ~2 abogad*|justicia|tribunales; veremos ~3 juicio|tribunal*|juzgado*
         llevar|llevare|llevaros|llevarles|llevarlos ~3 a ~2 juicio|tribunal*|juzgado*
         a los tribunales; ante los tribunales; ante el juez|juzgado; ir|ire|iremos a juicio
         mi cliente|clienta; represento a; en representacion de",
    ),
    (ES, Cue::LegalWord, "abogad*; juzgado*; tribunal*; juicio; judicial; ilegal"),
    (
        DE,
        Cue::Legal,
        "verklag*; klage; klagen; klage ich; rechtlich*|juristisch* schritte|konsequenzen|folgen|nachspiel; vor|zum gericht; gerichtlich*
         anwaltlich*; datenschutzbehorde; datenschutzbeauftragte*; verbraucherzentrale; schlichtungsstelle
         verbraucherschutz*; wettbewerbszentrale; anzeige erstatten|erstatte; strafanzeige; mahnbescheid
         mein|meine|meinen|meinem|meiner|unser|unsere|unseren|unserem ~1 anwalt|anwaltin|rechtsanwalt|rechtsanwaltin|anwalte|anwaltskanzlei
         anwalt|anwaltin|rechtsanwalt|rechtsanwaltin ~3 einschalten|einschalte|nehmen|beauftragen|beauftrage|ubergeben|geben
         schalte|schalten|nehme|gebe|ubergebe ~4 anwalt|anwaltin|rechtsanwalt|rechtsanwaltin
         mandant|mandantin|mandanten|mandantschaft; vertrete ~2 herrn|frau|firma",
    ),
    (DE, Cue::LegalWord, "anwalt*; rechtsanwalt*; gericht; gerichte; amtsgericht; landgericht; justiz; juristisch*; illegal; rechtswidrig; gesetzwidrig"),
    (
        FR,
        Cue::Legal,
        "porter plainte; deposer ~2 plainte; plainte ~3 dgccrf|police|gendarmerie|tribunal|aupres|contre
         poursuivre|poursuites ~3 justice|judiciaires; en justice; cnil; huissier; proces; mise en demeure
         mets|mettrai en demeure; dgccrf; ufc; que choisir; association de consommateurs; mediateur
         protection des consommateurs; action en justice; assigner; assignation; injonction de payer
         engager|engage|engagerai|lancer|lance ~3 procedure|poursuites|action
         mon|notre|mes avocat|avocate|avocats
         prendre|consulter|contacter|appeler|mandater|saisir|prends|prendrai ~2 un|une|mon? avocat|avocate
         saisir|saisis|saisirai|saisirons|saisi ~3 tribunal|justice|mediateur|juge|dgccrf
         transmets|transmettre|transmettrai|confie|confier|confierai ~4 avocat|avocate|justice|tribunal
         mon client|cliente; represente ~2 m|mme|monsieur|madame|societe; au nom de mon client|cliente",
    ),
    (FR, Cue::LegalWord, "avocat*; tribunal; tribunaux; juridique*; judiciaire*; juge; juriste; illegal; illegale; illicite"),
    (
        PT,
        Cue::Legal,
        "processar; processo ~3 contra|tribunal|judicial; acao judicial; procon; deco; livro de reclamacoes
         portal da queixa; reclame aqui; defesa do consumidor; cnpd; asae; consumidor gov
         queixa ~3 deco|asae|procon|policia|tribunal|entidade|autoridade|contra
         meu|minha|nosso|nossa|meus ~1 advogad*; contratar|consultar|procurar|chamar ~3 um|uma|meu? advogad*; falar com ~2 advogad*
         por|levar|meter ~4 em|a|ao tribunal; vias legais|judiciais
         tratar ~2 advogad*; julgado de paz; injuncao
         meu cliente|minha cliente; represento ~2 sr|sra|senhor|senhora|empresa; em nome do meu cliente",
    ),
    (PT, Cue::LegalWord, "advogad*; tribunal; tribunais; justica; judicial; juiz; ilegal"),
    (
        IT,
        Cue::Legal,
        "fare causa; faro causa; faccio causa; faremo causa; causa legale; vie legali; azioni legali; azione legale
         denunci*; codacons; altroconsumo; agcm; antitrust; associazione ~2 consumatori; giudice di pace
         mio|nostro ~1 avvocato|avvocata|legale; mia|nostra ~1 avvocata|legale
         rivolgermi|rivolgero|rivolgo|rivolgerci|rivolgeremo|contattare|contattero|consultare|sentire ~3 un|una|al|mio? avvocat*|legale|giudice|tribunale
         passa|passo|passero|affido|affidero ~4 avvocat*|legale|legali; portare|portero|porto ~4 in tribunale
         mio cliente|assistito; mia cliente|assistita; rappresento ~2 sig|sigra|signor|signora|societa
         per conto del mio|della mia cliente|assistito|assistita",
    ),
    (IT, Cue::LegalWord, "avvocat*; tribunale; tribunali; legale; giudice; illegale"),
    (
        NL,
        Cue::Legal,
        "juridische stappen; rechtszaak; naar|bij de rechter; aanklag*; aangifte ~3 tegen|doen|gedaan
         autoriteit persoonsgegevens; consumentenbond; acm; geschillencommissie; consuwijzer; juridisch loket
         mijn|onze advocaat|advocate|advocaten|jurist; advocaat|jurist ~3 inschakelen|in|nemen|bellen
         schakel|neem|bel ~3 advocaat|jurist; dagvaard*; deurwaarder; incassobureau
         mijn client|clienten|clienten; sta ~2 de heer|mevrouw bij; namens mijn client",
    ),
    (NL, Cue::LegalWord, "advocaat; advocaten; rechtbank; rechter; juridisch*; jurist; illegaal; onrechtmatig"),
];

/// Legal look-alikes: the customer's own life, food, sport, street-legal parts. A masked cue blocks only hits
/// it overlaps.
pub(crate) const LEGAL_MASKS: &Table<Option<Cue>> = &[
    (
        EN,
        None,
        "lawyer|attorney|solicitor friend|friends|colleague|buddy|mate|neighbour|neighbor
         friend|friends|colleague ~3 lawyer|attorney|solicitor ~6 recommend*|told|said; i am a lawyer|attorney
         as a lawyer|attorney; food|tennis|basketball|squash court; court yard; sue from|at|in|was|is|has|helped
         thanks|thank|thx|cheers ~2 sue; street|road|track|trail legal; complaint to the|a? manager|hotel|shop|store|staff
         am|is|s|was|are|be a|an? lawyer|attorney|solicitor|barrister|judge|paralegal|magistrate|clerk
         work|works|working as a|an? lawyer|attorney|solicitor|barrister|judge|paralegal|magistrate|clerk
         am|is|s|was|are a|an ~2 lawyer|attorney|solicitor|barrister|judge|paralegal|magistrate
         as a|an? lawyer|attorney|solicitor|barrister|judge|paralegal|magistrate
         law firm|student|students|school|degree|office; legal secretary|aid|assistant|department of|pad|pads|size
         court date|dates|hearing|hearings|clerk|usher|reporter|appearance|house; courthouse; law courts
         work|works|working at|in ~1 court|courts; jury service|duty
         i|we ~3 be|am|are|was|were in|at court
         hearing|trial|testify|testifying|witness|jury|juror|summons|summoned ~5 court|courts
         court ~4 hearing|trial|witness|jury",
    ),
    (
        ES,
        None,
        "amigo|amiga|cunado|cunada|primo|prima|hermano|hermana|vecino|vecina|companero|companera ~1 abogado|abogada|juez|jueza
         soy ~2 abogado|abogada|juez|jueza|fiscal|procurador|procuradora|notario|notaria; alta|mucha|gran demanda; demanda ~2 alta; soy|es|eres|era abogado|abogada|juez|jueza|fiscal|procurador|procuradora
         como abogado|abogada|juez|jueza|procurador|procuradora; despacho de abogados
         trabajo|trabaja|estoy|paso|tengo ~3 juzgado|juzgados|tribunal|tribunales|juicio
         testigo|declarar|testificar ~4 juzgado|juzgados|tribunal|tribunales|juicio",
    ),
    (
        PT,
        None,
        "amigo|amiga|cunhado|cunhada|primo|prima|irmao|irma|vizinho|vizinha|colega ~1 advogado|advogada|juiz|juiza
         sou ~2 advogado|advogada|juiz|juiza|procurador|procuradora|solicitador|solicitadora|notario|notaria; processo de|do|da; sem queixa|queixas; justica seja feita
         sou|e|era advogado|advogada|juiz|juiza|procurador|procuradora; como advogado|advogada|juiz|juiza
         escritorio de advogados; trabalho|trabalha|estou|esta|passo|passa ~3 no|nos tribunal|tribunais
         testemunha|testemunhar|audiencia ~4 tribunal|tribunais",
    ),
    (
        IT,
        None,
        "amico|amica|cognato|cognata|cugino|cugina|fratello|sorella|vicino|vicina|collega ~1 avvocato|avvocata|giudice
         sono ~2 avvocato|avvocata|giudice|magistrato|notaio|notaia; a causa|per causa; denuncia di smarrimento; sono|e|ero un|una? avvocato|avvocata|giudice|magistrato
         come avvocato|avvocata|giudice; studio legale; lavoro|lavora|sto|sta|sono ~3 in tribunale
         testimone|testimoniare|udienza ~4 tribunale; sede legale; legale rappresentante",
    ),
    (
        FR,
        None,
        "ami|amie|cousin|cousine|frere|soeur|voisin|voisine|collegue ~1 avocat|avocate|juge|huissier
         suis ~2 avocat|avocate|juge|magistrat|magistrate|huissier|notaire|juriste; toast|salade|tartine ~2 avocat|avocats; a l avocat; suis|est|etait avocat|avocate|juge|magistrat|magistrate
         comme avocat|avocate|juge; cabinet d avocats; suis|est|travaille|serai ~2 au tribunal
         temoigner|temoin|audience|jure|convoque|convoquee ~4 tribunal; plaide|plaider; proces verbal",
    ),
    (
        DE,
        None,
        "freund|freundin|schwager|schwagerin|cousin|cousine|bruder|schwester|nachbar|nachbarin|kollege|kollegin ~1 anwalt|anwaltin|rechtsanwalt|rechtsanwaltin|richter|richterin
         befreundete|befreundeter|befreundeten ~1 anwalt|anwaltin|rechtsanwalt|rechtsanwaltin; gerichtet; gerichte; bin|ist|war ~1 anwalt|anwaltin|rechtsanwalt|rechtsanwaltin|staatsanwalt|staatsanwaltin
         bin|ist|war ~1 richter|richterin; als anwalt|anwaltin|rechtsanwalt|rechtsanwaltin|staatsanwalt|richter|richterin
         anwaltskanzlei; beim|im|am amtsgericht|landgericht|gericht; gerichtstermin; zeuge|zeugin|aussage ~4 gericht",
    ),
    (
        NL,
        None,
        "vriend|vriendin|zwager|schoonzus|neef|nicht|broer|zus|buurman|buurvrouw|collega ~1 advocaat|rechter|deurwaarder
         bevriende advocaat; ben ~2 advocaat|rechter|griffier|deurwaarder|notaris|jurist; ben|is|was advocaat|rechter|griffier; als advocaat|rechter; advocatenkantoor
         zit|werk|werkt|werkzaam ~3 in|bij de rechtbank; getuig* ~4 rechtbank|rechter",
    ),
];
