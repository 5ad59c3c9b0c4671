//! The OpenAPI 3.1 document, generated from the handlers and types (utoipa), served at `/openapi.json` and
//! checked in at `api/openapi.json` (a test fails when the two differ).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "chatwoot-pipeline API",
        description = "Conversations, approvals, commands, live activity and the webhook audit trail of the \
            pipeline. Every write becomes a command the worker carries out in the conversation's order; \
            answers are 202 with where to follow it. Errors: `{\"error\": {\"code\", \"message\", \"field\"}}`.",
        license(name = "Apache-2.0")
    ),
    paths(
        crate::conversations::list,
        crate::conversations::show,
        crate::conversations::messages,
        crate::conversations::post_message,
        crate::conversations::update,
        crate::conversations::escalate,
        crate::history::list,
        crate::approvals::list,
        crate::approvals::show,
        crate::approvals::decide,
        crate::commands::status,
        crate::activity::activity,
        crate::webhooks::list,
        crate::digests::list,
        crate::digests::show,
        crate::reports::summary,
        crate::reports::timeseries,
        crate::reports::breakdown,
        crate::reports::peak_hours,
        crate::reports::top_issues,
        crate::reports::distribution,
        crate::session::open,
        crate::session::me,
    ),
    modifiers(&Bearer),
    tags(
        (name = "conversations"), (name = "approvals"), (name = "commands"), (name = "activity"),
        (name = "webhooks"), (name = "session"), (name = "reports"), (name = "messages"),
    )
)]
pub struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API key `cwk_<id>_<secret>` (`cwctl api-keys create`) or a console session token",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document as served and checked in (pretty JSON, ending with a newline).
pub fn document() -> String {
    let mut json = ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".to_owned());
    json.push('\n');
    json
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_checked_in_document_is_the_generated_one() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
        let generated = super::document();
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::write(path, &generated).expect("write api/openapi.json");
        }
        let checked_in = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            checked_in == generated,
            "api/openapi.json differs from the code: run `UPDATE_OPENAPI=1 cargo test -p api openapi` and commit it"
        );
        assert!(generated.contains("\"openapi\": \"3.1.0\""));
    }
}
