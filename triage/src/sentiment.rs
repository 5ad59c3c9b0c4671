//! Sentiment: weighted positive/negative cues with negation flips, shouting, emojis and sarcasm.

use crate::escalation::Escalated;
use crate::lexicon::handoff::Ask;
use crate::lexicon::sentiment::{Tone, CUES, MASKS};
use crate::lexicon::Lexicon;
use crate::{Message, Sentiment};

const POSITIVE_EMOJI: &[char] = &[
    '😊', '🙂', '😀', '😃', '😄', '😁', '😍', '🥰', '❤', '💙', '💚', '👍', '🙏', '🤘', '🎉', '☺',
    '🤩', '💯',
];
const NEGATIVE_EMOJI: &[char] = &[
    '😡', '😠', '🤬', '😤', '👎', '😞', '😢', '😭', '😒', '💩', '😩', '😫',
];
/// Eye-rolls and slow claps turn praise into sarcasm.
const IRONY_EMOJI: &[char] = &['🙄', '👏', '🙃'];

/// Compiled sentiment lexicons.
pub(crate) struct SentimentRules {
    pub(crate) cues: Lexicon<Tone>,
}

impl SentimentRules {
    pub(crate) fn new() -> Self {
        SentimentRules {
            cues: Lexicon::build(&[CUES], &[MASKS]),
        }
    }

    pub(crate) fn detect(
        &self,
        msg: &Message,
        escalated: Escalated,
        handoff: Option<Ask>,
    ) -> Sentiment {
        let (mut pos, mut neg, mut irony) = (0u32, 0u32, false);
        let mut standalone_praise = false;
        for hit in self.cues.find(&msg.doc, msg.langs) {
            let negated = msg.scope.is_negated(&msg.doc, hit.start, hit.end);
            if matches!(hit.value, Tone::Pos(2)) && is_whole_clause(msg, hit.start, hit.end) {
                standalone_praise = true;
            }
            match hit.value {
                Tone::Irony => irony = true,
                Tone::Pos(w) if !negated => pos += u32::from(w),
                // "not happy", "not great".
                Tone::Pos(w) => neg += u32::from(w),
                // Mild cues are often negative constructions themselves ("not a bot", "toujours pas").
                Tone::Neg(w) if !negated || w == 1 => neg += u32::from(w),
                // "not terrible" is faint praise.
                Tone::Neg(_) => pos += 1,
            }
        }
        let raw = msg.raw;
        pos += count_capped(raw, POSITIVE_EMOJI, 2);
        neg += count_capped(raw, NEGATIVE_EMOJI, 2) * 2;
        irony |= raw.chars().any(|c| IRONY_EMOJI.contains(&c));
        neg += shouting(msg);
        if raw.contains("???")
            || raw.contains("?!")
            || raw.contains("!?")
            || (raw.contains("!!") && pos == 0)
        {
            neg += 1;
        }
        if escalated.hostile {
            neg += 2;
        } else if escalated.defused {
            neg += 1;
        }
        // Asking for a manager or insisting on "a human" is itself a complaint about the service so far.
        if matches!(handoff, Some(Ask::Senior | Ask::Human)) {
            neg += 1;
        }
        // "Great. Just great. Third email and still no answer": a one-word cheer next to real complaints is
        // sarcasm.
        irony |= standalone_praise && neg >= 2;
        if irony && pos > 0 {
            return Sentiment::Negative;
        }
        if neg >= 2 && neg >= pos {
            Sentiment::Negative
        } else if pos >= 2 && pos > neg {
            Sentiment::Positive
        } else {
            Sentiment::Neutral
        }
    }
}

/// Whether tokens `start..end` fill their clause, allowing one softener before ("just great", "oh great").
fn is_whole_clause(msg: &Message, start: usize, end: usize) -> bool {
    let tokens = &msg.doc.tokens;
    let clause = tokens[start].clause;
    let before = tokens[..start]
        .iter()
        .rev()
        .take_while(|t| t.clause == clause)
        .count();
    let ends = tokens.get(end).is_none_or(|t| t.clause != clause);
    ends && (before == 0
        || (before == 1
            && matches!(
                tokens[start - 1].text.as_str(),
                "just" | "oh" | "really" | "so" | "wow"
            )))
}

fn count_capped(text: &str, set: &[char], cap: u32) -> u32 {
    let n = text.chars().filter(|c| set.contains(c)).count();
    u32::try_from(n).unwrap_or(u32::MAX).min(cap)
}

/// All-caps messages shout (2); a few capitalised words in a calm message only emphasise (0 or 1).
fn shouting(msg: &Message) -> u32 {
    let words: Vec<_> = msg
        .doc
        .tokens
        .iter()
        .filter(|t| t.text.chars().all(char::is_alphabetic))
        .collect();
    let shouted = words
        .iter()
        .filter(|t| t.shouted && t.text.len() >= 3)
        .count();
    if words.len() >= 4 && shouted * 2 >= words.len() {
        2
    } else if shouted >= 2 && words.len() >= 4 {
        1
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use crate::{Sentiment, Triager};

    /// The sentiment lexicons' tone; combined with the model's in `combine`, scored end to end by the quality
    /// tests.
    fn sentiment(text: &str) -> Sentiment {
        let t = Triager::default();
        t.findings(&t.prepare(text)).tone
    }

    #[test]
    fn polarity() {
        assert_eq!(
            sentiment("Thank you so much, best customer service I've had in years!"),
            Sentiment::Positive
        );
        assert_eq!(
            sentiment("Do you have the Brembo pads in stock?"),
            Sentiment::Neutral
        );
        assert_eq!(
            sentiment("This is unacceptable, third time I'm writing."),
            Sentiment::Negative
        );
    }

    #[test]
    fn politeness_is_not_praise() {
        assert_eq!(
            sentiment("Können Sie das bitte prüfen? Danke"),
            Sentiment::Neutral
        );
        assert_eq!(
            sentiment("Thanks in advance, what is the price of the kit?"),
            Sentiment::Neutral
        );
    }

    #[test]
    fn negation_flips() {
        assert_eq!(
            sentiment("Honestly not bad at all, the pads fit perfectly."),
            Sentiment::Positive
        );
        assert_eq!(
            sentiment("Not happy with the delivery, not good."),
            Sentiment::Negative
        );
    }

    #[test]
    fn sarcasm_and_shouting() {
        assert_eq!(
            sentiment("Great, the '2-day delivery' is now on day 9. Really impressive work 👏"),
            Sentiment::Negative
        );
        assert_eq!(
            sentiment("WHERE IS MY REFUND??? THIS IS THE THIRD TIME"),
            Sentiment::Negative
        );
    }

    #[test]
    fn each_language() {
        assert_eq!(
            sentiment("Muchas gracias, todo perfecto."),
            Sentiment::Positive
        );
        assert_eq!(sentiment("Das ist eine Frechheit!"), Sentiment::Negative);
        assert_eq!(
            sentiment("Merci beaucoup pour votre aide rapide !"),
            Sentiment::Positive
        );
        assert_eq!(
            sentiment("Adorei o atendimento, muito obrigada!"),
            Sentiment::Positive
        );
        assert_eq!(
            sentiment("È una vergogna, inaccettabile."),
            Sentiment::Negative
        );
        assert_eq!(
            sentiment("Geweldige service, bedankt!"),
            Sentiment::Positive
        );
    }
}
