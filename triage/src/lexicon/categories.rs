//! Category cues in English, plus language-agnostic cues. Other languages live in `categories_intl`.
//!
//! Cues are not all categories: some only make sense in context (availability is a room or a part, an arrival
//! is a parcel or a guest, a cancellation is a booking or an order); `crate::categories` resolves them.

use super::Table;
use crate::lang::{LangMask, ANY};

pub(crate) const EN: LangMask = 1;

/// What a category pattern says about the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Cue {
    Orders,
    Returns,
    Billing,
    Inventory,
    Account,
    Technical,
    Booking,
    /// "available", "do you have": a room (booking) or a part (inventory), decided by context.
    Avail,
    /// "arrived", "llegó": a parcel (orders) unless a refund, an e-mail or a guest is what arrives.
    Arrive,
    /// "cancel": booking when a stay is involved, otherwise returns (cancelling an order).
    Cancel,
    /// "our stay": booking unless negated ("I never stayed with you").
    Stay,
    /// Words that make an error a website/app error.
    Digital,
    /// Problem words that are technical only next to a digital surface ("error", "not working").
    TechWeak,
    /// A hotel is mentioned: availability questions are about rooms, not parts.
    Hotel,
    /// Car makes and part nouns: availability questions are about parts.
    Product,
    /// "replacement": a return ("send a replacement") unless a part follows ("replacement headlight").
    Replacement,
    /// Subjects that make an arrival something other than a parcel.
    NotParcel,
}

/// English and language-agnostic category cues.
pub(crate) const CUES: &Table<Cue> = &[
    (
        EN,
        Cue::Orders,
        "track*; where is|s|are my|the order|orders|package|parcel|delivery|stuff|parts|item|items|tyres|tires
         order status; status of my|the order; my|the order ~3 not|never|still|yet|late|delayed|stuck|lost|missing
         my|the order ~3 incomplete|damaged|shipped|wrong
         deliver*; shipping; shipped; shipment*; dispatch*; courier*; postman; carrier; customs
         package; packages; parcel; parcels; box ~3 damaged|crushed|smashed|dented|broken|open|opened|wet
         still waiting; waiting for ~2 order|parts|package|parcel|delivery|item|items
         received|got ~3 wrong|damaged|broken|incomplete|smashed|crushed|used|scratched|dented|defective
         update|updates|news ~3 order|delivery|parcel|package; order ~3 update|updates; delivary; delievery
         recieve*; do|does|can you|u ship|deliver; ship|shipping|deliver|delivery to; how long ~4 take; undelivered
         sent|send|shipped ~3 wrong; wrong item|items|part|parts|size|colour|color|one|ones|model
         missing from; missing item|part|items|parts|piece|pieces|bolts|screws
         change|modify|amend|update|edit ~3 order; add ~3 to my|the order; order ~2 change|changed
         lost in transit; lost in the post|mail; damaged in transit|shipping; eta
         not come; not turned|shown|showed up; never came; never turned|showed up
         not here; be here by; get here
         dhl; ups; fedex; dpd; gls; hermes; evri; usps; yodel; parcelforce; royal mail
         part|item|parts|items|size ~2 is|are|was|were ~1 wrong; ordered ~4 ago",
    ),
    (
        EN,
        Cue::Returns,
        "return; returns; returned; returning; refund*; money back; reimburs*; exchange; exchanged; exchanging
         swap; swapped; replace; send ~3 back; take ~3 back; credit note; store credit; rma
         send|ship ~3 new|another|right|correct one|part|ones|parts; send|ship ~3 replacement
         warranty; guarantee; deposit|cash|money ~2 back; owe|owes|owed ~1 me|us; refnd; cancle",
    ),
    (EN, Cue::Replacement, "replacement; replacements"),
    (EN, Cue::Cancel, "cancel; cancelled; canceled; cancelling; canceling; cancellation"),
    (EN, Cue::Arrive, "arrive; arrived; arrives; arriving; not|never received; have not received|got"),
    (
        EN,
        Cue::Billing,
        "invoice*; receipt*; bill; billed; billing; charge; charges; charged; charging; chargeback; overcharg*
         payment*; paid; pay with|by|via|using|for|in; price*; pricing; cost; costs; how much; fee; fees
         discount*; coupon*; promo; voucher*; vat; tax; taxes; transaction*; statement; quote; commission
         rate; rates; credit card; debit card; paypal; klarna; apple pay; google pay; bank transfer; direct debit
         cheaper; expensive; price match; money taken; took my money; double charge*; my card; card details
         card number; click|press|tap ~2 pay; pay button; reciept; invoce; unknown|unrecognised|unrecognized charge",
    ),
    (
        EN,
        Cue::Inventory,
        "in stock; out of stock; back in stock; stock; stocked; restock*; availability; backorder*; back order*
         sold out; discontinued; compatib*; fitment; part number; oem; aftermarket
         will|would|does|do|did|can ~3 fit; fit|fits|fitting my|a|an|on|onto|the|your|with|in|both
         do you|u sell|carry|make; which ~4 do i need; need a|an|some ~5 for a|an|my; looking for a|an|some
         does|do|will|would ~6 work with|on|for; match|matches ~2 my car|vehicle|model|van
         is|are the|this|these|it ~4 dot|oem|genuine|original|refurbished
         avaliable; availible; availabe; suitable for; work|works with my|a|an; take the ~3 inch; correct|right part for; street|road legal
         legal for road|street use; tuv; e marked|approved; homologat*; does|do|did not fit; wrong ~3 for my; pick ~2 up ~3 store|shop|branch|counter",
    ),
    (
        EN,
        Cue::Avail,
        "available; do|does you|u have|stock|do|offer; does your store|shop have; have you got; got any; are there any; any left",
    ),
    (
        EN,
        Cue::Account,
        "log in; login; logging in; logged in|into; log into; sign in; signing in; sign up; password*; username
         pasword; passwrod
         account ~3 locked|blocked|hacked|suspended|deleted|closed|access|settings|details|page|email
         access ~2 account; into my account; hacked ~2 account
         delete|close|remove|deactivate|cancel ~3 account; create|make|open|register ~2 account; profile
         newsletter*; unsubscribe*; marketing email*|emails|mails; mailing list; email address; e mail address
         change|update|new ~3 email|e|phone; personal data; my data; gdpr; two factor; 2fa
         verification code; reset ~2 password|link|email",
    ),
    (
        EN,
        Cue::Technical,
        "bug; bugs; buggy; error code|message; error #; # error|errors; 404 page
         throws|throwing|shows|showing|gives|giving|displays|displaying|get|getting|got ~3 error|errors
         blank|white page|screen; will|does|did not load; not loading; freez*; captcha
         keeps ~2 crashing|freezing|reloading|logging; checkout ~3 error|broken|failing|fails
         site|website|app ~2 down",
    ),
    (
        EN,
        Cue::TechWeak,
        "error; errors; crash*; not working; does|did|do not work; stopped working; broken; down; glitch*
         not exist; invalid; not found; spins; spinning; log|logs|logging me out; every time; not do anything
         does nothing; will|does|did not open|start|launch|respond; forever; nothing happens; not go through; hangs; timed out
         can|could not ~4 log|checkout|pay|complete|add|click|access|open|see|load|order|find
         unable ~4 log|checkout|pay|complete|add|click|access|open|see|load|order|find
         will not let me; reload*; loop; stuck",
    ),
    (
        EN,
        Cue::Digital,
        "system; website; site; web; webpage; web page; page; app; application; checkout; cart; basket; browser; safari
         chrome; firefox; iphone; android; ios; button; link; form; portal; online; login page",
    ),
    (
        EN,
        Cue::Booking,
        "booking; bookings; booked; book a|the|my|our|another? room|rooms|stay|night|nights; reservation*
         reserve ~2 room|rooms; room; rooms; suite; check in; checkin; check out; late|early checkout
         checkout time; # nights|night; night stay; adults; front desk; reception; receptionist
         key card; keycard; room key; no show; late|early arrival; upgrade; balcony; sea view
         double|twin|single|family room; extend ~2 stay; change the dates; room|group rate|rates; my|our|the stay
         before arrival; free cancellation; cancellation fee|policy|fees",
    ),
    (EN, Cue::Stay, "stay; stayed; staying"),
    (
        EN,
        Cue::Hotel,
        "hotel; hotels; hostel; resort; lobby; breakfast; wifi; wi fi; pool; gym; spa; restaurant; bar; pets; pet
         dog; dogs; parking; car park; shuttle; airport transfer; vegan; vegetarian; gluten; halal; towels; lift
         elevator; wheelchair; cot; crib; minibar; air conditioning; rooftop",
    ),
    (
        ANY,
        Cue::Hotel,
        "desayuno; piscina; gimnasio; aparcamiento; mascota*; perro*; vegano*; restaurante; ascensor; fruhstuck
         wlan; schwimmbad; parkplatz*; haustier*; hund; hunde; aufzug; petit dejeuner; piscine; animaux; chien*
         ascenseur; pequeno almoco; cafe da manha; estacionamento; animais; cao; cachorro; elevador; colazione
         palestra; parcheggio; animali; cane; ristorante; ascensore; ontbijt; zwembad; parkeerplaats*; parkeren
         huisdier*; hond; honden; albergo",
    ),
    (
        ANY,
        Cue::Product,
        "lights; light; lamp; lamps; audi; bmw; mercedes; vw; volkswagen; golf; polo; passat; ford; focus; fiesta; opel; vauxhall; astra; corsa
         renault; clio; megane; peugeot; citroen; seat; leon; ibiza; skoda; octavia; fabia; fiat; panda; punto
         toyota; yaris; corolla; honda; civic; nissan; mazda; kia; hyundai; volvo; mini; dacia; suzuki; tesla
         mitsubishi; subaru; jeep; lancia; alfa; chevrolet; dodge; porsche; bosch; brembo; febi; valeo; mann
         pads; brake*; disc*; rotor*; filter*; bulb*; battery; alternator; gearbox; clutch; tyre*; tire*; wiper*
         headlight*; taillight*; mirror*; bumper*; sensor*; spark; plug*; bearing*; pump; relay; exhaust; radiator
         suspension; shock*; strut*; engine; turbo*; cable; belt; hose; coolant; mats; part; parts; spare; kit
         pastilla*; freno*; frein*; brems*; remblok*; remschijf*; remschijv*; pastiglie; pastilha*; filtro*
         bougie*; candel*; zundkerz*; scheinwerfer; faro*; farol*; phare*; koplamp*; pneu*; neumatico*; reifen
         gomme; banden; pieza*; peca; pecas; pezzo; pezzi; piece*; onderdeel*; onderdelen; teil; teile; ersatzteil*
         tergicristall*; escobilla*; limpiaparabrisas; scheibenwischer*; ruitenwisser*; essuie*; ampoule*
         olfilter; oliefilter; bomba; pompe; pumpe; correia; courroie; riemen; amortecedor*; ammortizzator*
         catalytic; converter; dpf; injector*; thermostat*; gasket*; caliper*; hub; wheel; wheels; rim; rims
         bonnet; grille; windscreen; windshield; wiper; horn; fuse; fuses; starter; ecu; towbar; spoiler
         silencer; muffler; manifold; intercooler; condenser; compressor; driveshaft; axle; head unit; stereo
         prius; auris; rav4; jetta; tiguan; touran; transit; ranger; kuga; qashqai; juke; micra; jazz; swift
         sportage; ceed; picanto; tucson; i10; i20; i30; berlingo; kangoo; megane; scenic; captur; duster
         sandero; a3; a4; a6; q3; q5; x1; x3; x5; superb; mk7; mk8; tdi; tdci; hdi; dci; mx5; cx5; outlander",
    ),
    (
        ANY,
        Cue::NotParcel,
        "refund*; money; payment; funds; credit; e mail; email*; mail; code; link; sms; text; message
         confirmation; guests; flight; train; plane; reset*; wachtwoord; password; reembolso; dinero; devolucion
         correo; codigo; enlace; mensaje; erstattung; ruckerstattung; geld; remboursement; argent; virement; lien
         vol; dinheiro; estorno; voo; rimborso; soldi; denaro; codice; volo; terugbetaling
         we|i|us am|are|will|have|were|should|shall|would|ll|re|even|just|finally? arriv*
         llegamos; llegaremos; wir kommen; nous arrivons|arriverons; chegamos; chegaremos; arriviamo; arriveremo
         wij|we komen",
    ),
];

/// Masks, scoped to one cue (`Some`) or to all (`None`).
pub(crate) const MASKS: &Table<Option<Cue>> = &[
    (
        EN,
        Some(Cue::Returns),
        "extended warranty; return flight|trip|journey|visit|ticket; will|would|shall|ll|definitely ~2 return; in return
         returning guest|guests|customer|customers; return the favour|favor; tax return; exchange rate",
    ),
    (
        EN,
        Some(Cue::Billing),
        "in charge; charger; pay attention; rate your|our|us; first rate; tax return; key|room card
         best|great|good|low|lowest|cheap|fair|competitive|amazing price|prices|pricing; what i paid for",
    ),
    (
        EN,
        Some(Cue::Account),
        "bank account; account number; money|refund|funds|payment|credit ~5 account; in|into|to my ~2 account $",
    ),
    (
        EN,
        Some(Cue::Booking),
        "booked me in; book me in; booked ~3 mot|service|appointment|slot|garage|mechanic|track
         garage|mot|service|mechanic|workshop|fitting booking|appointment",
    ),
    (EN, Some(Cue::Inventory), "not work|working on|with|for"),
    (EN, Some(Cue::Arrive), "arrived|came ~4 all good|fine|safely|perfect|ok|great; in one piece"),
    (EN, Some(Cue::Orders), "late check|checkout|arrival; package deal|holiday; track day|days; race track"),
    (EN, Some(Cue::Stay), "stay in touch; stay tuned; stay in place; stay on; stays on"),
    (EN, Some(Cue::TechWeak), "key card|keycard; card stopped working; broken into|down on"),
    (EN, Some(Cue::Digital), "on your end; courier|carrier|their|dhl|ups|dpd|fedex ~2 site|website|app"),
    (
        ANY,
        Some(Cue::Hotel),
        "parking sensor|sensors|brake|light|lights|camera|aid|assist; tow|roof|roll|torsion|sway|light bar|bars
         lift kit|pump; car lift",
    ),
];
