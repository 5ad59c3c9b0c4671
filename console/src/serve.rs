//! The handlers: the page, its versioned assets, and the headers every answer carries.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::{header, HeaderMap, HeaderValue, StatusCode};

use crate::assets;
use crate::config::ConsoleConfig;

/// What the handlers share: the Content-Security-Policy, built once.
#[derive(Clone)]
pub(crate) struct Page {
    csp: Arc<HeaderValue>,
}

impl Page {
    pub(crate) fn new(config: &ConsoleConfig) -> Self {
        // Scripts and styles from this origin only (no inline code, so an injected string cannot run), API calls
        // and the event stream to this origin only. `frame-ancestors` replaces X-Frame-Options, which cannot
        // express "any Chatwoot instance" and is therefore not sent.
        let policy = format!(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors {}",
            config.frame_ancestors()
        );
        let csp = HeaderValue::from_str(&policy)
            .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"));
        Self { csp: Arc::new(csp) }
    }

    fn respond(
        &self,
        request: &HeaderMap,
        body: &'static [u8],
        content_type: &'static str,
        etag: &str,
        cache: &'static str,
    ) -> Response {
        let not_modified = request
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
        let mut response = if not_modified {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            body.into_response()
        };
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        if let Ok(etag) = HeaderValue::from_str(etag) {
            headers.insert(header::ETAG, etag);
        }
        headers.insert(header::CONTENT_SECURITY_POLICY, (*self.csp).clone());
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        // The console token travels in the URL fragment, which browsers never send; no Referer keeps even the
        // path of a conversation from leaking to the articles a draft links to.
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        response
    }
}

pub(crate) async fn redirect() -> Redirect {
    Redirect::permanent("/console/")
}

pub(crate) async fn index(State(page): State<Page>, request: HeaderMap) -> Response {
    let (html, etag) = &*assets::INDEX_HTML;
    // Revalidated on every load, so a new build's asset version is picked up at once.
    page.respond(
        &request,
        html.as_bytes(),
        "text/html; charset=utf-8",
        etag,
        "no-cache",
    )
}

pub(crate) async fn asset(
    State(page): State<Page>,
    Path((version, path)): Path<(String, String)>,
    request: HeaderMap,
) -> Response {
    let Some(asset) = assets::find(&path) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    // Another version's URL (a page loaded before a deploy) still gets the file, but must not cache it for
    // good under a URL that names other contents.
    let cache = if version == *assets::VERSION {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    page.respond(
        &request,
        asset.bytes,
        asset.content_type,
        &asset.etag,
        cache,
    )
}

#[cfg(test)]
mod tests;
