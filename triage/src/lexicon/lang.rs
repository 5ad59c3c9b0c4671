//! Language cues: frequent function words and support-domain words (folded), and characters that only some
//! languages use.
//!
//! Words shared by several languages are listed under each; the detector divides their weight. English
//! spellings that fold to the same form ("reservation") are left out of the other languages.

use crate::lang::Lang;

/// Frequent function and domain words per language, folded and space-separated.
pub(crate) const FUNCTION_WORDS: &[(Lang, &str)] = &[
    (
        Lang::En,
        "the and is are you your my i it to of for this that with have has was were please can could would will \
         what when where how do does did not hi hello thanks thank from just me we our be on at an any there they \
         been yet still need want get got help if so but or about know guys which who am im dont cant order orders refund delivery booking room parcel",
    ),
    (
        Lang::Es,
        "el la los las que y es por para con una un mi mis su sus pero no muy hola gracias quiero puedo tengo esta \
         este estoy del al lo me se ya cuando donde como hay han buenas buenos dias necesito todavia nada tambien \
         usted ustedes vuestro vuestra voy vais favor pueden llego desde hace porque sin sobre pedido envio reserva habitacion llega llego llegado tienen teneis tiene quiero factura cuenta contrasena tienda coche ayuda devolucion reembolso cobrado yo alguien hecho sido tarjeta nadie algo ahora aqui mucho todo estoy esta",
    ),
    (
        Lang::De,
        "der die das und ist ich nicht sie mit ein eine einen einem einer den dem des zu auf fur von bei mein meine \
         meiner meinen habe hat wir bitte danke hallo guten tag auch noch schon wie wann wo was kann konnen mochte \
         sind uber aus nach heute mir mich ihr ihre ihnen wurde werden kein keine aber wenn oder jetzt bestellung lieferung rechnung zimmer buchung konto passwort auto hilfe paket ruckerstattung",
    ),
    (
        Lang::Fr,
        "le la les et est je vous pas une un des du pour avec mon ma mes votre vos ce cette qui que ne n j l d c qu \
         sur dans bonjour merci mais tres toujours bien aussi il elle nous au aux ai suis avez etait moi rien \
         pouvez voudrais besoin inutile appeler rappeler commande livraison colis facture chambre compte voiture aide remboursement",
    ),
    (
        Lang::Pt,
        "o os as que nao com uma um meu minha voce voces por para do da dos das no na nos nas ola obrigado \
         obrigada esta estou foi ja ainda quero tenho muito pelo pela mas bom boa tarde dia vosso vossa ao sao eu \
         isso agora tambem so preciso podem vou encomenda pedido entrega fatura quarto reserva conta senha carro ajuda estou tenho posso chegou reembolso num numa dum duma vosso vossos connosco convosco",
    ),
    (
        Lang::It,
        "il lo la gli le che di e non un una per con mi mio mia sono ho ha del della dei delle al alla grazie \
         ciao buongiorno salve vorrei ancora anche ma piu come quando dove questo questa vostro vostra nel nella \
         perche sto molto essere avete potete ordine spedizione consegna fattura camera prenotazione auto aiuto posso rimborso arrivato vi ci gli faccio fatto avete siete",
    ),
    (
        Lang::Nl,
        "de het een en is ik niet van op voor met zijn mijn wij we jullie u uw dat dit er maar nog al ook kan \
         kunnen wil heb hebben bedankt dank hallo goedemorgen goedemiddag graag geen naar wat hoe waar wanneer om \
         te bij aan zijn werd komt bestelling levering pakket factuur kamer boeking reservering auto hulp annuleren medewerker heel erg behulpzaam zeker jullie graag",
    ),
];

/// Characters typical of one language, with the weight each occurrence adds (capped at three occurrences).
pub(crate) const DIACRITICS: &[(Lang, &str, f64)] = &[
    (Lang::Es, "ñÑ¿¡", 1.0),
    (Lang::Es, "áíóú", 0.3),
    (Lang::Pt, "ãõÃÕ", 1.2),
    (Lang::Pt, "çêôá", 0.3),
    (Lang::De, "ßäöüÄÖÜ", 0.8),
    (Lang::Fr, "èêëçœîûù", 0.4),
    (Lang::It, "òìù", 0.5),
    (Lang::It, "è", 0.2),
];
