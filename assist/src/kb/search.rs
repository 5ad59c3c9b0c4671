//! Finding the article that answers a customer's message. The message is searched with the text-search
//! configuration of its language (stemming, stop words) among the tenant's articles in that language.
//!
//! Customers write sentences, not keywords, so the query ORs the message's words: requiring all of them (as
//! `plainto_tsquery` does) would match almost nothing. Relevance is PostgreSQL's cover density rank
//! (`ts_rank_cd`, title weighted above body) normalised to 0-1 as rank/(rank+1): one word in a body scores about
//! 0.3, several words in the title and body 0.7 and more. The passage quoted is the article's paragraph that
//! ranks best for the same query.

use deadpool_postgres::GenericClient;

/// The most words of a message used in a query (long messages add noise, not recall).
const MAX_QUERY_WORDS: usize = 64;

/// An article that matched, with its score (0-1) and best paragraph.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hit {
    pub id: String,
    pub title: String,
    pub url: Option<String>,
    pub language: String,
    pub body: String,
    pub score: f64,
    pub passage: String,
}

/// The `limit` best articles of `tenant` in `language` for `text`, best first.
pub async fn search(
    client: &impl GenericClient,
    tenant: &str,
    language: &str,
    text: &str,
    limit: u32,
) -> Result<Vec<Hit>, tokio_postgres::Error> {
    let query = query_words(text);
    if query.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            r"WITH q AS (SELECT to_tsquery(kb_regconfig($2), $3) AS query)
              SELECT a.external_id, a.title, a.url, a.language, a.body,
                     ts_rank_cd(a.search, q.query, 32)::float8 AS score,
                     (SELECT part FROM regexp_split_to_table(a.body, '\n\s*\n') WITH ORDINALITY AS p(part, n)
                      ORDER BY ts_rank_cd(to_tsvector(kb_regconfig(a.language), part), q.query) DESC, n
                      LIMIT 1) AS passage
              FROM kb_articles a CROSS JOIN q
              WHERE a.tenant = $1 AND a.language = $2 AND a.search @@ q.query
              ORDER BY score DESC, a.external_id
              LIMIT $4",
            &[&tenant, &language, &query, &i64::from(limit)],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| Hit {
            id: row.get(0),
            title: row.get(1),
            url: row.get(2),
            language: row.get(3),
            body: row.get(4),
            score: row.get(5),
            passage: unwrap_lines(row.get::<_, Option<&str>>(6).unwrap_or_default()),
        })
        .collect())
}

/// The message's distinct words joined by `|` for `to_tsquery`. Only letters and digits survive, so nothing a
/// customer writes can be read as query syntax; one-character words carry no meaning and are dropped.
pub fn query_words(text: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        if word.chars().count() < 2 {
            continue;
        }
        let word = word.to_lowercase();
        if !words.contains(&word) {
            words.push(word);
        }
        if words.len() == MAX_QUERY_WORDS {
            break;
        }
    }
    words.join(" | ")
}

/// Markdown wraps paragraphs at a fixed width; a chat message should not. List items keep their lines.
fn unwrap_lines(paragraph: &str) -> String {
    let mut out = String::new();
    for line in paragraph.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let list_item = line.starts_with(['-', '*', '+'])
            || line
                .split_once(". ")
                .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if !out.is_empty() {
            out.push(if list_item { '\n' } else { ' ' });
        }
        out.push_str(line);
    }
    out
}

/// The reply quoting `hit`: its title, the relevant passage (cut at `max_chars` on a word boundary) and its URL.
pub fn answer_text(hit: &Hit, max_chars: usize) -> String {
    let mut text = format!("{}\n\n{}", hit.title, shorten(&hit.passage, max_chars));
    if let Some(url) = &hit.url {
        text.push_str("\n\n");
        text.push_str(url);
    }
    text
}

fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    let cut = match cut.rfind(char::is_whitespace) {
        Some(space) if space > cut.len() / 2 => &cut[..space],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end_matches([',', ';', ':', ' ']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_words_are_distinct_lowercase_and_syntax_free() {
        assert_eq!(
            query_words("Hi, I was charged TWICE! (twice?) & don't | !know: ¿Dónde?"),
            "hi | was | charged | twice | don | know | dónde"
        );
        assert_eq!(query_words("? ! a"), "");
    }

    #[test]
    fn passages_are_unwrapped_but_lists_keep_their_lines() {
        assert_eq!(
            unwrap_lines("We refund the\nduplicate charge.\n- first\n- second\n1. one"),
            "We refund the duplicate charge.\n- first\n- second\n1. one"
        );
    }

    #[test]
    fn the_answer_quotes_title_passage_and_url() {
        let hit = Hit {
            id: "a".into(),
            title: "Refunds".into(),
            url: Some("https://x.example/r".into()),
            language: "en".into(),
            body: String::new(),
            score: 0.8,
            passage: "We refund the original payment method within five business days.".into(),
        };
        assert_eq!(
            answer_text(&hit, 1000),
            "Refunds\n\nWe refund the original payment method within five business days.\n\nhttps://x.example/r"
        );
        assert_eq!(
            answer_text(&Hit { url: None, ..hit }, 30),
            "Refunds\n\nWe refund the original…"
        );
    }
}
