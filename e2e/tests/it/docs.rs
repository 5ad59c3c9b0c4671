//! The README and `.env.example` stay true to the repository: every file or folder the README names exists, and
//! every setting a service reads is listed in both.

use std::collections::BTreeSet;
use std::path::Path;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{ROOT}/{path}")).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Backquoted words that look like paths in this repository (`scripts/run.sh`, `deploy/`, `e2e/tests/it/x.rs`).
fn named_paths(markdown: &str) -> BTreeSet<String> {
    let roots: BTreeSet<String> = std::fs::read_dir(ROOT)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    markdown
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|word| !word.contains(' ') && word.contains('/') && !word.contains("://"))
        .map(|word| {
            word.trim_start_matches("./")
                .trim_end_matches(':')
                .to_owned()
        })
        .filter(|word| {
            word.split('/')
                .next()
                .is_some_and(|first| roots.contains(first))
        })
        .filter(|word| !word.contains(['{', '<', '*', '$']))
        // Made by builds and runs, not part of a clone.
        .filter(|word| {
            !["target/", ".run/", "fuzz/artifacts/"]
                .iter()
                .any(|p| word.starts_with(p))
        })
        .collect()
}

#[test]
fn every_path_the_readme_names_exists() {
    for doc in [
        "README.md",
        "BENCHMARKS.md",
        "fuzz/README.md",
        "deploy/README.md",
    ] {
        if !Path::new(&format!("{ROOT}/{doc}")).exists() {
            continue;
        }
        let missing: Vec<String> = named_paths(&read(doc))
            .into_iter()
            .filter(|path| !Path::new(&format!("{ROOT}/{path}")).exists())
            .collect();
        assert!(missing.is_empty(), "{doc} names missing paths: {missing:?}");
    }
}

#[test]
fn every_setting_of_the_services_is_in_the_env_example_and_the_readme() {
    let example = read(".env.example");
    let readme = read("README.md");
    let mut settings = BTreeSet::new();
    for file in [
        "infra/src/config.rs",
        "infra/src/supervise.rs",
        "ingress/src/config.rs",
        "worker/src/config.rs",
        "dispatcher/src/config.rs",
        "api/src/config.rs",
        "console/src/config.rs",
    ] {
        let source = read(file);
        for piece in source.split("env = \"").skip(1) {
            if let Some(name) = piece.split('"').next() {
                settings.insert(name.to_owned());
            }
        }
    }
    assert!(settings.len() > 30, "{settings:?}");
    for name in &settings {
        let listed = example
            .lines()
            .any(|l| l.trim_start_matches("# ").starts_with(&format!("{name}=")));
        assert!(listed, ".env.example lacks {name}");
        assert!(
            readme.contains(&format!("`{name}`")),
            "the README lacks {name}"
        );
    }
}
