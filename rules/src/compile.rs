//! Validation: a rules file becomes a [`RuleSet`] or an error that names the rule and the field.

use std::collections::BTreeMap;

use chrono::{NaiveTime, Weekday};
use proto::Priority;
use regex::Regex;

use super::model::{IdOrSetting, RuleSpec, Settings, Then, When};

/// Why a rules file was refused. The previous rules stay active.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("rules file is not valid TOML: {0}")]
    Syntax(String),
    #[error("[settings] `{field}`: {message}")]
    Settings { field: String, message: String },
    #[error("rule `{rule}`: `{field}`: {message}")]
    Rule {
        rule: String,
        field: String,
        message: String,
    },
    #[error("cannot read rules file {path}: {message}")]
    Io { path: String, message: String },
}

/// Checked, ready-to-evaluate rules of one tenant, highest priority first.
#[derive(Debug)]
pub struct RuleSet {
    pub settings: CompiledSettings,
    /// A triager with the tenant's extra categories (`[categories]`), or `None` for the default taxonomy.
    pub triager: Option<triage::Triager>,
    pub messages: BTreeMap<String, BTreeMap<String, String>>,
    pub rules: Vec<Rule>,
}

#[derive(Debug)]
pub struct CompiledSettings {
    pub timezone: chrono_tz::Tz,
    pub business_days: Vec<Weekday>,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
    pub first_reply_sla: std::time::Duration,
    /// The Chatwoot team escalations go to (`escalation_team`), also for an escalation through the API.
    pub escalation_team: Option<u64>,
}

#[derive(Debug)]
pub struct Rule {
    pub name: String,
    pub priority: i32,
    pub when: When,
    pub regex: Option<Regex>,
    pub keywords: Vec<String>,
    pub actions: Actions,
}

#[derive(Debug, Default)]
pub struct Actions {
    pub add_labels: Vec<String>,
    pub priority: Option<Priority>,
    pub assign_agent: Option<u64>,
    pub assign_team: Option<u64>,
    pub round_robin: Vec<u64>,
    pub open: bool,
    pub private_note: Option<String>,
    pub reply: Option<Reply>,
    pub once_per_conversation: bool,
    pub stop_bot: bool,
    pub stop: bool,
}

#[derive(Debug, Clone)]
pub enum Reply {
    Text(String),
    /// A `[messages.<name>]` entry, chosen by the customer's language.
    Message(String),
}

impl RuleSet {
    pub fn parse(text: &str) -> Result<Self, RulesError> {
        let document: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| RulesError::Syntax(e.to_string()))?;
        for key in document.keys() {
            if !matches!(
                key.as_str(),
                "settings" | "messages" | "rules" | "categories"
            ) {
                return Err(RulesError::Syntax(format!(
                    "unknown top-level key `{key}` (expected settings, messages, categories, rules)"
                )));
            }
        }
        let settings: Settings = match document.get("settings") {
            Some(value) => {
                value
                    .clone()
                    .try_into()
                    .map_err(|e: toml::de::Error| RulesError::Settings {
                        field: field_of(&e),
                        message: e.message().to_owned(),
                    })?
            }
            None => toml::from_str("").map_err(|e| RulesError::Syntax(e.to_string()))?,
        };
        let messages: BTreeMap<String, BTreeMap<String, String>> = match document.get("messages") {
            Some(value) => {
                value
                    .clone()
                    .try_into()
                    .map_err(|e: toml::de::Error| RulesError::Settings {
                        field: format!("messages.{}", field_of(&e)),
                        message: e.message().to_owned(),
                    })?
            }
            None => BTreeMap::new(),
        };
        let compiled_settings = compile_settings(&settings)?;
        let mut rules = Vec::new();
        let specs = match document.get("rules") {
            Some(toml::Value::Array(items)) => items.clone(),
            Some(_) => {
                return Err(RulesError::Syntax(
                    "`rules` must be an array of tables ([[rules]])".into(),
                ))
            }
            None => Vec::new(),
        };
        for (index, item) in specs.into_iter().enumerate() {
            let label = item
                .get("name")
                .and_then(|n| n.as_str())
                .map_or_else(|| format!("#{}", index + 1), str::to_owned);
            // Re-read the rule from its own text so a type error's span points at the offending key.
            let text = toml::to_string(&item).unwrap_or_default();
            let spec: RuleSpec =
                toml::from_str(&text).map_err(|e: toml::de::Error| RulesError::Rule {
                    rule: label.clone(),
                    field: if e.message().starts_with("missing field") {
                        field_of(&e)
                    } else {
                        key_at(&e, &text).unwrap_or_else(|| field_of(&e))
                    },
                    message: e.message().to_owned(),
                })?;
            rules.push(compile_rule(spec, &settings, &messages)?);
        }
        let mut names = std::collections::HashSet::new();
        for rule in &rules {
            if !names.insert(rule.name.clone()) {
                return Err(RulesError::Rule {
                    rule: rule.name.clone(),
                    field: "name".into(),
                    message: "another rule has the same name".into(),
                });
            }
        }
        rules.sort_by_key(|rule| std::cmp::Reverse(rule.priority));
        let triager = match document.get("categories") {
            Some(categories) => Some(compile_categories(categories)?),
            None => None,
        };
        Ok(Self {
            settings: compiled_settings,
            triager,
            messages,
            rules,
        })
    }

    /// `[messages.<name>]` in `language`, falling back to English, then to any.
    pub fn message(&self, name: &str, language: &str) -> Option<&str> {
        let variants = self.messages.get(name)?;
        variants
            .get(language)
            .or_else(|| variants.get("en"))
            .or_else(|| variants.values().next())
            .map(String::as_str)
    }
}

/// The dotted key on the line an error's span points at (`when.keywords`, `priority`).
fn key_at(error: &toml::de::Error, text: &str) -> Option<String> {
    let start = error.span()?.start;
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next()?;
    let key = line.split_once('=')?.0.trim().to_owned();
    let table = text[..line_start].lines().rev().find_map(|l| {
        l.trim()
            .strip_prefix('[')
            .and_then(|l| l.strip_suffix(']'))
            .map(str::to_owned)
    });
    Some(match table {
        Some(table) => format!("{table}.{key}"),
        None => key,
    })
}

/// The dotted key a serde error refers to, or `?` when the error has none.
fn field_of(error: &toml::de::Error) -> String {
    let message = error.message();
    // serde names the offending key in backticks ("unknown field `prio`", "missing field `name`").
    if let Some(start) = message.find('`') {
        if let Some(len) = message[start + 1..].find('`') {
            return message[start + 1..start + 1 + len].to_owned();
        }
    }
    error
        .span()
        .map_or_else(|| "?".to_owned(), |span| format!("at byte {}", span.start))
}

fn compile_settings(settings: &Settings) -> Result<CompiledSettings, RulesError> {
    let bad = |field: &str, message: String| RulesError::Settings {
        field: field.to_owned(),
        message,
    };
    let timezone: chrono_tz::Tz = settings.timezone.parse().map_err(|_| {
        bad(
            "timezone",
            format!("unknown time zone `{}`", settings.timezone),
        )
    })?;
    let business_days = settings
        .business_days
        .iter()
        .map(|d| {
            d.parse::<Weekday>()
                .map_err(|_| bad("business_days", format!("`{d}` is not a day (mon..sun)")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (opens, closes) = settings
        .business_hours
        .split_once('-')
        .and_then(|(a, b)| {
            Some((
                NaiveTime::parse_from_str(a.trim(), "%H:%M").ok()?,
                NaiveTime::parse_from_str(b.trim(), "%H:%M").ok()?,
            ))
        })
        .ok_or_else(|| {
            bad(
                "business_hours",
                format!("`{}` is not HH:MM-HH:MM", settings.business_hours),
            )
        })?;
    Ok(CompiledSettings {
        timezone,
        business_days,
        opens,
        closes,
        first_reply_sla: infra::config::parse_duration(&settings.first_reply_sla)
            .map_err(|message| bad("first_reply_sla", message))?,
        escalation_team: settings.escalation_team,
    })
}

/// `[categories.<name>]` tables: `any = [...]` keywords for every language, or per language code (`de = [...]`).
/// A name that already exists (e.g. `billing`) extends that category.
fn compile_categories(value: &toml::Value) -> Result<triage::Triager, RulesError> {
    let bad = |field: String, message: String| RulesError::Settings { field, message };
    let table = value
        .as_table()
        .ok_or_else(|| bad("categories".into(), "must be a table of categories".into()))?;
    let mut taxonomy = triage::Taxonomy::default();
    for (name, spec) in table {
        let field = format!("categories.{name}");
        let spec = spec.as_table().ok_or_else(|| {
            bad(
                field.clone(),
                "must be a table like { any = [\"warranty\"] }".into(),
            )
        })?;
        let mut owned: Vec<(Option<triage::Lang>, Vec<String>)> = Vec::new();
        for (language, words) in spec {
            let lang = match language.as_str() {
                "any" => None,
                code => Some(triage::Lang::from_code(code).ok_or_else(|| {
                    bad(
                        format!("{field}.{code}"),
                        "not one of any, en, es, de, fr, pt, it, nl".into(),
                    )
                })?),
            };
            let words = words
                .as_array()
                .and_then(|a| {
                    a.iter()
                        .map(|w| w.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                })
                .ok_or_else(|| {
                    bad(
                        format!("{field}.{language}"),
                        "must be a list of strings".into(),
                    )
                })?;
            owned.push((lang, words));
        }
        let borrowed: Vec<Vec<&str>> = owned
            .iter()
            .map(|(_, w)| w.iter().map(String::as_str).collect())
            .collect();
        let keywords: Vec<(Option<triage::Lang>, &[&str])> = owned
            .iter()
            .zip(&borrowed)
            .map(|((lang, _), words)| (*lang, words.as_slice()))
            .collect();
        taxonomy
            .add_category(name, &keywords)
            .map_err(|e| bad(field.clone(), e.to_string()))?;
    }
    Ok(triage::Triager::new(taxonomy))
}

const ESCALATIONS: [&str; 2] = ["legal", "fraud"];
const SENTIMENTS: [&str; 3] = ["positive", "neutral", "negative"];

fn compile_rule(
    spec: RuleSpec,
    settings: &Settings,
    messages: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<Rule, RulesError> {
    let name = spec.name.clone();
    let bad = |field: &str, message: String| RulesError::Rule {
        rule: name.clone(),
        field: field.to_owned(),
        message,
    };
    for value in spec.when.escalate.iter().flatten() {
        if !ESCALATIONS.contains(&value.as_str()) {
            return Err(bad(
                "when.escalate",
                format!("`{value}` is not one of legal, fraud"),
            ));
        }
    }
    for value in spec.when.sentiment.iter().flatten() {
        if !SENTIMENTS.contains(&value.as_str()) {
            return Err(bad(
                "when.sentiment",
                format!("`{value}` is not one of positive, neutral, negative"),
            ));
        }
    }
    let regex = spec
        .when
        .regex
        .as_deref()
        .map(|pattern| {
            regex::RegexBuilder::new(pattern)
                .case_insensitive(true)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| bad("when.regex", e.to_string()))
        })
        .transpose()?;
    let keywords = spec
        .when
        .keywords
        .iter()
        .flatten()
        .map(|k| k.to_lowercase())
        .collect();
    let actions = compile_then(&spec.then, settings, messages, &bad)?;
    Ok(Rule {
        name: spec.name,
        priority: spec.priority,
        when: spec.when,
        regex,
        keywords,
        actions,
    })
}

fn compile_then(
    then: &Then,
    settings: &Settings,
    messages: &BTreeMap<String, BTreeMap<String, String>>,
    bad: &dyn Fn(&str, String) -> RulesError,
) -> Result<Actions, RulesError> {
    let id_setting =
        |field: &str, value: &Option<IdOrSetting<u64>>| -> Result<Option<u64>, RulesError> {
            match value {
                None => Ok(None),
                Some(IdOrSetting::Value(id)) => Ok(Some(*id)),
                Some(IdOrSetting::Setting(name)) => match name.as_str() {
                    "escalation_team" => Ok(settings.escalation_team),
                    "support_team" => Ok(settings.support_team),
                    other => Err(bad(
                        field,
                        format!("unknown setting `{other}` (escalation_team, support_team)"),
                    )),
                },
            }
        };
    let priority = then
        .priority
        .as_deref()
        .map(|p| match p {
            "urgent" => Ok(Priority::Urgent),
            "high" => Ok(Priority::High),
            "medium" => Ok(Priority::Medium),
            "low" => Ok(Priority::Low),
            "none" => Ok(Priority::None),
            other => Err(bad(
                "then.priority",
                format!("`{other}` is not urgent, high, medium, low or none"),
            )),
        })
        .transpose()?;
    let round_robin = match &then.round_robin {
        None => Vec::new(),
        Some(IdOrSetting::Value(agents)) => agents.clone(),
        Some(IdOrSetting::Setting(name)) if name == "support_agents" => {
            settings.support_agents.clone()
        }
        Some(IdOrSetting::Setting(other)) => {
            return Err(bad(
                "then.round_robin",
                format!("unknown setting `{other}` (support_agents)"),
            ))
        }
    };
    let reply = match then.reply.as_deref() {
        None => None,
        Some(text) => match text.strip_prefix('@') {
            Some(name) if messages.contains_key(name) => Some(Reply::Message(name.to_owned())),
            Some(name) => return Err(bad("then.reply", format!("no [messages.{name}] table"))),
            None if text.trim().is_empty() => return Err(bad("then.reply", "is empty".into())),
            None => Some(Reply::Text(text.to_owned())),
        },
    };
    if then.once_per_conversation.is_some() && reply.is_none() {
        return Err(bad(
            "then.once_per_conversation",
            "only applies together with `reply`".into(),
        ));
    }
    Ok(Actions {
        add_labels: then.add_labels.clone().unwrap_or_default(),
        priority,
        assign_agent: id_setting("then.assign_agent", &then.assign_agent)?,
        assign_team: id_setting("then.assign_team", &then.assign_team)?,
        round_robin,
        open: then.open.unwrap_or(false),
        private_note: then.private_note.clone(),
        reply,
        once_per_conversation: then.once_per_conversation.unwrap_or(false),
        stop_bot: then.stop_bot.unwrap_or(false),
        stop: then.stop.unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_rules_compile_in_priority_order() {
        let rules = RuleSet::parse(super::super::DEFAULT_RULES).expect("defaults are valid");
        let priorities: Vec<i32> = rules.rules.iter().map(|r| r.priority).collect();
        assert_eq!(priorities, vec![100, 90, 85, 50, 40]);
        assert!(rules
            .message("handoff", "de")
            .expect("German")
            .contains("Team"));
    }

    #[test]
    fn tenant_categories_extend_the_taxonomy() {
        let rules = RuleSet::parse(
            "[categories.warranty]\nany = [\"warranty\"]\nde = [\"garantie\"]\n\n[[rules]]\nname = \"w\"\npriority = 1\nwhen.categories = [\"warranty\"]\nthen.add_labels = [\"warranty\"]",
        )
        .expect("valid");
        let triager = rules.triager.as_ref().expect("tenant triager");
        assert!(triager
            .triage("Is my gearbox still under warranty?")
            .categories
            .contains(&"warranty".to_owned()));
        assert!(matches!(
            RuleSet::parse("[categories.x]\nklingon = [\"a\"]"),
            Err(RulesError::Settings { field, .. }) if field == "categories.x.klingon"
        ));
    }

    #[test]
    fn errors_name_the_rule_and_the_field() {
        let cases = [
            (
                "[[rules]]\nname = \"vip\"\npriority = 1\nthen.priority = \"asap\"",
                RulesError::Rule {
                    rule: "vip".into(),
                    field: "then.priority".into(),
                    message: "`asap` is not urgent, high, medium, low or none".into(),
                },
            ),
            (
                "[[rules]]\nname = \"x\"\npriority = 1\nwhen.regex = \"(\"",
                RulesError::Rule {
                    rule: "x".into(),
                    field: "when.regex".into(),
                    message: String::new(),
                },
            ),
            (
                "[[rules]]\nname = \"typo\"\npriority = 1\nthen.add_label = [\"a\"]",
                RulesError::Rule {
                    rule: "typo".into(),
                    field: "then.add_label".into(),
                    message: String::new(),
                },
            ),
            (
                "[[rules]]\nname = \"t\"\npriority = \"high\"",
                RulesError::Rule {
                    rule: "t".into(),
                    field: "priority".into(),
                    message: String::new(),
                },
            ),
            (
                "[[rules]]\nname = \"w\"\npriority = 1\nwhen.urgent = \"yes\"",
                RulesError::Rule {
                    rule: "w".into(),
                    field: "when.urgent".into(),
                    message: String::new(),
                },
            ),
            (
                "[[rules]]\npriority = 1",
                RulesError::Rule {
                    rule: "#1".into(),
                    field: "name".into(),
                    message: String::new(),
                },
            ),
        ];
        for (text, expected) in cases {
            let error = RuleSet::parse(text).expect_err(text);
            match (&error, &expected) {
                (
                    RulesError::Rule { rule, field, .. },
                    RulesError::Rule {
                        rule: want_rule,
                        field: want_field,
                        ..
                    },
                ) => {
                    assert_eq!((rule, field), (want_rule, want_field), "{error}");
                }
                _ => panic!("unexpected {error}"),
            }
        }
        assert!(matches!(
            RuleSet::parse("[settings]\ntimezone = \"Mars/Olympus\""),
            Err(RulesError::Settings { field, .. }) if field == "timezone"
        ));
    }
}
