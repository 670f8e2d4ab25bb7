//! The REST API as an OpenAPI 3.1 document: `GET /openapi.json`, and Swagger UI at
//! `GET /docs` (its files are compiled into the binary from the `utoipa-swagger-ui`
//! crate's vendored copy: the page loads nothing from elsewhere).
//!
//! Each route module builds its router as a [`utoipa_axum::router::OpenApiRouter`] with
//! `routes!(handler, …)`: the path a handler is served on is the one its
//! `#[utoipa::path]` names, so a route cannot exist without its documentation or drift
//! from it. [`document`] then adds what every operation shares: the error body, the two
//! ways to authenticate, and the errors any operation may answer (401, 403, 422, 500;
//! not for `/v1/…`, whose errors have OpenAI's shape and are listed where they occur).
//! Server functions (`/api/…`, the dashboard's own calls) and the pages are not part of
//! the API and are not described.

use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, RefOr};
use utoipa::{Modify, OpenApi, ToSchema};

/// The document's fixed part; the paths come from the routers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "PromptDev",
        description = "The REST API of PromptDev, a workbench for AI companion personas: templates and \
their versions, conversations and interventions, memory, guardrails, statistics, the request log, \
API keys, and an OpenAI-compatible chat endpoint.\n\n\
Authenticate with an operator session (`POST /admin/login` sets the `pd_session` cookie) or an API key \
(`Authorization: Bearer pd_…` or `X-API-Key: pd_…`, created under `/admin/api-keys`). Errors are \
`{\"error\": {\"code\", \"message\", \"request_id\", …}}`; quote `request_id` when reporting one.",
        license(name = "MIT"),
    ),
    security(("session" = []), ("api_key" = [])),
    components(schemas(ErrorBody, ErrorDetail, ErrorCode, ServerSentEvent, app::types::LiveEvent)),
)]
pub struct ApiDoc;

/// Every error response: `{"error": {…}}`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong. Beside `code` and `message`, the fields of the error's kind.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// For people: what went wrong and, where there is one, what to do.
    pub message: String,
    /// The id of the log lines about this request (its `x-request-id` header).
    pub request_id: Option<String>,
    /// `invalid`: the offending input, when one is to blame.
    pub field: Option<String>,
    /// `not_found`: what was not found.
    pub what: Option<String>,
    /// `template`: the 1-based line the template error is on.
    pub line: Option<u32>,
    /// `rate_limited`: seconds until trying again may succeed (also the `Retry-After` header).
    pub retry_after_s: Option<u64>,
}

/// One event of a `text/event-stream` answer: `event` names its kind (where the stream
/// has kinds), `data` is its JSON text.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ServerSentEvent {
    pub event: Option<String>,
    pub data: String,
    pub id: Option<String>,
    pub retry: Option<i64>,
}

/// The error kinds ([`app::error::AppError::code`]) with their statuses.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ErrorCode {
    /// 401: no operator session or API key.
    Unauthorized,
    /// 401: wrong email or password.
    BadCredentials,
    /// 403: a role or API key scope below the one needed.
    Forbidden,
    /// 429: too many attempts.
    RateLimited,
    /// 404.
    NotFound,
    /// 422: the input is not acceptable.
    Invalid,
    /// 422: a template does not compile.
    Template,
    /// 409: a conflicting state (a name taken, a version moved on).
    Conflict,
    /// 413: the body is larger than the endpoint accepts.
    TooLarge,
    /// 502: the LLM could not reply (what was sent is kept).
    LlmFailed,
    /// 500: the log has the details under `request_id`.
    Internal,
}

/// The tags, in the order Swagger UI lists them, with what each covers.
const TAGS: &[(&str, &str)] = &[
    ("auth", "Operator login, logout, password"),
    ("templates", "Persona templates: create, read, update, import, export, trash"),
    ("versions", "Immutable versions, labels, diffs, rollback"),
    ("authoring", "Preview, drafts, the playground, providers"),
    ("library", "Templates shared across workspaces"),
    ("monitor", "Live conversations: the wall, halt, resume, inject, drafts for approval"),
    ("conversations", "Conversation export and clearing"),
    ("inspector", "What produced a message: the exact prompt, forks"),
    ("memory", "What personas remember about each user"),
    ("sentiment", "Sentiment of messages, sessions and users"),
    ("guardrails", "Rules on what users and personas may say"),
    ("end-users", "The people who chat, and their assignments"),
    ("stats", "Overview figures, per-user statistics, prices"),
    ("requests", "The LLM request log and its retention"),
    ("audit", "Who changed what"),
    ("jobs", "The background job queue"),
    ("settings", "Workspace settings"),
    ("api-keys", "API keys for programs"),
    ("super-admins", "Operators and workspaces (super admins)"),
    ("chat", "Chatting as an end user: turns, sessions, history"),
    ("user", "End-user login"),
    ("events", "Server-Sent Events streams"),
    ("openai", "OpenAI-compatible API"),
    ("operations", "Health, readiness, metrics"),
];

/// Completes the document the routers produced (see the module docs).
pub fn document(mut api: Document) -> Document {
    let fixed = ApiDoc::openapi();
    api.info = fixed.info.clone();
    api.security = fixed.security.clone();
    api.merge(fixed);
    Shared.modify(&mut api);
    api
}

/// The parts every operation shares.
struct Shared;

fn error_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("ErrorBody")))),
        )
        .build()
}

impl Modify for Shared {
    fn modify(&self, api: &mut Document) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                super::SESSION_COOKIE,
                "The operator session `POST /admin/login` starts (HttpOnly cookie).",
            ))),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("pd_…")
                    .description(Some("An API key from `/admin/api-keys` (also accepted as `X-API-Key`)."))
                    .build(),
            ),
        );
        let shared = [
            ("Unauthorized", "Not logged in, or no valid API key (`unauthorized`)."),
            ("Forbidden", "The role or API key scope does not allow this (`forbidden`)."),
            ("Invalid", "The input is not acceptable (`invalid`, `field` names it)."),
            ("Internal", "Something failed on the server (`internal`); the log has it under `request_id`."),
        ];
        for (name, description) in shared {
            components.responses.insert(name.to_string(), RefOr::T(error_response(description)));
        }
        api.tags = Some(
            TAGS.iter()
                .map(|(name, description)| {
                    utoipa::openapi::tag::TagBuilder::new().name(*name).description(Some(*description)).build()
                })
                .collect(),
        );
        for item in api.paths.paths.values_mut() {
            let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for op in ops.into_iter().flatten() {
                // Handler names repeat across areas (`list`, `delete`): the area makes the
                // id unique, and a generated client's method names readable.
                if let (Some(tag), Some(id)) = (op.tags.as_ref().and_then(|t| t.first()), op.operation_id.as_mut()) {
                    *id = format!("{}_{id}", tag.replace('-', "_"));
                }
                // The OpenAI-compatible API answers errors in OpenAI's shape and lists them.
                if op.tags.as_ref().is_some_and(|t| t.iter().any(|t| t == "openai")) {
                    continue;
                }
                let public = op.security.as_ref().is_some_and(|s| s.iter().all(is_empty_requirement));
                let takes_input = op.request_body.is_some() || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let mut add = |status: &str, name: &str| {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| RefOr::Ref(utoipa::openapi::Ref::from_response_name(name)));
                };
                if !public {
                    add("401", "Unauthorized");
                    add("403", "Forbidden");
                }
                if takes_input {
                    add("422", "Invalid");
                }
                add("500", "Internal");
            }
        }
    }
}

fn is_empty_requirement(r: &utoipa::openapi::security::SecurityRequirement) -> bool {
    *r == Default::default()
}
