//! Per-tenant rules from `RULES_DIR/<tenant>.toml`, reloaded when the file changes, without a restart. A file
//! that does not validate is refused with an error naming the rule and field, and the previous rules stay active.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use super::compile::{RuleSet, RulesError};

struct Entry {
    rules: Arc<RuleSet>,
    modified: Option<SystemTime>,
    checked: Instant,
    error: Option<RulesError>,
}

/// Hands out each tenant's current rules.
pub struct RuleBook {
    dir: Option<PathBuf>,
    defaults: Arc<RuleSet>,
    recheck: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

impl RuleBook {
    pub fn new(dir: Option<PathBuf>, recheck: Duration) -> Self {
        Self {
            dir,
            defaults: Arc::new(
                RuleSet::parse(super::DEFAULT_RULES).expect("the embedded default rules are valid"),
            ),
            recheck,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The tenant's rules (the defaults when it has no file).
    pub fn get(&self, tenant: &str) -> Arc<RuleSet> {
        let Some(dir) = &self.dir else {
            return self.defaults.clone();
        };
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(entry) = entries.get(tenant) {
            if entry.checked.elapsed() < self.recheck {
                return entry.rules.clone();
            }
        }
        let path = dir.join(format!("{tenant}.toml"));
        let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        let previous = entries.remove(tenant);
        let entry = match (previous, modified) {
            (_, None) => Entry {
                rules: self.defaults.clone(),
                modified: None,
                checked: Instant::now(),
                error: None,
            },
            (Some(mut entry), Some(m)) if entry.modified == Some(m) => {
                entry.checked = Instant::now();
                entry
            }
            (previous, Some(m)) => {
                let loaded = std::fs::read_to_string(&path)
                    .map_err(|e| RulesError::Io {
                        path: path.display().to_string(),
                        message: e.to_string(),
                    })
                    .and_then(|text| RuleSet::parse(&text));
                match loaded {
                    Ok(rules) => {
                        tracing::info!(tenant, path = %path.display(), "rules loaded");
                        Entry {
                            rules: Arc::new(rules),
                            modified: Some(m),
                            checked: Instant::now(),
                            error: None,
                        }
                    }
                    Err(error) => {
                        tracing::error!(tenant, path = %path.display(), %error, "rules file refused; previous rules stay active");
                        Entry {
                            rules: previous.map_or_else(|| self.defaults.clone(), |p| p.rules),
                            modified: Some(m),
                            checked: Instant::now(),
                            error: Some(error),
                        }
                    }
                }
            }
        };
        let rules = entry.rules.clone();
        entries.insert(tenant.to_owned(), entry);
        rules
    }

    /// Why the tenant's current file was refused, if it was.
    pub fn error(&self, tenant: &str) -> Option<RulesError> {
        self.get(tenant);
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get(tenant).and_then(|e| e.error.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_file_keeps_the_previous_rules_and_reports_the_rule_and_field() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("acme.toml");
        let book = RuleBook::new(Some(dir.path().to_owned()), Duration::ZERO);
        assert_eq!(book.get("acme").rules.len(), 5, "defaults without a file");

        std::fs::write(
            &path,
            "[[rules]]\nname = \"only\"\npriority = 1\nthen.add_labels = [\"x\"]\n",
        )
        .expect("write");
        assert_eq!(book.get("acme").rules.len(), 1);

        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(
            &path,
            "[[rules]]\nname = \"broken\"\npriority = 1\nthen.priority = \"soon\"\n",
        )
        .expect("write");
        let filetime = SystemTime::now() + Duration::from_secs(5);
        let file = std::fs::File::options()
            .write(true)
            .open(&path)
            .expect("open");
        file.set_modified(filetime).expect("mtime");
        assert_eq!(
            book.get("acme").rules[0].name,
            "only",
            "previous rules stay active"
        );
        let error = book.error("acme").expect("error reported").to_string();
        assert!(
            error.contains("broken") && error.contains("then.priority"),
            "{error}"
        );
    }
}
