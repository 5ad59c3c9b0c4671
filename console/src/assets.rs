//! The page's files, embedded in the binary at compile time so the API service ships the console with nothing
//! beside it (no Node.js, no asset directory to deploy).

use std::sync::LazyLock;

use sha2::{Digest, Sha256};

/// One embedded file.
pub struct Asset {
    /// Path under `assets/`, e.g. `js/main.js`.
    pub path: &'static str,
    pub bytes: &'static [u8],
    pub content_type: &'static str,
    /// Strong validator: the first 16 bytes of the file's SHA-256, quoted.
    pub etag: String,
}

macro_rules! embed {
    ($($path:literal),* $(,)?) => {
        [$(($path, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/", $path)) as &[u8])),*]
    };
}

/// Every file of `assets/` but `index.html`, which [`index_html`] serves with the asset version filled in.
const FILES: [(&str, &[u8]); 18] = embed![
    "console.css",
    "js/api.js",
    "js/auth.js",
    "js/charts.js",
    "js/conversation.js",
    "js/digests.js",
    "js/draft.js",
    "js/embed.js",
    "js/inbox.js",
    "js/live.js",
    "js/main.js",
    "js/markdown.js",
    "js/period.js",
    "js/queue.js",
    "js/report-parts.js",
    "js/reports.js",
    "js/thread.js",
    "js/ui.js",
];

const INDEX: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/index.html"));

/// What the page refers to as `{{version}}`: a hash of every asset, so a new build gets new asset URLs and the
/// assets themselves can be cached for good.
pub static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut hash = Sha256::new();
    for (path, bytes) in FILES {
        hash.update(path.as_bytes());
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    }
    hex::encode(&hash.finalize()[..8])
});

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|(path, bytes)| Asset {
            path,
            bytes,
            content_type: content_type(path),
            etag: etag(bytes),
        })
        .collect()
});

/// The page, with its asset URLs pointing at this build's version.
pub static INDEX_HTML: LazyLock<(String, String)> = LazyLock::new(|| {
    let html = INDEX.replace("{{version}}", &VERSION);
    let tag = etag(html.as_bytes());
    (html, tag)
});

pub fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

#[cfg(test)]
pub fn all() -> &'static [Asset] {
    &ASSETS
}

fn etag(bytes: &[u8]) -> String {
    format!("\"{}\"", hex::encode(&Sha256::digest(bytes)[..16]))
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        // Module scripts must be served with a JavaScript MIME type or the browser refuses to run them.
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}
