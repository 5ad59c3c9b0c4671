//! What a customer message says, by Chatwoot content type: which types the bot may answer, and the text a
//! customer wrote in an e-mail (without the quoted history, the signature or the HTML).

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// Chatwoot's `Message.content_type` (its Rails enum), and whether the pipeline answers a customer message of
/// that type. Chatwoot sends the name as a string; an absent type is `text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentType {
    /// A chat message (web widget, API inbox, WhatsApp, Telegram...).
    Text,
    /// A mail received by an e-mail inbox: `content` holds the decoded mail (quoted history included in recent
    /// Chatwoot versions), `content_attributes.email` the headers, the HTML and `auto_reply`.
    IncomingEmail,
    InputText,
    InputTextarea,
    /// The widget's "leave your e-mail" form.
    InputEmail,
    /// A menu of options a bot or an agent sends.
    InputSelect,
    Cards,
    Form,
    /// A help-center article an agent shares.
    Article,
    /// The satisfaction survey Chatwoot sends on resolution; the rating arrives as `message_updated`.
    InputCsat,
    Integrations,
    Sticker,
    VoiceCall,
    /// A type this version does not know (Chatwoot adds them over time).
    Other,
}

impl ContentType {
    pub fn parse(name: Option<&str>) -> Self {
        match name {
            None | Some("text") => Self::Text,
            Some("incoming_email") => Self::IncomingEmail,
            Some("input_text") => Self::InputText,
            Some("input_textarea") => Self::InputTextarea,
            Some("input_email") => Self::InputEmail,
            Some("input_select") => Self::InputSelect,
            Some("cards") => Self::Cards,
            Some("form") => Self::Form,
            Some("article") => Self::Article,
            Some("input_csat") => Self::InputCsat,
            Some("integrations") => Self::Integrations,
            Some("sticker") => Self::Sticker,
            Some("voice_call") => Self::VoiceCall,
            Some(_) => Self::Other,
        }
    }

    /// Whether a customer message of this type is answered (triage, rules, responder, drafts). Only text the
    /// customer wrote is: the interactive types are the bot's or an agent's own prompts (a contact's choice in
    /// them arrives as `message_updated` of that prompt), a survey rating is a rating, and a sticker, a call or an
    /// integration's card carries no question. Every message is still recorded.
    pub fn is_answerable(self) -> bool {
        matches!(self, Self::Text | Self::IncomingEmail)
    }

    /// Why a customer message of this type gets no answer, for logs and the README's table.
    pub fn not_answered_because(self) -> Option<&'static str> {
        Some(match self {
            Self::Text | Self::IncomingEmail => return None,
            Self::InputText | Self::InputTextarea | Self::InputEmail | Self::InputSelect => {
                "an interactive prompt; the contact's input arrives as message_updated"
            }
            Self::Cards | Self::Form | Self::Article => "rich content sent by a bot or an agent",
            Self::InputCsat => "a satisfaction survey, recorded as a rating",
            Self::Integrations => "an integration's card",
            Self::Sticker => "a sticker",
            Self::VoiceCall => "a call",
            Self::Other => "a content type this version does not know",
        })
    }
}

/// The text the customer wrote in an e-mail: what comes before the quoted history (`On ... wrote:` in the seven
/// triage languages, Outlook's `-----Original Message-----` or `From:`/`Sent:` block, `>` lines) and before the
/// signature (`-- `, "Sent from my ..."), with HTML reduced to text. Falls back to the whole mail when the cut
/// would leave nothing (a reply written below the quote).
///
/// Written here rather than taken from a crate: the Rust ports of email_reply_parser know English headers only.
pub fn email_reply_text(content: &str) -> Cow<'_, str> {
    let text: Cow<'_, str> = if looks_like_html(content) {
        Cow::Owned(html_to_text(content))
    } else {
        Cow::Borrowed(content)
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut kept: Vec<&str> = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        let next = lines.get(i + 1).map_or("", |l| l.trim());
        if starts_quote(trimmed, next) || is_signature(line) {
            break;
        }
        if trimmed.starts_with('>') {
            continue;
        }
        kept.push(line);
    }
    let reply = kept.join("\n").trim().to_owned();
    if !reply.is_empty() {
        return Cow::Owned(reply);
    }
    let unquoted: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| {
            let l = l.trim();
            !l.starts_with('>') && !QUOTE_HEADER.is_match(l)
        })
        .collect();
    Cow::Owned(unquoted.join("\n").trim().to_owned())
}

/// "On Tue, 12 May 2026 at 11:14, Maya <maya@example.org> wrote:" and its translations; mail clients wrap the
/// header, so it may end on the next line.
static QUOTE_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^(
            on\s.+\bwrote:? |
            am\s.+\bschrieb\b.* |
            el\s.+\bescribi[óo]:? |
            le\s.+\ba\s+[ée]crit\s*:? |
            em\s.+\bescreveu:? |
            il\s.+\bha\s+scritto:? |
            op\s.+\b(schreef|geschreven)\b.*
        )$",
    )
    .expect("quote header pattern")
});

/// Outlook and friends put the quoted mail under a separator or a header block instead.
static QUOTE_SEPARATOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(-{2,}\s*(original message|ursprüngliche nachricht|mensaje original|message d'origine|mensagem original|messaggio originale|oorspronkelijk bericht)\s*-{2,}|_{10,})$",
    )
    .expect("quote separator pattern")
});

static HEADER_BLOCK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(from|von|de|da|van)\s*:\s*\S").expect("header block pattern")
});

static SENT_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(sent|gesendet|enviado|envoyé|inviato|verzonden|date|datum|fecha|data)\s*:")
        .expect("sent line pattern")
});

fn starts_quote(line: &str, next: &str) -> bool {
    if QUOTE_SEPARATOR.is_match(line) {
        return true;
    }
    if HEADER_BLOCK.is_match(line) && SENT_LINE.is_match(next) {
        return true;
    }
    if QUOTE_HEADER.is_match(line) {
        return true;
    }
    // A wrapped header: "On Tue, 12 May 2026, Maya <maya@example.org>" then "wrote:".
    let joined = format!("{line} {next}");
    !next.is_empty()
        && line.len() < 200
        && QUOTE_HEADER.is_match(&joined)
        && joined.trim_end().ends_with(':')
}

fn is_signature(line: &str) -> bool {
    static SENT_FROM: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^(sent from my|get outlook for|von meinem .* gesendet|enviado desde mi|envoyé de mon|enviado do meu|inviato da(l mio)?|verzonden (met|vanaf) mijn)\b",
        )
        .expect("signature pattern")
    });
    line == "-- " || line == "--" || SENT_FROM.is_match(line.trim())
}

fn looks_like_html(content: &str) -> bool {
    static TAG: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)<(html|body|div|p|br|span|table|blockquote)\b").expect("tag pattern")
    });
    TAG.is_match(content)
}

/// Enough of HTML to read a mail: block ends become line breaks, quoted blocks and styles are dropped, tags are
/// removed and the common entities decoded.
fn html_to_text(html: &str) -> String {
    static DROPPED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?is)<(style|script|head|blockquote)\b.*?</(style|script|head|blockquote)\s*>")
            .expect("dropped pattern")
    });
    static BREAK: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)<br\s*/?>|</(p|div|li|tr|h[1-6])\s*>").expect("break pattern")
    });
    static TAG: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?s)<[^>]*>").expect("tag pattern"));
    let text = DROPPED.replace_all(html, "");
    let text = BREAK.replace_all(&text, "\n");
    let text = TAG.replace_all(&text, "");
    text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_text_and_email_are_answered_and_every_other_type_says_why() {
        let answered = ["text", "incoming_email"];
        let not_answered = [
            "input_text",
            "input_textarea",
            "input_email",
            "input_select",
            "cards",
            "form",
            "article",
            "input_csat",
            "integrations",
            "sticker",
            "voice_call",
            "something_new",
        ];
        assert!(ContentType::parse(None).is_answerable());
        for name in answered {
            let kind = ContentType::parse(Some(name));
            assert!(kind.is_answerable(), "{name}");
            assert_eq!(kind.not_answered_because(), None, "{name}");
        }
        for name in not_answered {
            let kind = ContentType::parse(Some(name));
            assert!(!kind.is_answerable(), "{name}");
            assert!(kind.not_answered_because().is_some(), "{name}");
        }
        assert_eq!(
            ContentType::parse(Some("something_new")),
            ContentType::Other
        );
    }

    #[test]
    fn the_quoted_history_and_signature_of_a_mail_are_not_the_customers_words() {
        let mail = "Hello,\r\n\r\nI was charged twice for order 4711.\r\nCan you refund one?\r\n\r\n-- \r\nMaya\r\n\r\nOn Tue, 12 May 2026 at 11:14, Acme Support <support@acme.example> wrote:\r\n> Thanks for your order!\r\n> We will ship it soon.\r\n";
        assert_eq!(
            email_reply_text(mail),
            "Hello,\n\nI was charged twice for order 4711.\nCan you refund one?"
        );
    }

    #[test]
    fn quote_headers_are_found_in_every_triage_language_and_when_wrapped() {
        let headers = [
            "On Tue, 12 May 2026, Acme <support@acme.example> wrote:",
            "Am 12.05.2026 um 11:14 schrieb Acme Support <support@acme.example>:",
            "El mar, 12 may 2026 a las 11:14, Acme (<support@acme.example>) escribió:",
            "Le mar. 12 mai 2026 à 11:14, Acme <support@acme.example> a écrit :",
            "Em ter., 12 de mai. de 2026 às 11:14, Acme <support@acme.example> escreveu:",
            "Il giorno mar 12 mag 2026 alle ore 11:14 Acme <support@acme.example> ha scritto:",
            "Op di 12 mei 2026 om 11:14 schreef Acme <support@acme.example>:",
            "-----Original Message-----",
            "-----Ursprüngliche Nachricht-----",
        ];
        for header in headers {
            let mail = format!("Where is my parcel?\n\n{header}\n> Your order shipped.\n");
            assert_eq!(email_reply_text(&mail), "Where is my parcel?", "{header}");
        }
        let wrapped = "Where is my parcel?\n\nOn Tue, 12 May 2026 at 11:14, Acme Support <support@acme.example>\nwrote:\n> Your order shipped.";
        assert_eq!(email_reply_text(wrapped), "Where is my parcel?");
        let outlook = "Please cancel it.\n\nFrom: Acme Support <support@acme.example>\nSent: Tuesday, May 12, 2026 11:14\nSubject: Your order";
        assert_eq!(email_reply_text(outlook), "Please cancel it.");
    }

    #[test]
    fn a_line_that_merely_mentions_writing_is_kept() {
        let mail = "On Monday I wrote to you about my refund and nobody answered.\nPlease help.";
        assert_eq!(email_reply_text(mail), mail);
    }

    #[test]
    fn html_mail_is_read_as_text_without_its_quoted_block() {
        let html = "<html><head><style>p{color:red}</style></head><body><div>Hi,</div><div>my invoice shows the wrong VAT &amp; address.<br>Thanks</div><blockquote>On Mon, Acme wrote: old stuff</blockquote></body></html>";
        assert_eq!(
            email_reply_text(html),
            "Hi,\nmy invoice shows the wrong VAT & address.\nThanks"
        );
    }

    #[test]
    fn a_reply_written_below_the_quote_is_not_lost() {
        let mail = "> Is the part in stock?\nYes, and I need two of them.";
        assert_eq!(email_reply_text(mail), "Yes, and I need two of them.");
        let bottom = "On Tue, Acme wrote:\n> Is the part in stock?\n\nYes, I need two.";
        assert_eq!(email_reply_text(bottom), "Yes, I need two.");
    }
}
