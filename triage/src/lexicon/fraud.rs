//! Fraud cues: reports told with a fraud word, and the two halves of a report told without one.
//!
//! Customers rarely say "fraud". They say there is a charge they cannot place and that they never ordered
//! anything, or that their password changed and it was not them. Neither half is a report alone ("you charged
//! me for delivery", "I changed my password"), so the halves are separate cues (`Charge` + `NeverDid`,
//! `AccountEvent` + `NotMe`) and `escalation` joins them across the whole message. Clear cues and joined
//! halves are never vetoed by the model; bare words ("stolen", "hacked", "dispute") are.

use super::escalation::Cue;
use super::Table;
use super::{DE, EN, ES, FR, IT, NL, PT};
use crate::lang::ANY;

/// Fraud cues per language.
pub(crate) const FRAUD: &Table<Cue> = &[
    (
        EN,
        Cue::Fraud,
        "fraud*; unauthori*; not authori*; never authori*; did|do not authori*
         did not make|place|recognise|recognize; never made|placed
         do not recognise|recognize ~3 charge|charges|transaction|payment|purchase|order|debit
         someone|somebody ~4 used|using|use ~2 my ~2 card|account|details|paypal|identity
         someone|somebody ~3 logged|log|accessed|hacked|got ~2 into|in ~2 my? account
         someone|somebody ~3 placed ~3 order ~3 my|without; stolen ~2 card|cards|details|identity|account|paypal
         card|cards ~3 stolen|cloned|compromised|skimmed|copied; cloned card; account ~3 compromised|taken|hijacked
         identity theft; i did not do this; was not me; suspicious ~2 charge|transaction|payment|login|activity
         unknown|unrecognised|unrecognized|mystery ~1 charge|transaction|payment|debit|purchase
         someone|somebody ~4 ordered|placed|bought|made ~4 my|without
         someone|somebody ~4 my ~1 card|details|account|identity|paypal|password; spoof*
         victim of ~2 scam|fraud|phishing
         charge|charges|transaction|payment|debit|purchase ~8 not recognise|recognize",
    ),
    (EN, Cue::FraudWord, "hacked; cloned; stolen; compromised; dispute; disputed; disputing; suspicious"),
    (
        EN,
        Cue::Phishing,
        "scam*; phishing; phish*; pretending to be; impersonat*; fake ~2 email|emails|sms|text|website|site|link
         fake ~2 message|messages; says it s from you; claims|claiming to be from you; is this ~2 legit
         suspicious ~2 email|sms|text|link|message|website; legit or not; is it|this|that legit
         weird|dodgy|strange ~2 site|link|email|text|sms|website|message; is this|it|that ~2 really|actually from
         really from you; is this|it|that ~1 really|actually|even you $; did you ~2 send ~3 email|sms|text|message|link; verify|confirm ~4 password|card|details ~3 link",
    ),
    (
        EN,
        Cue::Dispute,
        "chargeback*; charge back; reverse ~3 charge|payment|transaction|debit
         bank|issuer ~5 reverse|reversal|claw|dispute|recall|refund
         call|calling|contact|contacting|ask|asking|told|tell|telling ~3 bank ~4 reverse|refund|cancel|block|stop|dispute|recall|claw
         reported|reporting ~4 to my bank; reported|reporting ~4 card issuer; bank ~3 investigat*
         dispute|disputing|disputed ~4 with|through ~2 my? bank|card|issuer|paypal|visa|mastercard|amex",
    ),
    (
        ES,
        Cue::Fraud,
        "fraude*; fraudulent*; no autoriz*; nunca autorice; sin mi autorizacion|permiso|consentimiento; que no hice; que yo no hice
         no reconozco; tarjeta ~3 robada|clonada|robaron|clonaron|copiada; robaron|clonaron|robado ~3 tarjeta|datos
         alguien ~4 uso|usado|usando ~2 mi|mis; alguien ~6 mi|mis ~1 tarjeta|cuenta|datos; yo no he sido; no fui yo; no he sido yo
         victima de ~2 estafa|fraude|timo; suplantacion de identidad; cuenta ~3 hackeada|pirateada|robada",
    ),
    (ES, Cue::FraudWord, "hackearon; hackeado; hackeada; pirateado; pirateada; robada; robado; clonada; disputa"),
    (
        ES,
        Cue::Phishing,
        "estafa*; timo; suplantacion; phishing; falso|falsa ~2 correo|sms|mensaje|web; es ~2 de ustedes|vosotros
         lo habeis enviado; es real ~2 correo|mensaje|sms; supuestamente ~3 de vosotros|ustedes",
    ),
    (
        ES,
        Cue::Dispute,
        "contracargo; disputa ~3 banco; reclamar|reclamare|reclamado ~3 banco
         banco ~6 anule|anular|anulen|devuelva|devolver|retroceda|retroceder|bloquee|rechace|reclamar
         anular|anule|devolver|retroceder ~4 pago|cargo|cobro ~4 banco",
    ),
    (
        DE,
        Cue::Fraud,
        "betrug*; betruger*; nicht autorisiert; unautorisiert; nicht genehmigt; ohne meine ~1 zustimmung|erlaubnis|einwilligung
         geklont; nicht getatigt; nicht veranlasst; unbekannte abbuchung|zahlung|belastung|buchung
         karte|kreditkarte|bankkarte|ec|girokarte|daten ~4 gestohlen|geklaut|kopiert|geklont|missbraucht
         gestohlen*|geklaut* ~3 karte|kreditkarte|bankkarte|daten
         jemand ~6 meiner|meine|meinem ~2 karte|kreditkarte|konto|daten; das war ich nicht; war nicht ich; opfer ~3 betrug*
         konto ~3 gehackt|ubernommen|missbraucht; identitatsdiebstahl",
    ),
    (DE, Cue::FraudWord, "gestohlen*; geklaut; gehackt; missbraucht*"),
    (
        DE,
        Cue::Phishing,
        "phishing; gefalscht*; betrugsmasche; falsche ~2 e|mail|sms|nachricht; ist das ~3 von ihnen|euch; angeblich ~3 von ihnen|euch",
    ),
    (
        DE,
        Cue::Dispute,
        "ruckbuchung*; zuruckbuchen; zuruckbuchen lassen; lastschrift ~4 zuruck*|widerruf*|widersprech*; chargeback
         widerspruch ~3 bank|lastschrift; bank ~6 zuruckholen|zuruckbuchen|widersprechen|stornieren|zuruckfordern|ruckgangig",
    ),
    (
        FR,
        Cue::Fraud,
        "fraude*; frauduleu*; non autorise*; pas autorise*; jamais autorise*; que je n ai pas faite|fait|effectue*
         quelqu un ~6 ma|mon|mes ~1 carte|compte|donnees|identite; ce n est pas moi; ce n etait pas moi; victime ~3 fraude|arnaque
         carte ~3 volee|clonee|piratee|copiee; vole|pirate|clone|copie ~3 carte|donnees; usurpation ~2 identite
         compte ~3 pirate|piratee|hacke",
    ),
    (FR, Cue::FraudWord, "volee; clonee; pirate; piratee; usurpation; hacke"),
    (
        FR,
        Cue::Phishing,
        "arnaque*; escroquerie*; hameconnage; phishing; faux ~2 mail|sms|message|site; est ce ~2 bien vous|de vous
         vient ~2 de vous; soi disant ~2 part|vous",
    ),
    (
        FR,
        Cue::Dispute,
        "retrofacturation; faire|fais|ferai ~1 opposition; opposition ~4 banque|paiement|prelevement|carte
         contester ~4 banque; litige ~3 banque; chargeback; banque ~6 rembourser|annuler|bloquer|contester",
    ),
    (FR, Cue::FraudWord, "opposition; contester; litige"),
    (
        PT,
        Cue::Fraud,
        "fraude*; nao autoriz*; nunca autorizei; sem ~2 autorizacao|consentimento; nao reconheco; que eu nao fiz; que nao fiz
         cartao ~3 roubado|clonado|copiado; roubaram|clonaram ~3 cartao|dados; alguem ~6 meu|meus|minha ~1 cartao|dados|conta
         nao fui eu; vitima de ~2 golpe|fraude|burla; conta ~3 hackead*|invadid*|pirateada",
    ),
    (PT, Cue::FraudWord, "roubado; roubada; clonado; clonada; hackead*; invadid*; clonaram"),
    (
        PT,
        Cue::Phishing,
        "golpe*; burla*; phishing; falso|falsa ~2 email|sms|mensagem|site; e ~2 de voces|mesmo de voces; foram voces",
    ),
    (
        PT,
        Cue::Dispute,
        "contestar ~4 banco|cartao; chargeback; estorno ~3 banco|cartao
         banco ~6 anular|anule|cancelar|devolver|estornar|reverter|bloquear
         anular|cancelar|reverter|estornar ~4 pagamento|cobranca|transferencia|debito ~4 banco",
    ),
    (PT, Cue::FraudWord, "disputa; contestar"),
    (
        IT,
        Cue::Fraud,
        "frode*; fraudolent*; non autorizzat*; mai autorizzato; che non ho fatto; senza ~2 consenso|autorizzazione|permesso
         carta ~3 rubata|clonata|copiata; rubato|rubata|rubati|clonato|clonata|clonati ~3 carta|dati
         qualcuno ~6 mia|miei|mio ~1 carta|dati|account|conto; non sono stato|stata io; vittima di ~2 truffa|frode
         account ~3 hackerato|violato|rubato",
    ),
    (IT, Cue::FraudWord, "rubata; clonata; hackerato; hackerata; violato"),
    (
        IT,
        Cue::Phishing,
        "truffa*; phishing; falso|falsa ~2 email|sms|messaggio|sito; e ~2 vostro|vostra; arriva ~2 da voi
         siete stati voi",
    ),
    (
        IT,
        Cue::Dispute,
        "contest* ~3 addebito|pagamento; chargeback; disconosc*
         banca ~6 stornare|storno|annullare|bloccare|rimborsare; stornare|storno ~4 pagamento|addebito",
    ),
    (
        NL,
        Cue::Fraud,
        "fraude; niet geautoriseerd; zonder ~2 toestemming; gekloond; die ik niet heb gedaan
         onbekende afschrijving|betaling|transactie; iemand ~6 mijn ~1 creditcard|kaart|pas|bankpas|gegevens|account
         dat was ik niet; was ik niet; slachtoffer ~3 oplichting|fraude
         pas|bankpas|creditcard|kaart|pinpas ~3 gestolen|gekloond|gekopieerd; account ~3 gehackt|overgenomen",
    ),
    (NL, Cue::FraudWord, "gestolen; gehackt; gekloond"),
    (NL, Cue::Phishing, "oplichting; oplichter*; phishing; nepmail; valse ~2 mail|sms|website; is dit ~2 van jullie|echt"),
    (
        NL,
        Cue::Dispute,
        "terugboek*; storneren; stornering; betwist* ~3 bank|creditcard; chargeback
         betaling ~6 terugdraaien|terughalen|tegenhouden|terugboeken|draaien; bank ~6 terugdraaien|terughalen|terugboeken
         bank ~8 terug ~2 boeken|draaien|halen|storten|gestort|geboekt|gedraaid",
    ),
];

/// The halves of a report told without a fraud word. Joined in `escalation`, across the whole message.
pub(crate) const HALVES: &Table<Cue> = &[
    (
        EN,
        Cue::Charge,
        "charged|billed|debited|invoiced me|us|my|our|twice|again|#; been|being|am|is|are|was|were|got|get|getting|have|has|had charged|billed|debited|invoiced
         charge|charges|debit|debits|transaction|transactions|payment|payments ~4 on|from|in|to ~2 my|our ~1 card|account|statement|bank|paypal
         statement; direct debit; taken|took ~3 from my; a charge|debit|payment|transaction of|from; there is a charge|payment|debit|transaction
         billing me|us; charging me|us|my; money ~3 left|gone|taken; took|taken ~1 # ~2 for|from
         charge|charges|payment|payments|debit|debits|transaction ~3 from ~1 you|your",
    ),
    (
        EN,
        Cue::NeverDid,
        "never ~1 ordered|bought|purchased|placed|booked|stayed|shopped|made|heard|been
         did not order|buy|purchase|book|stay|make|place|sign
         have not ordered|bought|purchased|booked|stayed|shopped; no idea what ~3 is|was|for
         do not recognise|recognize; not recognise|recognize; not mine; no order|orders|booking|reservation|account with
         have|has|had not been|stayed ~2 to|in|at|there",
    ),
    (
        EN,
        Cue::AccountEvent,
        "change|changes|update ~3 of|to ~2 password|email|address|details|phone|pin|username
         password|email|mail|address|phone|number|details|pin|username ~4 changed|updated|reset|altered|modified
         changed|updated|altered|modified ~4 my|the ~1 password|email|address|details|phone|pin|username
         login|logins|log|logged|sign|signed|signin|access|accessed ~5 from|overnight|yesterday|night|abroad
         login|signin|sign|log|security ~2 alert|alerts|notification|email|attempt|attempts; new device|devices|location
         locked out; logged out; can not log|get ~2 in|into; someone ~3 logged|log|accessed|access",
    ),
    (
        EN,
        Cue::NotMe,
        "not me; was not i; not by me; i did not ~4 change|do|make|request|ask|log|authorise|authorize|sign|touch|update|reset
         without my ~2 knowledge|permission|consent|authorisation|authorization; i never ~3 changed|logged|requested|asked|reset
         someone|somebody|stranger|strangers|hacker|hackers ~3 changed|logged|accessed|used|got|reset|made|placed|ordered|has|had
         never been ~3 to|in; unknown|unrecognised|unrecognized|strange ~1 device|location|login|phone|computer|address
         do not recognise|recognize; i have never seen; never seen before; another country|city; not mine",
    ),
    (
        ES,
        Cue::Charge,
        "cargo|cargos|cobro|cobros|adeudo|adeudos|recibo; cobrado|cobrasteis|cobraron|cobrandome|cobrada
         extracto; en mi tarjeta|cuenta; de mi tarjeta|cuenta; me han quitado; pago ~4 tarjeta|cuenta|extracto",
    ),
    (
        ES,
        Cue::NeverDid,
        "nunca ~2 comprado|compre|pedido|pedi|reservado|reserve|estado|estuve|hecho|hice; jamas ~2 comprado|pedido|reservado|estado
         no he pedido|comprado|hecho|reservado|estado; no pedi|compre|reserve; ningun pedido|compra|reserva; ninguna compra|reserva
         no reconozco; no se ~2 que es|son|significa; no es mio; no tengo cuenta",
    ),
    (
        ES,
        Cue::AccountEvent,
        "cambio|cambios|modificacion ~3 contrasena|correo|email|direccion|telefono|clave
         contrasena|correo|email|direccion|telefono|clave|datos ~4 cambiad*|modificad*|cambiaron
         cambiado|cambiaron|cambiado|modificado|modificaron ~4 contrasena|correo|email|direccion|telefono|clave
         inicio|iniciado|iniciar ~2 sesion; acceso ~3 desde; accedido|entrado|entrado ~3 cuenta; entrar ~3 cuenta; dispositivo ~2 nuevo|desconocido",
    ),
    (
        ES,
        Cue::NotMe,
        "no he sido yo; no fui yo; no he sido; yo no he ~2 tocado|cambiado|hecho|entrado; yo no he; sin mi ~2 permiso|consentimiento|autorizacion
         alguien ~2 ha|han|habia|hizo|entro|cambio|uso|accedio|compro|hackeo|se; nunca he estado; nunca estuve; desconocid*; no lo he hecho; no lo hice; no reconozco",
    ),
    (
        DE,
        Cue::Charge,
        "abbuchung*; abgebucht; belastung; belastet; lastschrift*; kreditkartenabrechnung; kontoauszug*; abrechnung
         abgezogen; berechnet; buchen|bucht|buchten ~6 ab; auf meiner ~1 karte|kreditkarte|abrechnung|konto; von meinem konto",
    ),
    (
        DE,
        Cue::NeverDid,
        "nie ~2 bestellt|gekauft|gebucht|ubernachtet|gewesen|reserviert; niemals ~2 bestellt|gekauft|gebucht
         nicht bestellt|gekauft|gebucht|reserviert; keine ~1 bestellung|reservierung|buchung|ahnung|kundenkonto
         nicht kenne|erkenne; kenne ich nicht; nichts|nix ~3 bestellt|gekauft",
    ),
    (
        DE,
        Cue::AccountEvent,
        "anderung|anderungen ~4 passwort|kennwort|e|email|adresse|lieferadresse|telefonnummer|zugangsdaten
         passwort|kennwort|e|email|adresse|lieferadresse|telefonnummer|handynummer|zugangsdaten ~4 geandert|geaendert|zuruckgesetzt
         anmeldung|login|einloggen|eingeloggt|angemeldet|zugriff ~4 aus|von|vom|uber; fremde ~1 lieferadresse|adresse|e|email|bestellung|gerat
         neues|unbekanntes gerat; komme nicht mehr ~3 konto|kundenkonto",
    ),
    (
        DE,
        Cue::NotMe,
        "nicht von mir; nicht ich; war ich nicht; ohne mein*; jemand ~4 hat|hatte|ist|habe|anderes|fremdes; fremde*; fremder; nie ~3 gewesen; unbekannt*; die ich nicht kenne; das ich nicht kenne",
    ),
    (
        FR,
        Cue::Charge,
        "prelevement*; preleve*; debit; debite*; facturee|facturees; avez|a|ai|ont|ete ~2 facture|factures; paiement ~3 sur mon|ma; releve
         sur mon compte|releve; sur ma carte; de mon compte; m a ete ~2 debite|preleve|facture; retire|preleve ~3 argent
         paiement|debit|prelevement ~3 chez|de|a ~1 vous|votre",
    ),
    (
        FR,
        Cue::NeverDid,
        "jamais ~1 commande|commandee|commandees|commandes|achete|reserve|sejourne|ete|fait
         rien ~2 commande|achete|reserve; pas commande|achete|reserve|passe|passee|effectue|effectuee; ne reconnais pas; reconnais pas; aucune commande|reservation",
    ),
    (
        FR,
        Cue::AccountEvent,
        "changement|modification ~4 passe|adresse|mail|email|telephone
         passe|adresse|mail|email|telephone ~4 modifie*|change*
         modifie|change|modifiee|changee ~6 passe|adresse|mail|email|telephone; connexion ~4 depuis|inconnu*|appareil|suspect*
         alerte ~2 connexion|securite; appareil inconnu; nouvel appareil; plus acces; plus me connecter",
    ),
    (
        FR,
        Cue::NotMe,
        "pas moi; sans que je; sans mon ~2 accord|autorisation; quelqu un ~2 a|est|s|aurait|avait; inconnu*; jamais ete; ne suis pas ~2 a|en|alle",
    ),
    (
        PT,
        Cue::Charge,
        "debito*; debitado*; cobranca*; cobraram|cobrado|cobrou|cobrada|cobraste|cobraram me; extrato
         pagamento|debito|cobranca ~4 meu|minha|vossa|vosso ~1 cartao|conta|extrato|loja|empresa|hotel
         no meu cartao|extrato|conta; na minha conta; movimento ~3 cartao|conta",
    ),
    (
        PT,
        Cue::NeverDid,
        "nunca ~2 comprei|encomendei|reservei|fiz|estive|fiquei|pedi|usei; nao fiz ~2 compra|encomenda|reserva|nenhuma|nenhum
         nao encomendei|comprei|reservei|pedi; nenhuma ~1 encomenda|compra|reserva; nao reconheco",
    ),
    (
        PT,
        Cue::AccountEvent,
        "alteracao|mudanca|troca ~4 passe|senha|email|mail|morada|endereco|telefone|telemovel
         passe|senha|email|mail|morada|endereco|telefone|telemovel ~4 alterad*|trocad*|mudad*
         alterou|trocou|mudou|alteraram|trocaram|mudaram ~4 palavra|senha|email|mail|morada|endereco|telefone|telemovel
         inicio de sessao; iniciei|iniciou|iniciaram sessao; acesso ~3 de|desde; login ~3 de|desde; entrou|entraram|entrar ~3 conta; codigo ~3 nao pedi",
    ),
    (
        PT,
        Cue::NotMe,
        "nao fui eu; sem ~2 autorizacao|consentimento|permissao; alguem ~2 entrou|alterou|mudou|trocou|usou|acedeu|fez|comprou|tem|teve; nao pedi; desconhecid*; nunca estive; nao fiz",
    ),
    (
        IT,
        Cue::Charge,
        "addebito|addebiti|addebitato|addebitata|addebitati; estratto conto; pagamento|addebito ~4 mio|mia|vostro|vostra|conto|carta; prelievo; prelevat*; sul mio conto|estratto
         sulla mia carta; dalla mia carta|conto; soldi ~3 spariti|presi",
    ),
    (
        IT,
        Cue::NeverDid,
        "mai ~2 comprato|ordinato|prenotato|fatto|stato|stata|acquistato; non ho ordinato|comprato|prenotato|acquistato
         nessun ordine|acquisto; nessuna prenotazione; non riconosco",
    ),
    (
        IT,
        Cue::AccountEvent,
        "cambio|modifica ~4 password|email|mail|indirizzo|telefono
         password|email|mail|indirizzo|telefono ~4 cambiat*|modificat*; cambiato|modificato|cambiata|modificata ~4 password|email|indirizzo
         accesso ~3 da|dalla|dal|dallo; dispositivo ~4 sconosciuto|conosco|nuovo; mail di accesso",
    ),
    (
        IT,
        Cue::NotMe,
        "non l ho ~1 fatto|fatta|chiesto|chiesta|richiesto|richiesta|autorizzato|autorizzata; non sono io
         non sono stato|stata io; non sono stato|stata; senza ~2 permesso|consenso|autorizzazione; qualcuno ~2 ha|e|aveva|abbia; non conosco
         sconosciut*; mai stato|stata",
    ),
    (
        NL,
        Cue::Charge,
        "afschrijving*; afgeschreven; afschrift; in rekening gebracht; van mijn ~1 rekening|creditcard|kaart|pas
         geld ~3 van mijn; incasso; geincasseerd; betaling ~3 op mijn",
    ),
    (
        NL,
        Cue::NeverDid,
        "nooit ~2 besteld|gekocht|gereserveerd|geboekt|geweest|gedaan; niet besteld|gekocht|gereserveerd|geboekt
         niets|niks ~2 besteld|gekocht; geen ~1 bestelling|boeking|reservering; herken ~2 niet; ken ik niet",
    ),
    (
        NL,
        Cue::AccountEvent,
        "wijziging|wijzigingen ~4 wachtwoord|mailadres|emailadres|adres|telefoonnummer
         wachtwoord|mailadres|emailadres|adres|telefoonnummer|e ~4 veranderd|gewijzigd|aangepast
         ingelogd ~4 vanuit|vanaf|uit; inlog|inlogpoging|login ~3 vanuit|vanaf|melding; nieuw apparaat",
    ),
    (
        NL,
        Cue::NotMe,
        "niet zelf; zelf niet; niet gedaan; was ik niet; zonder ~2 toestemming|medeweten; iemand ~3 heeft|had|is|ingelogd; onbekend*; nooit geweest; terwijl ik ~4 in|thuis|sliep|woon",
    ),
];

/// Fraud look-alikes. A masked cue blocks only hits it overlaps.
pub(crate) const FRAUD_MASKS: &Table<Option<Cue>> = &[
    (
        EN,
        None,
        "stolen car|vehicle|bike|van|wheels|parts|part; car ~3 stolen; hacked off; never ordered|bought ~4 before
         never ordered|bought from|with|here|online; unauthori* dealer|dealers|reseller|resellers|seller|sellers
         unauthori* repair|repairer|garage|parts|copy|copies; cloned ~1 key|keys|remote|fob",
    ),
    (
        EN,
        None,
        "price|prices|fee|fees|shipping|cost|costs|charges|delivery ~4 scam|rip; scam ~3 price|prices|fees|shipping",
    ),
    (EN, None, "dispute ~3 with you|the shop|your team; no dispute; dispute resolution"),
    // The customer's own change, or a change made on their behalf, is not a takeover (alone: a takeover needs
    // "not me" or "someone" too, see `escalation`).
    (
        EN,
        None,
        "i ~2 changed|updated|reset|modified|altered my|the; i did ~1 change|update|reset
         husband|wife|partner|son|daughter|colleague|assistant|mum|mom|dad ~3 changed|updated|reset|used|ordered|booked
         someone|somebody from|at|in ~2 your|the ~1 team|staff|shop|store|support|desk|office|hotel|reception
         never ~4 before; first time",
    ),
    (
        ES,
        None,
        "he cambiado|modificado|actualizado; cambie|modifique yo; marido|mujer|pareja|hijo|hija ~3 cambio|ha|uso|compro
         nunca ~4 antes; primera vez",
    ),
    (
        DE,
        None,
        "ich ~4 geandert|zuruckgesetzt|aktualisiert; habe ich ~3 geandert; mann|frau|partner|partnerin|sohn|tochter ~3 geandert|bestellt|benutzt
         noch nie; zum ersten mal; erste mal",
    ),
    (
        FR,
        None,
        "j ai ~3 change|modifie|reinitialise; mari|femme|conjoint|fils|fille ~3 change|modifie|commande|utilise
         premiere fois; jamais ~4 avant",
    ),
    (
        PT,
        None,
        "mudei|alterei|troquei; marido|mulher|filho|filha ~3 mudou|alterou|usou|encomendou; primeira vez; nunca ~4 antes",
    ),
    (
        IT,
        None,
        "ho cambiato|modificato; cambiato io; marito|moglie|figlio|figlia ~3 cambiato|usato|ordinato; prima volta; mai ~4 prima",
    ),
    (
        NL,
        None,
        "ik heb ~3 veranderd|gewijzigd|aangepast; man|vrouw|partner|zoon|dochter ~3 veranderd|gewijzigd|besteld|gebruikt
         eerste keer; nog nooit",
    ),
    (
        ANY,
        None,
        "car|auto|coche|voiture|carro|macchina|wagen|fahrzeug ~4 stolen|robado|gestohlen|vole|volee|gestolen|roubado|rubata",
    ),
];
