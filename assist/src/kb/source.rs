//! Reading articles from what operators keep them in: a folder of Markdown files with a small front-matter
//! header, or a JSON Lines file (one `{"id","title","body","language","url"}` per line). Errors name the file and
//! line, and nothing is imported from a source with an error.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{normalize_language, Article};

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
}

fn invalid(origin: impl Into<String>, message: impl Into<String>) -> SourceError {
    SourceError::Invalid {
        origin: origin.into(),
        message: message.into(),
    }
}

/// Reads a folder of `*.md` files (not recursive, in name order), a single `.md` file or a `.jsonl` file.
pub fn load(path: &Path) -> Result<Vec<Article>, SourceError> {
    let io = |source| SourceError::Io {
        path: path.to_owned(),
        source,
    };
    let articles = if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(io)?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "md"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(invalid(path.display().to_string(), "no .md files"));
        }
        files
            .iter()
            .map(|file| read_markdown(file))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        match path.extension().and_then(|e| e.to_str()) {
            Some("jsonl") => parse_jsonl(
                &path.display().to_string(),
                &std::fs::read_to_string(path).map_err(io)?,
            )?,
            Some("md") => vec![read_markdown(path)?],
            _ => {
                return Err(invalid(
                    path.display().to_string(),
                    "expected a folder of .md files, a .md file or a .jsonl file",
                ))
            }
        }
    };
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (position, article) in articles.iter().enumerate() {
        if let Some(first) = seen.insert(&article.id, position) {
            return Err(invalid(
                path.display().to_string(),
                format!(
                    "article id `{}` appears twice (articles {} and {})",
                    article.id,
                    first + 1,
                    position + 1
                ),
            ));
        }
    }
    Ok(articles)
}

fn read_markdown(path: &Path) -> Result<Article, SourceError> {
    let text = std::fs::read_to_string(path).map_err(|source| SourceError::Io {
        path: path.to_owned(),
        source,
    })?;
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    parse_markdown(&path.display().to_string(), stem, &text)
}

/// One Markdown article. The optional header between `---` lines holds `key: value` pairs (`id`, `title`,
/// `language`, `url`; other keys are ignored, as other tools put their own there). Without a `title` the first
/// `# heading` is the title; without an `id` the file name (`fallback_id`) is; without a `language`, English.
pub fn parse_markdown(origin: &str, fallback_id: &str, text: &str) -> Result<Article, SourceError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (header, body) = split_front_matter(text);
    let mut fields: HashMap<String, String> = HashMap::new();
    for (number, line) in header.iter() {
        let Some((key, value)) = line.split_once(':') else {
            return Err(invalid(
                format!("{origin}:{number}"),
                "header lines must be `key: value`",
            ));
        };
        fields.insert(
            key.trim().to_ascii_lowercase(),
            unquote(value.trim()).to_owned(),
        );
    }
    let mut body = body.trim().to_owned();
    let title = match fields.remove("title").filter(|t| !t.is_empty()) {
        Some(title) => title,
        None => {
            let heading = body
                .lines()
                .find_map(|l| l.strip_prefix("# "))
                .map(|h| h.trim().to_owned())
                .ok_or_else(|| invalid(origin, "no `title:` in the header and no `# heading`"))?;
            body = body
                .lines()
                .skip_while(|l| l.strip_prefix("# ").map(str::trim) != Some(&heading))
                .skip(1)
                .collect::<Vec<_>>()
                .join("\n")
                .trim()
                .to_owned();
            heading
        }
    };
    let id = fields
        .remove("id")
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| fallback_id.to_owned());
    article(
        origin,
        id,
        title,
        body,
        fields.remove("language").or_else(|| fields.remove("lang")),
        fields.remove("url"),
    )
}

/// The header's lines (with their 1-based line numbers) and the rest.
fn split_front_matter(text: &str) -> (Vec<(usize, &str)>, &str) {
    let mut lines = text.split_inclusive('\n');
    if lines.next().map(str::trim_end) != Some("---") {
        return (Vec::new(), text);
    }
    let mut header = Vec::new();
    let mut offset = text.find('\n').map_or(text.len(), |i| i + 1);
    for (index, line) in lines.enumerate() {
        offset += line.len();
        if line.trim_end() == "---" {
            return (header, &text[offset..]);
        }
        if !line.trim().is_empty() {
            header.push((index + 2, line.trim_end()));
        }
    }
    // An opening `---` without a closing one is a thematic break, not a header.
    (Vec::new(), text)
}

fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner;
        }
    }
    value
}

#[derive(Deserialize)]
struct JsonArticle {
    id: Option<serde_json::Value>,
    title: Option<String>,
    body: Option<String>,
    language: Option<String>,
    url: Option<String>,
}

/// JSON Lines: one object per line; blank lines are skipped. `id` may be a string or a number.
pub fn parse_jsonl(origin: &str, text: &str) -> Result<Vec<Article>, SourceError> {
    let mut articles = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = format!("{origin}:{}", index + 1);
        let raw: JsonArticle =
            serde_json::from_str(line).map_err(|e| invalid(at.as_str(), e.to_string()))?;
        let id = match raw.id {
            Some(serde_json::Value::String(id)) => id,
            Some(serde_json::Value::Number(id)) => id.to_string(),
            _ => return Err(invalid(at, "`id` (string or number) is required")),
        };
        let title = raw
            .title
            .ok_or_else(|| invalid(at.as_str(), "`title` is required"))?;
        let body = raw
            .body
            .ok_or_else(|| invalid(at.as_str(), "`body` is required"))?;
        articles.push(article(&at, id, title, body, raw.language, raw.url)?);
    }
    Ok(articles)
}

fn article(
    origin: &str,
    id: String,
    title: String,
    body: String,
    language: Option<String>,
    url: Option<String>,
) -> Result<Article, SourceError> {
    let id = id.trim().to_owned();
    if id.is_empty() || id.chars().count() > 200 || id.chars().any(char::is_control) {
        return Err(invalid(origin, "`id` must be 1-200 printable characters"));
    }
    let title = title.trim().to_owned();
    if title.is_empty() {
        return Err(invalid(origin, format!("article `{id}`: empty title")));
    }
    let body = body.trim().to_owned();
    if body.is_empty() {
        return Err(invalid(origin, format!("article `{id}`: empty body")));
    }
    let language = match language.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        None => "en".to_owned(),
        Some(raw) => normalize_language(raw).ok_or_else(|| {
            invalid(
                origin,
                format!("article `{id}`: `{raw}` is not a language code (en, es, de-AT...)"),
            )
        })?,
    };
    let url = url.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
    if let Some(url) = &url {
        let parsed = url::Url::parse(url)
            .map_err(|e| invalid(origin, format!("article `{id}`: url `{url}`: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(invalid(
                origin,
                format!("article `{id}`: url `{url}` must be http or https"),
            ));
        }
    }
    Ok(Article {
        id,
        title,
        body,
        language,
        url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_with_a_header() {
        let text = "---\nid: returns\ntitle: \"Returns: how\"\nlanguage: es-ES\nurl: https://x.example/r\ntags: a, b\n---\n\nBody line 1.\n\nBody line 2.\n";
        let article = parse_markdown("r.md", "file-stem", text).expect("parses");
        assert_eq!(
            article,
            Article {
                id: "returns".into(),
                title: "Returns: how".into(),
                body: "Body line 1.\n\nBody line 2.".into(),
                language: "es".into(),
                url: Some("https://x.example/r".into()),
            }
        );
    }

    #[test]
    fn markdown_without_a_header_uses_the_heading_and_the_file_name() {
        let article = parse_markdown("hours.md", "hours", "# Opening hours\n\nMon-Fri 9-17.\n")
            .expect("parses");
        assert_eq!(article.id, "hours");
        assert_eq!(article.title, "Opening hours");
        assert_eq!(article.body, "Mon-Fri 9-17.");
        assert_eq!(article.language, "en");
        assert_eq!(article.url, None);
    }

    #[test]
    fn markdown_errors_name_the_file_and_line() {
        let error = parse_markdown("a.md", "a", "---\ntitle: T\nno colon here\n---\nbody")
            .expect_err("bad header")
            .to_string();
        assert_eq!(error, "a.md:3: header lines must be `key: value`");
        let error = parse_markdown("b.md", "b", "just text")
            .expect_err("no title")
            .to_string();
        assert!(error.starts_with("b.md: no `title:`"), "{error}");
        let error = parse_markdown("c.md", "c", "---\ntitle: T\nlanguage: klingon!\n---\nbody")
            .expect_err("bad language")
            .to_string();
        assert!(error.contains("not a language code"), "{error}");
        let error = parse_markdown("d.md", "d", "---\ntitle: T\n---\n")
            .expect_err("empty")
            .to_string();
        assert!(error.contains("empty body"), "{error}");
    }

    #[test]
    fn jsonl_lines_become_articles() {
        let text = r#"{"id":"a","title":"A","body":"Alpha","language":"de","url":"https://x.example/a"}

{"id":7,"title":"B","body":"Beta","extra":true}
"#;
        let articles = parse_jsonl("kb.jsonl", text).expect("parses");
        assert_eq!(articles.len(), 2);
        assert_eq!(articles[0].language, "de");
        assert_eq!(articles[1].id, "7");
        assert_eq!(articles[1].language, "en");
        let error = parse_jsonl(
            "kb.jsonl",
            "{\"id\":\"a\",\"title\":\"A\",\"body\":\"x\"}\n{\"title\":\"B\"}",
        )
        .expect_err("missing id")
        .to_string();
        assert_eq!(error, "kb.jsonl:2: `id` (string or number) is required");
        let error = parse_jsonl("kb.jsonl", "not json")
            .expect_err("bad json")
            .to_string();
        assert!(error.starts_with("kb.jsonl:1: "), "{error}");
        let error = parse_jsonl(
            "kb.jsonl",
            r#"{"id":"a","title":"A","body":"x","url":"ftp://x"}"#,
        )
        .expect_err("bad url")
        .to_string();
        assert!(error.contains("must be http or https"), "{error}");
    }

    #[test]
    fn a_folder_is_read_in_name_order_and_duplicate_ids_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("b.md"), "# Bee\nbuzz").expect("write");
        std::fs::write(dir.path().join("a.md"), "# Ant\nmarch").expect("write");
        std::fs::write(dir.path().join("notes.txt"), "ignored").expect("write");
        let articles = load(dir.path()).expect("loads");
        let ids: Vec<&str> = articles.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        std::fs::write(dir.path().join("c.md"), "---\nid: a\ntitle: Again\n---\nx").expect("write");
        let error = load(dir.path()).expect_err("duplicate").to_string();
        assert!(error.contains("article id `a` appears twice"), "{error}");
    }

    #[test]
    fn the_demo_knowledge_base_parses() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo/kb");
        let articles = load(&dir).expect("demo kb");
        assert!(articles.len() >= 8, "{}", articles.len());
        let languages: std::collections::BTreeSet<&str> =
            articles.iter().map(|a| a.language.as_str()).collect();
        assert_eq!(
            languages.into_iter().collect::<Vec<_>>(),
            ["de", "en", "es"]
        );
        assert!(articles.iter().all(|a| a.url.is_some()));
    }
}
