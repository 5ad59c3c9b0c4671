//! Who may frame the console.

use clap::Args;

/// The console's settings, for services that flatten them into their own configuration.
#[derive(Debug, Clone, Args)]
pub struct ConsoleArgs {
    /// Origins allowed to frame the console (CSP `frame-ancestors`), space- or comma-separated, e.g.
    /// `https://chat.example.com`. `*` (the default) lets any Chatwoot instance embed it as a Dashboard App:
    /// framing grants no access, since every API call needs a console token or an agent session.
    #[arg(long = "console-frame-ancestors", env = "CONSOLE_FRAME_ANCESTORS", default_value = "*",
          value_parser = ConsoleConfig::from_list)]
    pub console: ConsoleConfig,
}

/// A validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleConfig {
    /// CSP source expressions, each checked to hold no separator that could inject another directive.
    frame_ancestors: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameAncestorsError {
    #[error("CONSOLE_FRAME_ANCESTORS is empty (use '*' for any origin or 'none' for none)")]
    Empty,
    #[error("CONSOLE_FRAME_ANCESTORS: `{0}` is not an origin such as https://chat.example.com, *, or 'self'")]
    Invalid(String),
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self {
            frame_ancestors: vec!["*".into()],
        }
    }
}

impl ConsoleConfig {
    /// Parses a space- or comma-separated list of CSP source expressions.
    pub fn from_list(list: &str) -> Result<Self, FrameAncestorsError> {
        let sources: Vec<String> = list
            .split([' ', ','])
            .filter(|s| !s.is_empty())
            .map(|s| {
                let source = match s {
                    "none" | "self" => format!("'{s}'"),
                    other => other.to_owned(),
                };
                if valid_source(&source) {
                    Ok(source)
                } else {
                    Err(FrameAncestorsError::Invalid(s.to_owned()))
                }
            })
            .collect::<Result<_, _>>()?;
        if sources.is_empty() {
            return Err(FrameAncestorsError::Empty);
        }
        Ok(Self {
            frame_ancestors: sources,
        })
    }

    /// The `frame-ancestors` directive's value.
    pub fn frame_ancestors(&self) -> String {
        self.frame_ancestors.join(" ")
    }
}

/// `*`, `'self'`, `'none'`, a scheme (`https:`) or a host source with an optional scheme, port and `*.` prefix.
/// Anything with `;` or quotes would let a setting rewrite the rest of the policy.
fn valid_source(source: &str) -> bool {
    if matches!(source, "*" | "'self'" | "'none'") {
        return true;
    }
    !source.is_empty()
        && source
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._:/*[]".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_parsed_and_injections_refused() {
        assert_eq!(ConsoleConfig::default().frame_ancestors(), "*");
        let config = ConsoleConfig::from_list("https://chat.example.com, self").unwrap_or_default();
        assert_eq!(config.frame_ancestors(), "https://chat.example.com 'self'");
        assert_eq!(
            ConsoleConfig::from_list("https://a.example; script-src *"),
            Err(FrameAncestorsError::Invalid("https://a.example;".into()))
        );
        assert_eq!(
            ConsoleConfig::from_list(" , "),
            Err(FrameAncestorsError::Empty)
        );
    }
}
