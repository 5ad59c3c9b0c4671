//! Category cues in Spanish, German, French, Portuguese, Italian and Dutch (folded, see `categories`).

use super::categories::Cue;
use super::Table;
use crate::lang::LangMask;

const ES: LangMask = 1 << 1;
const DE: LangMask = 1 << 2;
const FR: LangMask = 1 << 3;
const PT: LangMask = 1 << 4;
const IT: LangMask = 1 << 5;
const NL: LangMask = 1 << 6;

/// Non-English category cues.
pub(crate) const CUES: &Table<Cue> = &[
    (
        ES,
        Cue::Orders,
        "seguimiento; donde esta|estan mi|mis|el pedido|pedidos|paquete|compra; estado de|del mi? pedido
         pedido ~3 no|todavia|aun|sigue|retrasado|incompleto|perdido|equivocado; envio; envios; enviado; enviaron
         entrega; entregado; entregar; repartidor; mensajero; transportista; correos; seur; mrw; aduana; paquete
         retraso; retrasado; incompleto; faltan; falta ~3 pieza|piezas|articulo|producto; danado; danada
         llego|llegaron|vino ~2 roto|rota|danado|mal|equivocado|incompleto; equivocado; cambiar ~3 direccion
         modificar ~3 pedido; esperando ~2 pedido|paquete; no he recibido; haceis|hacen envios",
    ),
    (ES, Cue::Arrive, "llego; llegado; llegaron; llega; llegan; llegar; llegue; recibido"),
    (
        ES,
        Cue::Returns,
        "devol*; devuelv*; devuelto; reembols*; cambiar ~3 por; cambio por; sustitu*; reemplaz*; garantia
         enviar|envien|mandar|manden ~3 correcto|correcta|otro|otra|nuevo|nueva; me lo|la|los|las cambien|cambies
         cambiarmelo; cambiarmela",
    ),
    (ES, Cue::Cancel, "cancel*; anular; anulen; anulacion"),
    (
        ES,
        Cue::Billing,
        "factura*; recibo; cobr*; cargo; cargos; pago*; pagar; pague; pagado; precio*; coste; costo; cuanto cuesta
         cuesta; descuento*; cupon; codigo promocional; codigo de descuento; iva; tarifa*; tarjeta; transferencia; importe
         comision; presupuesto; mas barato; caro",
    ),
    (
        ES,
        Cue::Inventory,
        "stock; en stock; existencias; compatib*; sirve|sirven|vale|valen para; agotado*; repon*; referencia
         cuando vuelve*; no corresponde|coincide ~3 coche|modelo|vehiculo",
    ),
    (ES, Cue::Avail, "disponib*; tienen; teneis; tendran; tendrian; hay ~3 disponible"),
    (
        ES,
        Cue::Account,
        "iniciar sesion; inicio de sesion; acceder|entrar ~3 cuenta; contrasena; usuario; mi cuenta; perfil
         cuenta ~3 bloqueada|hackeada|eliminar|borrar|cerrar|crear|acceso; eliminar|borrar|cerrar ~3 cuenta
         boletin; newsletter; darme de baja; suscripcion; correo electronico; cambiar ~3 correo|email
         datos personales; mis datos; rgpd; lopd",
    ),
    (ES, Cue::Technical, "error #; # error; da|dando|sale|aparece|salta ~3 error; no carga; pantalla en blanco; bug; se cuelga"),
    (ES, Cue::TechWeak, "error; errores; fallo; falla; no funciona; se bloquea; no me deja; no abre; no carga"),
    (ES, Cue::Digital, "web; pagina; sitio; app; aplicacion; navegador; boton; enlace; carrito; online; en linea"),
    (
        ES,
        Cue::Booking,
        "reserva*; reservar; reservado; habitacion*; check in; check out; noche; noches; huesped*; recepcion
         recepcionista; llegada; salida tardia; alojamiento; suite; llegamos; llegaremos; vamos a llegar",
    ),
    (ES, Cue::Stay, "estancia; alojarnos; alojamos; quedarnos; nos quedamos; hospedamos; hospedarnos"),
    (ES, Cue::Hotel, "hotel; hostal"),
    (
        DE,
        Cue::Orders,
        "bestellung ~3 nicht|noch|immer|fehlt|unvollstandig|verloren|beschadigt|falsch|verspatet|unterwegs
         wo bleibt; wo ist meine|mein|die|das ~2 bestellung|paket|lieferung; status ~2 bestellung; lieferung
         lieferungen; liefern; lieferzeit; lieferdatum; liefertermin; lieferadresse; lieferstatus; geliefert
         versand*; versendet; verschickt; paket; sendung*; tracking*; zusteller; spediteur; zoll; unterwegs
         beschadigt; fehlt; fehlen; unvollstandig; falsche ~2 teil|artikel|teile|grosse
         bestellung ~3 andern; noch nicht erhalten|bekommen; nicht erhalten",
    ),
    (DE, Cue::Arrive, "angekommen; ankommen; kommt ~3 an; eingetroffen"),
    (
        DE,
        Cue::Returns,
        "rucksendung; rucksenden; zurucksenden; zuruckschicken; zuruckgeben; ruckgabe; retour*; umtausch*
         erstatt*; ruckerstatt*; geld zuruck; gutschrift; ersatz; ersetzen; austausch*; widerruf; reklamation
         garantie",
    ),
    (DE, Cue::Cancel, "storn*"),
    (
        DE,
        Cue::Billing,
        "rechnung*; quittung; beleg; abgebucht; abbuchung; belastet; zahlung*; bezahlt; bezahlen; zahlen; preis*
         kosten; kostet; rabatt*; gutschein*; mwst; mehrwertsteuer; ust; umsatzsteuer; kreditkarte; uberweisung
         lastschrift; doppelt; berechnet; gebuhr*; tarif*; teurer; gunstiger; angebot",
    ),
    (
        DE,
        Cue::Inventory,
        "auf lager; lager*; vorratig; passt|passen ~3 auf|fur|zu|in|an; kompatib*; ausverkauft; nachschub
         wieder ~2 verfugbar|lieferbar|da; teilenummer",
    ),
    (DE, Cue::Avail, "verfugbar; lieferbar; haben sie; habt ihr"),
    (
        DE,
        Cue::Account,
        "anmelden; anmeldung; einloggen; login; passwort; kennwort; benutzername; kundenkonto; mein konto; profil
         konto ~3 gesperrt|gehackt|loschen|erstellen|zugriff; newsletter; abmelden; e mail adresse ~3 andern
         daten ~3 loschen; dsgvo; personenbezogene daten",
    ),
    (DE, Cue::Technical, "fehler #; fehlermeldung; ladt nicht; zeigt ~3 fehler; bug; sturzt ~2 ab; absturz*"),
    (DE, Cue::TechWeak, "fehler; funktioniert nicht; geht nicht; hangt; kaputt; offnet|startet nicht"),
    (DE, Cue::Digital, "webseite; website; seite; app; onlineshop; browser; kasse; warenkorb; button; link; online"),
    (
        DE,
        Cue::Booking,
        "buchung*; gebucht; buchen; reservierung*; reserviert; reservieren; zimmer; doppelzimmer; einzelzimmer
         nacht; nachte; rezeption; check in; anreise; abreise; gaste; wir kommen",
    ),
    (DE, Cue::Stay, "aufenthalt; ubernachtung*; ubernachtet; ubernachten"),
    (DE, Cue::Hotel, "hotel; pension"),
    (
        FR,
        Cue::Orders,
        "commande ~4 pas|toujours|jamais|retard|perdue|incomplete|abimee|endommagee|arrivee
         ou en? est ma|mon commande|colis; suivi; numero de suivi; livraison*; livrer; ete|etre|sera|est livre
         ete|etre|sera|est livree|livrees|livres; expedition; expedie*; envoye*; colis; transporteur; la poste
         colissimo; chronopost; douane; en retard; retard; endommage*; abime*; casse; cassee; manque; manquant*
         incomplet*; mauvaise piece|reference|taille; modifier ~3 commande; adresse de livraison; livr*
         delai|delais",
    ),
    (FR, Cue::Arrive, "arrive; arrivee; arrives; arrivees; arriver; rien|pas|jamais recu"),
    (
        FR,
        Cue::Returns,
        "retour; retours; retourner; rembours*; echang*; renvoyer; remplacement; remplacer; garantie",
    ),
    (FR, Cue::Cancel, "annul*"),
    (
        FR,
        Cue::Billing,
        "factur*; debite*; prelev*; paiement*; paye; payer; prix; tarif*; cout*; combien ~2 coute; reduction
         remise; code promo; tva; carte bancaire|bleue|credit; carte de credit; virement; frais; montant; devis
         ma|votre carte",
    ),
    (
        FR,
        Cue::Inventory,
        "en stock; stock; compatib*; convient; conviennent; va|vont sur; adapte|adaptee|adaptes a|pour
         monte|montent sur; rupture; epuise*; reapprovisionn*; reference
         correspond ~3 voiture|vehicule|modele",
    ),
    (FR, Cue::Avail, "disponib*; avez vous; vous avez; est ce que vous avez"),
    (
        FR,
        Cue::Account,
        "se connecter; me connecter; connexion; mon compte; mot de passe; identifiant; profil; newsletter; desabonn*; desinscri*
         compte ~3 bloque|pirate|supprim*|cre*|acces|desactiv*; supprimer|fermer|creer|pirate ~3 compte
         adresse ~2 mail|e|email; donnees personnelles; mes donnees; rgpd",
    ),
    (FR, Cue::Technical, "erreur #; ne charge pas; affiche ~3 erreur; page blanche; bug; beug*"),
    (FR, Cue::TechWeak, "erreur; plante; ne fonctionne pas; ne marche pas; bloque; s ouvre pas"),
    (FR, Cue::Digital, "site; page; appli; application; navigateur; bouton; lien; panier; en ligne"),
    (
        FR,
        Cue::Booking,
        "reservation*; reserve; reserver; chambre*; nuit; nuits; nuitee*; check in; arrivee tardive
         heure d arrivee; depart; reception; receptionniste; hebergement; suite; nous arrivons|arriverons",
    ),
    (FR, Cue::Stay, "sejour; sejourne"),
    (FR, Cue::Hotel, "hotel"),
    (
        PT,
        Cue::Orders,
        "pedido|encomenda ~4 nao|ainda|atrasado|atrasada|incompleto|incompleta|perdido|perdida|errado|danificado
         onde esta|anda ~2 encomenda|pedido; entrega; entregue; entregar; envio; enviado; enviaram; rastreamento
         rastreio; codigo de rastreio; transportadora; correios; ctt; alfandega; atrasado; atraso; danificad*
         quebrad*; veio|vieram ~2 errado|partido|quebrado|danificado; faltando; falta ~3 peca|pecas|artigo|item
         incompleto; alterar ~3 pedido|encomenda|morada|endereco; morada de entrega; endereco de entrega
         nao recebi",
    ),
    (PT, Cue::Arrive, "chegou; chegaram; chegar; chega; chegue"),
    (PT, Cue::Returns, "devol*; reembols*; estorno; troca; trocar; substitui*; dinheiro de volta; garantia"),
    (PT, Cue::Cancel, "cancel*; anular"),
    (
        PT,
        Cue::Billing,
        "fatura*; factura*; recibo; nota fiscal; cobr*; pagamento*; pago; pagar; paguei; preco*; custo*
         quanto custa; desconto*; cupom; cupao; codigo promocional; iva; nif; cartao; transferencia; taxa*
         tarifa*; debito; valor",
    ),
    (
        PT,
        Cue::Inventory,
        "estoque; em stock; stock; compativ*; corresponde ~3 carro|modelo|viatura; serve|servem ~2 no|na|para|em; esgotad*; repor; reposicao",
    ),
    (PT, Cue::Avail, "disponiv*; voces tem; vcs tem; tem ~3 disponivel"),
    (
        PT,
        Cue::Account,
        "iniciar sessao; login; entrar ~3 conta; senha; palavra passe; minha conta; perfil; newsletter
         conta ~3 bloqueada|hackeada|invadida|apagar|excluir|criar|acesso|aceder|acessar
         apagar|excluir|eliminar|fechar|criar ~3 conta; descadastr*; cancelar ~2 subscricao|inscricao
         dados pessoais; meus dados; rgpd; lgpd; alterar ~3 email",
    ),
    (PT, Cue::Technical, "erro #; da|dando|deu|aparece|mostra ~3 erro; nao carrega; bug"),
    (PT, Cue::TechWeak, "erro; erros; nao funciona; trava; travando; falha; nao abre; nao carrega"),
    (PT, Cue::Digital, "site; pagina; app; aplicativo; aplicacao; navegador; botao; link; carrinho; online"),
    (
        PT,
        Cue::Booking,
        "reserva*; reservar; reservado; quarto*; noite; noites; diaria*; check in; check out; rececao; recepcao
         hospede*; hospedagem; alojamento; suite; chegada; chegamos; chegaremos",
    ),
    (PT, Cue::Stay, "estadia; estada; hospedar"),
    (PT, Cue::Hotel, "hotel; pousada"),
    (
        IT,
        Cue::Orders,
        "ordine ~4 non|ancora|ritardo|incompleto|perso|sbagliato|danneggiato; dov|dove e ~2 ordine|pacco
         stato ~2 ordine; spedizione; spedito; spedita; consegna; consegnato; consegnata; corriere; pacco
         tracciamento; tracking; dogana; ritardo; in ritardo; danneggiat*; rotto; rotta; manca; mancano
         mancante; incomplet*; sbagliat*; modificare ~3 ordine; indirizzo di consegna|spedizione; brt; sda",
    ),
    (IT, Cue::Arrive, "arrivato; arrivata; arrivati; arriva; arrivare"),
    (IT, Cue::Returns, "reso; resi; restitu*; rimbors*; sostitu*; cambiare ~3 con; soldi indietro; garanzia"),
    (IT, Cue::Cancel, "annull*; disdire; disdetta"),
    (
        IT,
        Cue::Billing,
        "fattur*; ricevuta; scontrino; addebit*; pagament*; pagato; pagare; prezz*; costo; costa; costano; sconto
         coupon; codice sconto; iva; partita iva; carta di credito; bonifico; tariff*; spese; commission*",
    ),
    (
        IT,
        Cue::Inventory,
        "magazzino; in stock; compatib*; corrisponde ~3 auto|macchina|modello; va bene per; adatt* per; esaurit*; torna|tornera disponibile",
    ),
    (IT, Cue::Avail, "disponib*; avete"),
    (
        IT,
        Cue::Account,
        "accedere; accesso; login; password; nome utente; account; profilo; newsletter; disiscriv*
         cancellare ~3 account|dati|iscrizione; dati personali; gdpr",
    ),
    (IT, Cue::Technical, "errore #; da|darmi|dando|dare ~3 errore; non carica; pagina bianca; bug; si blocca"),
    (IT, Cue::TechWeak, "errore; errori; non funziona; crash*; non si apre; si chiude"),
    (IT, Cue::Digital, "sito; pagina; app; applicazione; browser; pulsante; bottone; link; carrello; online"),
    (
        IT,
        Cue::Booking,
        "prenotazion*; prenotat*; prenotare; camera; camere; notte; notti; check in; check out; reception
         ospit*; pernottament*; suite; arrivo",
    ),
    (IT, Cue::Stay, "soggiorno; soggiornato; soggiornare"),
    (IT, Cue::Hotel, "hotel; albergo"),
    (
        NL,
        Cue::Orders,
        "bestelling ~4 niet|nog|vertraagd|kwijt|onvolledig|beschadigd|verkeerd; waar blijft
         waar is mijn ~2 bestelling|pakket; status ~2 bestelling; levering; geleverd; leveren; bezorging; bezorgd
         bezorgen; verzending; verzonden; verzenden; pakket*; track; trace; trackingcode; bezorger; koerier
         postnl; douane; vertraging; vertraagd; beschadigd; ontbreekt; ontbreken; onvolledig
         verkeerd|verkeerde ~2 onderdeel|artikel|maat|product|pakket; bestelling ~3 wijzigen|aanpassen; afleveradres; bezorgadres
         niet ontvangen",
    ),
    (NL, Cue::Arrive, "aangekomen; aankomen; komt ~3 aan; al|nog|niet binnen"),
    (
        NL,
        Cue::Returns,
        "retour*; terugsturen; terug sturen; terugbetal*; geld terug; ruilen; omruilen; vervang*; garantie
         terugstorting",
    ),
    (NL, Cue::Cancel, "annuleer*; annuleren; annulering"),
    (
        NL,
        Cue::Billing,
        "factuur*; bon; bonnetje; afgeschreven; afschrijving; betaling*; betaald; betalen; prijs*; kosten; kost
         hoeveel kost; korting*; kortingscode; btw; creditcard; overschrijving; tarie*; in rekening gebracht
         dubbel ~2 betaald|afgeschreven|gerekend; ideal",
    ),
    (
        NL,
        Cue::Inventory,
        "voorraad; op voorraad; past|passen ~2 op|in|bij|niet; geschikt voor; compatib*; uitverkocht
         weer ~2 leverbaar|beschikbaar",
    ),
    (NL, Cue::Avail, "beschikbaar; leverbaar; hebben jullie; heeft u; hebt u"),
    (
        NL,
        Cue::Account,
        "inloggen; log in; ingelogd; wachtwoord; gebruikersnaam; account; mijn account; profiel; nieuwsbrief
         afmelden; uitschrijven; gegevens ~3 verwijderen|wissen; avg; e mailadres ~3 wijzigen; emailadres ~3 wijzigen",
    ),
    (NL, Cue::Technical, "fout #; foutmelding; laadt niet; bug"),
    (NL, Cue::TechWeak, "fout; storing; werkt niet; crasht; loopt vast; opent niet; start niet"),
    (NL, Cue::Digital, "website; site; pagina; app; webshop; browser; knop; link; winkelwagen; online"),
    (
        NL,
        Cue::Booking,
        "boeking*; geboekt; boeken; reservering*; gereserveerd; reserveren; kamer*; nacht; nachten
         overnachting*; check in; inchecken; uitchecken; uit|in te checken; receptie; gasten; suite",
    ),
    (NL, Cue::Stay, "verblijf; verbleven; verblijven"),
    (NL, Cue::Hotel, "hotel"),
];

/// Non-English masks, scoped like `categories::MASKS`.
pub(crate) const MASKS: &Table<Option<Cue>> = &[
    (
        ES,
        Some(Cue::Returns),
        "devolver|devuelvan|devolverme ~2 llamada",
    ),
    (
        ES,
        Some(Cue::Billing),
        "a cargo; cargo de; no|si|cuando|que|nunca recibo",
    ),
    (
        ES,
        Some(Cue::Account),
        "cuenta bancaria; dinero|reembolso|pago ~5 cuenta",
    ),
    (
        DE,
        Some(Cue::Account),
        "bankkonto; geld|betrag|erstattung|zahlung ~5 konto",
    ),
    (FR, Some(Cue::Returns), "de retour; retour de vol"),
    (
        FR,
        Some(Cue::Account),
        "compte bancaire; argent|remboursement|virement ~5 compte",
    ),
    (
        PT,
        Some(Cue::Account),
        "conta bancaria; dinheiro|reembolso|estorno ~5 conta",
    ),
    (IT, Some(Cue::Billing), "carta di imbarco"),
    (NL, Some(Cue::Arrive), "binnen # uur|dagen|minuten"),
    (
        FR,
        Some(Cue::Arrive),
        "n arrive pas a|de; arrive a|de ~1 me|vous|le|la|les? connecter|modifier|payer|trouver",
    ),
];
