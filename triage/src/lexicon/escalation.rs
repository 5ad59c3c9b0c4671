//! Escalation cues: legal threats and fraud reports, and the traps that look like them.

use super::Table;
use super::{DE, EN, ES, FR, IT, NL, PT};
use crate::lang::ANY;

/// Kinds of escalation cue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cue {
    /// Lawsuit, lawyer acting for the customer, regulator or consumer-protection complaint.
    Legal,
    /// Fraud on the customer: unauthorised charge, stolen/cloned card, account takeover.
    Fraud,
    /// Phishing or a scam in the shop's name: fraud, but the customer is asking rather than a victim.
    Phishing,
    /// A chargeback or bank dispute, opened or threatened.
    Dispute,
}

/// Escalation cues per language.
pub(crate) const CUES: &Table<Cue> = &[
    (
        EN,
        Cue::Legal,
        "sue; suing; sued; lawsuit; legal action|proceedings|steps|route; take ~2 legal action|steps
         lawyer*; attorney*; solicitor*; court; courts; small claims; trading standards; ombudsman; regulator
         consumer protection|rights|council|agency|association|authority|office|bureau; ftc; cma; ico; bbb
         better business bureau; data protection authority|commissioner|regulator; report you to; class action
         legal advice|counsel|letter|claim; citizens advice; advertising standards; consumer centre|center
         complain|complaint|complaints|report|reporting ~2 to|with ~2 authority|authorities|regulator|ombudsman
         complain|complaint|complaints|report|reporting ~2 to|with ~2 ico|ftc|cma|bbb|council|agency|commission
         cease and desist; legal team|department
         on behalf of my|our client|clients; act|acting for ~2 mr|mrs|ms|miss|dr|client; my client|clients
         represent|representing ~2 mr|mrs|ms|miss|dr|client; solicitor|lawyer|attorney for ~2 mr|mrs|ms|miss|client",
    ),
    (
        EN,
        Cue::Fraud,
        "fraud*; unauthori*; not authori*; never authori*; did|do not authori*
         did not make|place|recognise|recognize; never made|placed|ordered|bought|purchased
         do not recognise|recognize ~3 charge|charges|transaction|payment|purchase|order
         someone|somebody ~4 used|using|use ~2 my ~2 card|account|details|paypal|identity
         someone|somebody ~3 logged|log|accessed|hacked|got ~2 into|in ~2 my? account
         someone|somebody ~3 placed ~3 order ~3 my|without; stolen ~2 card|cards|details|identity|account|paypal
         card|cards ~3 stolen|cloned|compromised|skimmed|copied; cloned; hacked; account ~3 compromised|taken over
         identity theft; i did not do this; was not me; suspicious ~2 charge|transaction|payment
         unknown|unrecognised|unrecognized|mystery ~1 charge|transaction|payment|debit
         someone|somebody ~4 ordered|placed|bought|made ~4 my|without
         someone|somebody ~4 my ~1 card|details|account|identity|paypal|password; spoof*
         victim of ~2 scam|fraud|phishing
         charge|charges|transaction|payment|debit|purchase ~8 not recognise|recognize
         charged|billed|took|taken|debited ~6 did not|never order|ordered|buy|bought|purchase|purchased|book|booked",
    ),
    (
        EN,
        Cue::Phishing,
        "scam*; phishing; phish*; pretending to be; impersonat*; fake ~2 email|emails|sms|text|website|site|link
         fake ~2 message|messages; says it s from you; claims to be from you; is this ~2 legit
         suspicious ~2 email|sms|text|link|message|website; legit or not; is it|this|that legit
         weird|dodgy|strange ~2 site|link|email|text|sms|website|message; is this|it|that ~2 really|actually from
         really from you; did you ~2 send ~3 email|sms|text|message|link; verify|confirm ~4 password|card|details ~3 link",
    ),
    (
        EN,
        Cue::Dispute,
        "chargeback*; charge back; dispute; disputed; disputing; reverse ~3 charge|payment|transaction
         bank|issuer ~5 reverse|reversal|claw|dispute
         call|calling|contact|contacting|ask|asking ~3 bank ~4 reverse|refund|cancel|block|stop|dispute|recall
         reported|reporting ~4 to my bank; reported|reporting ~4 card issuer; bank ~3 investigat*",
    ),
    (
        ES,
        Cue::Legal,
        "demand*; abogad*; acciones|via|medidas legales|judiciales; via judicial; juzgado; tribunal*; denuncia*
         oficina ~3 consumidor|consumo; reclamacion|denuncia|queja ~3 consumo|consumidor*; omic; facua; ocu; hoja|libro de reclamaciones
         mi cliente|clienta; represento a; en representacion de",
    ),
    (
        ES,
        Cue::Fraud,
        "fraude*; fraudulent*; no autoriz*; nunca autorice; sin mi autorizacion; que no hice; que yo no hice
         no reconozco; tarjeta ~3 robada|clonada|robaron|clonaron; hackearon|hackeado|hackeada|pirateado|pirateada
         alguien ~4 uso|usado ~2 mi|mis; alguien ~6 mi|mis ~1 tarjeta|cuenta|datos; yo no he sido; no fui yo
         victima de ~2 estafa|fraude|timo",
    ),
    (
        ES,
        Cue::Phishing,
        "estafa*; timo; suplantacion; phishing; falso|falsa ~2 correo|sms|mensaje|web; es ~2 de ustedes|vosotros
         lo habeis enviado; es real ~2 correo|mensaje|sms",
    ),
    (ES, Cue::Dispute, "contracargo; disputa ~3 banco; reclamar|reclamare ~3 banco; anular ~3 cargo ~3 banco"),
    (
        DE,
        Cue::Legal,
        "anwalt*; rechtsanwalt*; anwaltlich*; verklag*; klage; klagen; rechtliche schritte; vor|zum gericht
         gerichtlich*; amtsgericht; landgericht; datenschutzbehorde; datenschutzbeauftragte*
         verbraucherzentrale; schlichtungsstelle; verbraucherschutz; anzeige erstatten|erstatte; strafanzeige
         mandant|mandantin|mandanten|mandantschaft; vertrete ~2 herrn|frau|firma",
    ),
    (
        DE,
        Cue::Fraud,
        "betrug*; betruger*; nicht autorisiert; unautorisiert; nicht genehmigt; ohne meine zustimmung; gestohlen*
         geklont; gehackt; nicht getatigt; nicht veranlasst; nicht kenne; nicht erkenne; nie ~3 bestellt
         unbekannte abbuchung|zahlung|belastung
         jemand ~6 meiner|meine|meinem ~2 karte|kreditkarte|konto|daten; das war ich nicht; opfer ~3 betrug*",
    ),
    (
        DE,
        Cue::Phishing,
        "phishing; gefalscht*; betrugsmasche; falsche ~2 e|mail|sms|nachricht; ist das ~3 von ihnen|euch",
    ),
    (
        DE,
        Cue::Dispute,
        "ruckbuchung*; zuruckbuchen; zuruckbuchen lassen; lastschrift ~3 zuruck*|widerruf*; chargeback
         widerspruch ~3 bank|lastschrift; bank ~4 zuruckholen|zuruckbuchen|widersprechen",
    ),
    (
        FR,
        Cue::Legal,
        "avocat*; porter plainte; deposer ~2 plainte; plainte ~3 dgccrf|police|gendarmerie|tribunal|aupres
         poursuivre|poursuites ~3 justice|judiciaires; en justice; tribunal; cnil; huissier
         proces; mise en demeure; dgccrf; ufc; que choisir; association de consommateurs; mediateur
         protection des consommateurs; action en justice; mon client|cliente; represente ~2 m|mme|monsieur|madame|societe
         au nom de mon client|cliente; mets en demeure",
    ),
    (
        FR,
        Cue::Fraud,
        "fraude*; frauduleu*; non autorise*; pas autorise*; jamais autorise*; volee; clonee; pirate; piratee
         usurpation; que je n ai pas faite|fait|effectue*; quelqu un ~6 ma|mon|mes ~1 carte|compte|donnees
         ce n est pas moi; victime ~3 fraude|arnaque",
    ),
    (
        FR,
        Cue::Phishing,
        "arnaque*; escroquerie*; hameconnage; phishing; faux ~2 mail|sms|message|site; est ce ~2 bien vous|de vous
         vient ~2 de vous",
    ),
    (
        FR,
        Cue::Dispute,
        "retrofacturation; faire opposition; opposition; contester ~4 banque; litige ~3 banque; chargeback",
    ),
    (
        PT,
        Cue::Legal,
        "advogad*; processar; processo; acao judicial; tribunal; justica; procon; deco; livro de reclamacoes
         portal da queixa; reclame aqui; defesa do consumidor; cnpd; asae; consumidor gov
         queixa ~3 deco|asae|procon|policia|tribunal|entidade|autoridade; meu cliente|minha cliente
         represento ~2 sr|sra|senhor|senhora|empresa; em nome do meu cliente",
    ),
    (
        PT,
        Cue::Fraud,
        "fraude*; nao autoriz*; nunca autorizei; nao reconheco; que eu nao fiz; que nao fiz; roubado; roubada
         clonado; clonada; hackead*; invadid*; alguem ~6 meu|meus|minha ~1 cartao|dados|conta; nao fui eu
         vitima de ~2 golpe|fraude|burla",
    ),
    (
        PT,
        Cue::Phishing,
        "golpe*; burla*; phishing; falso|falsa ~2 email|sms|mensagem|site; e ~2 de voces|mesmo de voces; foram voces",
    ),
    (PT, Cue::Dispute, "contestar ~4 banco|cartao; chargeback; estorno ~3 banco|cartao; disputa"),
    (
        IT,
        Cue::Legal,
        "avvocat*; fare causa; faro causa; causa legale; vie legali; azioni legali; azione legale; tribunale
         denunci*; codacons; altroconsumo; agcm; associazione ~2 consumatori; giudice di pace
         mio cliente|assistito; mia cliente|assistita; rappresento ~2 sig|sigra|signor|signora|societa
         per conto del mio|della mia cliente|assistito|assistita",
    ),
    (
        IT,
        Cue::Fraud,
        "frode*; fraudolent*; non autorizzat*; mai autorizzato; che non ho fatto; rubata; clonata; hackerato
         qualcuno ~6 mia|miei|mio ~1 carta|dati|account; non sono stato|stata io; vittima di ~2 truffa|frode
         hackerata",
    ),
    (
        IT,
        Cue::Phishing,
        "truffa*; phishing; falso|falsa ~2 email|sms|messaggio|sito; e ~2 vostro|vostra; arriva ~2 da voi
         siete stati voi",
    ),
    (IT, Cue::Dispute, "contest* ~3 addebito|pagamento; chargeback; disconosc*"),
    (
        NL,
        Cue::Legal,
        "advocaat; juridische stappen; rechtszaak; naar|bij de rechter; rechtbank; aanklag*
         autoriteit persoonsgegevens; consumentenbond; acm; geschillencommissie
         consuwijzer; juridisch loket; mijn client|clienten|clienten; sta ~2 de heer|mevrouw bij
         namens mijn client",
    ),
    (
        NL,
        Cue::Fraud,
        "fraude; niet geautoriseerd; zonder toestemming; gestolen; gekloond; gehackt; die ik niet heb gedaan
         onbekende afschrijving; iemand ~6 mijn ~1 creditcard|kaart|gegevens|account; dat was ik niet
         slachtoffer ~3 oplichting|fraude",
    ),
    (NL, Cue::Phishing, "oplichting; oplichter*; phishing; nepmail; valse ~2 mail|sms|website; is dit ~2 van jullie|echt"),
    (NL, Cue::Dispute, "terugboek*; storneren; stornering; betwist* ~3 bank|creditcard; chargeback"),
];

/// Masks: mentions that do not threaten or report.
pub(crate) const MASKS: &Table<Option<Cue>> = &[
    (
        EN,
        Some(Cue::Legal),
        "lawyer|attorney|solicitor friend|friends|colleague|buddy|mate|neighbour|neighbor
         friend|friends|colleague ~3 lawyer|attorney|solicitor ~6 recommend*|told|said; i am a lawyer|attorney
         as a lawyer|attorney; food|tennis|basketball court; court yard; sue from|at|in|was|is|has|helped
         thanks|thank|thx|cheers ~2 sue
         street|road|track legal; complaint to the|a? manager|hotel|shop|store|staff
         am|is|was|are|be a|an? lawyer|attorney|solicitor|barrister|judge|paralegal|magistrate
         as a|an? lawyer|attorney|solicitor|barrister|judge|paralegal|magistrate
         law firm|student|students|school|degree|office; legal secretary|aid|assistant|department of
         court date|dates|hearing|hearings|clerk|usher|reporter|appearance; courthouse; law courts
         work|works|working at|in ~1 court|courts; jury service|duty",
    ),
    (
        EN,
        Some(Cue::Fraud),
        "stolen car|vehicle|bike|van|wheels|parts|part; car ~3 stolen; hacked off; never ordered|bought ~4 before
         never ordered|bought ~2 from|with|here|online; unauthori* dealer|dealers|reseller|resellers|seller|sellers
         unauthori* repair|repairer|garage|parts|copy|copies; cloned ~1 key|keys|remote|fob",
    ),
    (
        EN,
        Some(Cue::Phishing),
        "price|prices|fee|fees|shipping|cost|costs|charges|delivery ~4 scam|rip; scam ~3 price|prices|fees|shipping",
    ),
    (
        EN,
        Some(Cue::Dispute),
        "dispute ~3 with you|the shop|your team; no dispute; dispute resolution",
    ),
    (
        ES,
        Some(Cue::Legal),
        "alta|mucha|gran demanda; demanda ~2 alta; soy|es|eres|era abogado|abogada|juez|jueza|fiscal
         como abogado|abogada|juez|jueza; despacho de abogados; trabajo|trabaja en ~2 juzgado|juzgados|tribunal",
    ),
    (
        PT,
        Some(Cue::Legal),
        "processo de|do|da; sem queixa|queixas; justica seja feita
         sou|e|era advogado|advogada|juiz|juiza|procurador|procuradora; como advogado|advogada|juiz|juiza
         escritorio de advogados; trabalho|trabalha|estou|esta no tribunal",
    ),
    (
        IT,
        Some(Cue::Legal),
        "a causa|per causa; denuncia di smarrimento; sono|e|ero un|una? avvocato|avvocata|giudice|magistrato
         come avvocato|avvocata|giudice; studio legale; lavoro|lavora|sto|sta in tribunale",
    ),
    (
        FR,
        Some(Cue::Legal),
        "toast|salade|tartine ~2 avocat|avocats; a l avocat; suis|est|etait avocat|avocate|juge|magistrat|magistrate
         comme avocat|avocate|juge; cabinet d avocats; suis|est|travaille au tribunal",
    ),
    (
        DE,
        Some(Cue::Legal),
        "gerichtet; gerichte; bin|ist|war ~1 anwalt|anwaltin|rechtsanwalt|rechtsanwaltin|staatsanwalt|staatsanwaltin
         bin|ist|war ~1 richter|richterin; als anwalt|anwaltin|rechtsanwalt|rechtsanwaltin|staatsanwalt|richter|richterin
         anwaltskanzlei; beim|im|am amtsgericht|landgericht|gericht; gerichtstermin",
    ),
    (
        NL,
        Some(Cue::Legal),
        "ben|is|was advocaat|rechter|griffier; als advocaat|rechter; advocatenkantoor
         zit|werk|werkt|werkzaam ~3 in|bij de rechtbank",
    ),
    (ANY, Some(Cue::Fraud), "car|auto|coche|voiture|carro|macchina|wagen|fahrzeug ~4 stolen|robado|gestohlen|vole|volee|gestolen|roubado|rubata"),
];
