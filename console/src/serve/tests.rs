#![allow(clippy::unwrap_used)]

use axum::body::{to_bytes, Body};
use http::{header, Request, StatusCode};
use tower::ServiceExt;

use crate::{assets, router, router_with, ConsoleConfig};

async fn get(
    app: axum::Router,
    uri: &str,
    etag: Option<&str>,
) -> (StatusCode, http::HeaderMap, String) {
    let mut request = Request::get(uri);
    if let Some(etag) = etag {
        request = request.header(header::IF_NONE_MATCH, etag);
    }
    let response = app
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn header(headers: &http::HeaderMap, name: header::HeaderName) -> &str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_page_is_framable_by_any_origin_with_a_strict_policy() {
    let (status, headers, body) = get(router(), "/console/", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        header(&headers, header::CONTENT_TYPE),
        "text/html; charset=utf-8"
    );
    assert_eq!(header(&headers, header::CACHE_CONTROL), "no-cache");
    let csp = header(&headers, header::CONTENT_SECURITY_POLICY);
    assert!(csp.contains("frame-ancestors *"), "{csp}");
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(csp.contains("connect-src 'self';"), "{csp}");
    assert!(!csp.contains("unsafe"), "{csp}");
    assert!(headers.get(header::X_FRAME_OPTIONS).is_none());
    assert_eq!(header(&headers, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert!(
        body.contains(&format!("v/{}/js/main.js", crate::version())),
        "{body}"
    );
    assert!(!body.contains("{{version}}"));

    let (status, headers, _) = get(router(), "/console", None).await;
    assert_eq!(status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(header(&headers, header::LOCATION), "/console/");
}

#[tokio::test]
async fn frame_ancestors_can_be_narrowed() {
    let config = ConsoleConfig::from_list("https://chat.example.com").unwrap();
    let (_, headers, _) = get(router_with(&config), "/console/", None).await;
    let csp = header(&headers, header::CONTENT_SECURITY_POLICY);
    assert!(
        csp.ends_with("frame-ancestors https://chat.example.com"),
        "{csp}"
    );
}

#[tokio::test]
async fn assets_are_cached_for_good_under_their_version_and_revalidated_otherwise() {
    let version = crate::version();
    let (status, headers, body) =
        get(router(), &format!("/console/v/{version}/js/main.js"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        header(&headers, header::CONTENT_TYPE),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(
        header(&headers, header::CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    assert!(body.contains("import"));
    let etag = header(&headers, header::ETAG).to_owned();

    let (status, _, body) = get(
        router(),
        &format!("/console/v/{version}/js/main.js"),
        Some(&etag),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());

    let (status, headers, _) = get(router(), "/console/v/0000/console.css", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        header(&headers, header::CONTENT_TYPE),
        "text/css; charset=utf-8"
    );
    assert_eq!(header(&headers, header::CACHE_CONTROL), "no-cache");

    let (status, _, _) = get(router(), &format!("/console/v/{version}/js/nope.js"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = get(
        router(),
        &format!("/console/v/{version}/../Cargo.toml"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Every file under `assets/` is embedded, and everything the page and its modules import is embedded: a
/// missing module would only show as a blank page in a browser.
#[test]
fn every_asset_is_embedded_and_every_import_resolves() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    let mut on_disk = Vec::new();
    for dir in [root.clone(), root.join("js")] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                let relative = path
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                if relative != "index.html" {
                    on_disk.push(relative);
                }
            }
        }
    }
    on_disk.sort();
    let mut embedded: Vec<String> = assets::all().iter().map(|a| a.path.to_owned()).collect();
    embedded.sort();
    assert_eq!(on_disk, embedded);

    let index = &assets::INDEX_HTML.0;
    for reference in index.split(&format!("v/{}/", crate::version())).skip(1) {
        let path = reference.split('"').next().unwrap();
        assert!(assets::find(path).is_some(), "index.html refers to {path}");
    }
    for asset in assets::all().iter().filter(|a| a.path.ends_with(".js")) {
        let text = std::str::from_utf8(asset.bytes).unwrap();
        for import in text.split("from './").skip(1) {
            let target = format!("js/{}", import.split('\'').next().unwrap());
            assert!(
                assets::find(&target).is_some(),
                "{} imports {target}",
                asset.path
            );
        }
    }
}
