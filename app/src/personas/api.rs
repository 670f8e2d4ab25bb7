//! Server functions for personas (templates): versions, labels, settings, preview,
//! playground, drafting, sharing, import/export and soft delete. Each checks the operator
//! and the workspace, then calls one engine function.

// The editor's forms post flat fields; `#[server]` generates the browser-side function
// with the same argument list, where an item-level allow does not reach.
#![allow(clippy::too_many_arguments)]

use crate::error::AppResult;
use crate::types::{
    DeletedPersona, EditorPageData, ImportResult, Label, PersonaDetail, PersonaDraft, PersonaExport, PersonaSummary,
    PlaygroundResult, Preview, ProviderInfo, SaveResult, SharedPersona, VersionDiff,
};
use leptos::prelude::*;

/// The workspace's personas by name.
#[server(endpoint = "personas/list_personas", input = server_fn::codec::GetUrl)]
pub async fn list_personas() -> AppResult<Vec<PersonaSummary>> {
    use crate::engine::{personas, web};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        personas::list(&state.db, op.workspace_id).await
    })
    .await
}

/// A persona with its versions (newest first), labels and label moves. Errors: `NotFound`.
#[server(endpoint = "personas/get_persona", input = server_fn::codec::GetUrl)]
pub async fn get_persona(id: i64) -> AppResult<PersonaDetail> {
    use crate::engine::{personas, web};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        personas::get(&state.db, op.workspace_id, id).await
    })
    .await
}

/// The editor page's data in one call (a page resource makes one server call: during
/// server rendering a second call after an `.await` can lose the request's context).
/// Errors: `NotFound`.
#[server(endpoint = "personas/editor_data", input = server_fn::codec::GetUrl)]
pub async fn editor_data(id: i64) -> AppResult<EditorPageData> {
    use crate::engine::{monitor, personas, playground, web};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        let persona = personas::get(&state.db, op.workspace_id, id).await?;
        let preview = match persona.versions.first() {
            Some(v) => {
                let req = crate::types::PreviewRequest {
                    persona_id: Some(id),
                    content: v.content.clone(),
                    kind: v.kind,
                    variables: v.variables.clone(),
                    message: playground::DEFAULT_SAMPLE_MESSAGE.into(),
                    ..Default::default()
                };
                playground::preview(&state, op.workspace_id, &req).await
            }
            None => Err(crate::error::AppError::not_found("version")),
        };
        Ok(EditorPageData {
            persona,
            providers: playground::providers(&state),
            users: monitor::list_users(&state.db, op.workspace_id).await?,
            preview,
        })
    })
    .await
}

/// The diff page's data in one call: the persona and the diff of `from` → `to`
/// (default: the latest version and the one before). Errors: `NotFound`.
#[server(endpoint = "personas/diff_page", input = server_fn::codec::GetUrl)]
pub async fn diff_page(id: i64, from: Option<i64>, to: Option<i64>) -> AppResult<(PersonaDetail, VersionDiff)> {
    use crate::engine::{personas, web};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        let persona = personas::get(&state.db, op.workspace_id, id).await?;
        let latest = persona.versions.first().map(|v| v.version).unwrap_or(1);
        let to = to.unwrap_or(latest);
        let from = from.unwrap_or((to - 1).max(1));
        let diff = personas::diff(&state.db, op.workspace_id, id, from, to).await?;
        Ok((persona, diff))
    })
    .await
}

/// Creates a persona (version 1, `production` → 1) and opens it in the editor.
/// `kind`: `chat` (default) or `text`; `variables`: declared variables as JSON (default none).
/// Errors: `Invalid`, `Template`, `Conflict` (name taken).
#[server(endpoint = "personas/create_persona")]
pub async fn create_persona(
    name: String,
    content: String,
    note: String,
    kind: Option<String>,
    variables: Option<String>,
) -> AppResult<PersonaSummary> {
    use crate::engine::{personas, web};
    use crate::types::{PersonaKind, VersionDraft};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        let draft = VersionDraft {
            content,
            kind: PersonaKind::parse(kind.as_deref().unwrap_or(""))?,
            settings: Default::default(),
            variables: personas::parse_variables_json(variables.as_deref().unwrap_or(""))?,
            note,
        };
        let p =
            personas::create(&state.db, op.workspace_id, &name, &draft, &op.email, personas::Publish::Draft).await?;
        leptos_axum::redirect(&format!("/dashboard/personas/{}", p.id));
        Ok(p)
    })
    .await
}

/// Saves the editor as the next version (nothing, `unchanged`, when content, kind,
/// settings and variables all equal the latest). Every field but `id`, `content` and
/// `note` is optional: a missing one keeps the latest version's value. Numbers come as
/// text (the form's), stop sequences one per line, variables as JSON.
/// Errors: `NotFound`, `Template`, `Invalid` (naming the field).
#[server(endpoint = "personas/save_persona_version")]
pub async fn save_persona_version(
    id: i64,
    content: String,
    note: String,
    kind: Option<String>,
    provider: Option<String>,
    model: Option<String>,
    temperature: Option<String>,
    top_p: Option<String>,
    max_tokens: Option<String>,
    stop: Option<String>,
    variables: Option<String>,
    repeat_penalty: Option<String>,
) -> AppResult<SaveResult> {
    use crate::engine::{personas, web};
    use crate::types::{ModelSettings, PersonaKind, VersionDraft};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        let (_, latest) = personas::latest(&state.db, op.workspace_id, id).await?;
        let s = &latest.settings;
        let or = |v: &Option<String>, d: String| v.clone().unwrap_or(d);
        let settings = ModelSettings::from_form(
            &or(&provider, s.provider.clone()),
            &or(&model, s.model.clone()),
            &or(&temperature, s.temperature.to_string()),
            &or(&top_p, s.top_p.to_string()),
            &or(&max_tokens, s.max_tokens.to_string()),
            &or(&stop, s.stop.join("\n")),
            &or(&repeat_penalty, s.repeat_penalty.to_string()),
        )?;
        let draft = VersionDraft {
            content,
            kind: match &kind {
                Some(k) => PersonaKind::parse(k)?,
                None => latest.kind,
            },
            settings,
            variables: match &variables {
                Some(v) => personas::parse_variables_json(v)?,
                None => latest.variables.clone(),
            },
            note,
        };
        personas::save_version(&state.db, op.workspace_id, id, &draft, &op.email).await
    })
    .await
}

/// Restores version `version` as a new version (history stays intact). Errors: `NotFound`.
#[server(endpoint = "personas/rollback_persona")]
pub async fn rollback_persona(id: i64, version: i64) -> AppResult<SaveResult> {
    use crate::engine::{personas, web};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        personas::rollback(&state.db, op.workspace_id, id, version, &op.email).await
    })
    .await
}

/// Points `label` at `version` (creating the label if needed) and records the move.
/// Promoting = moving `production`; "roll production back to N" is the same call.
/// Errors: `NotFound` (persona, version), `Invalid` (label name).
#[server(endpoint = "personas/move_label")]
pub async fn move_label(id: i64, label: String, version: i64) -> AppResult<Label> {
    use crate::engine::{personas, web};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        personas::move_label(&state.db, op.workspace_id, id, &label, version, &op.email).await
    })
    .await
}

/// Removes a label (not `production`, which chat needs). Errors: `NotFound`, `Invalid`.
#[server(endpoint = "personas/remove_label")]
pub async fn remove_label(id: i64, label: String) -> AppResult<()> {
    use crate::engine::{personas, web};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        personas::remove_label(&state.db, op.workspace_id, id, &label, &op.email).await
    })
    .await
}

/// Line diff between versions `from` and `to` of a persona. Errors: `NotFound`.
#[server(endpoint = "personas/diff_versions", input = server_fn::codec::GetUrl)]
pub async fn diff_versions(id: i64, from: i64, to: i64) -> AppResult<VersionDiff> {
    use crate::engine::{personas, web};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        personas::diff(&state.db, op.workspace_id, id, from, to).await
    })
    .await
}

/// Activates or deactivates a persona (inactive ones cannot be chosen in chat).
/// Errors: `NotFound`.
#[server(endpoint = "personas/set_persona_active")]
pub async fn set_persona_active(id: i64, active: bool) -> AppResult<()> {
    use crate::engine::{personas, web};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        personas::set_active(&state, op.workspace_id, id, active, &op.email).await
    })
    .await
}

/// Shares a persona with every workspace's library, or stops sharing it. Errors: `NotFound`.
#[server(endpoint = "personas/set_persona_shared")]
pub async fn set_persona_shared(id: i64, shared: bool) -> AppResult<()> {
    use crate::engine::{personas, web};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        personas::set_shared(&state.db, op.workspace_id, id, shared, &op.email).await
    })
    .await
}

/// Soft-deletes a persona; `confirm_name` must equal its name. Restorable for 30 days.
/// Errors: `NotFound`, `Invalid` (field `confirm_name`).
#[server(endpoint = "personas/delete_persona")]
pub async fn delete_persona(id: i64, confirm_name: String) -> AppResult<()> {
    use crate::engine::{personas, web};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        personas::delete(&state, op.workspace_id, id, &confirm_name, &op.email).await
    })
    .await
}

/// Personas deleted in the last 30 days, newest first.
#[server(endpoint = "personas/deleted_personas", input = server_fn::codec::GetUrl)]
pub async fn deleted_personas() -> AppResult<Vec<DeletedPersona>> {
    use crate::engine::{personas, web};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        personas::deleted(&state.db, op.workspace_id).await
    })
    .await
}

/// Restores a deleted persona. Errors: `NotFound` (or deleted more than 30 days ago),
/// `Conflict` (its name was taken meanwhile).
#[server(endpoint = "personas/restore_persona")]
pub async fn restore_persona(id: i64) -> AppResult<PersonaSummary> {
    use crate::engine::{personas, web};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        personas::restore(&state.db, op.workspace_id, id, &op.email).await
    })
    .await
}

/// Personas other workspaces share.
#[server(endpoint = "personas/shared_library", input = server_fn::codec::GetUrl)]
pub async fn shared_library() -> AppResult<Vec<SharedPersona>> {
    use crate::engine::{personas, web};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        personas::library(&state.db, op.workspace_id).await
    })
    .await
}

/// Clones a shared persona into this workspace as `name` (version 1 = the source's
/// production version; the clone records its source). Errors: `NotFound` (not shared),
/// `Conflict` (name taken), `Invalid`.
#[server(endpoint = "personas/clone_persona")]
pub async fn clone_persona(source_id: i64, name: String) -> AppResult<PersonaSummary> {
    use crate::engine::{personas, web};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        personas::clone_shared(&state.db, op.workspace_id, source_id, Some(&name), &op.email).await
    })
    .await
}

/// The persona with all versions, settings and labels, as a JSON export. Errors: `NotFound`.
#[server(endpoint = "personas/export_persona", input = server_fn::codec::GetUrl)]
pub async fn export_persona(id: i64) -> AppResult<PersonaExport> {
    use crate::engine::{transfer, web};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        transfer::export(&state.db, op.workspace_id, id).await
    })
    .await
}

/// Imports an export (`json`). `on_conflict`: `ask` (default: `Conflict` if the name
/// exists), `new_version` or `rename` (then `new_name`). Errors: `Invalid` (not an
/// export, bad versions), `Template`, `Conflict`.
#[server(endpoint = "personas/import_persona")]
pub async fn import_persona(
    json: String,
    on_conflict: Option<String>,
    new_name: Option<String>,
) -> AppResult<ImportResult> {
    use crate::engine::{transfer, web};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        let export = transfer::parse_export(&json)?;
        let mode = transfer::parse_conflict(on_conflict.as_deref().unwrap_or("ask"))?;
        transfer::import(&state.db, op.workspace_id, &export, mode, new_name.as_deref(), &op.email).await
    })
    .await
}

/// Renders editor content with sample values and returns the exact messages the LLM
/// would get. `variables`, `memory` and `values` are JSON (blank = none); `user_id`
/// picks a real end user's memory and history instead of `memory`.
/// Errors: `Template` (with line), `Invalid` (JSON), `NotFound` (user).
#[server(endpoint = "personas/preview_persona")]
pub async fn preview_persona(
    id: Option<i64>,
    content: String,
    kind: String,
    variables: String,
    user_id: Option<String>,
    memory: String,
    message: String,
    values: String,
) -> AppResult<Preview> {
    use crate::engine::{personas, playground, web};
    use crate::types::{PersonaKind, PreviewRequest};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        let req = PreviewRequest {
            persona_id: id,
            content,
            kind: PersonaKind::parse(&kind)?,
            variables: personas::parse_variables_json(&variables)?,
            user_id: user_id.filter(|u| !u.trim().is_empty()),
            memory: playground::parse_object("memory", &memory)?,
            message,
            values: playground::parse_object("values", &values)?,
        };
        playground::preview(&state, op.workspace_id, &req).await
    })
    .await
}

/// Sends `message` through the pipeline with version `version_a` (and `version_b`, side
/// by side), writing to no conversation. `user_id` uses a real end user's memory and
/// history. Errors: `NotFound`, `Invalid`; LLM failures are reported per result.
#[server(endpoint = "personas/playground_run")]
pub async fn playground_run(
    id: i64,
    version_a: i64,
    version_b: Option<i64>,
    message: String,
    user_id: Option<String>,
) -> AppResult<Vec<PlaygroundResult>> {
    use crate::engine::{playground, web};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        let versions: Vec<i64> = std::iter::once(version_a).chain(version_b).collect();
        let user_id = user_id.filter(|u| !u.trim().is_empty());
        playground::run(&state, op.workspace_id, id, &versions, &message, user_id.as_deref()).await
    })
    .await
}

/// Asks the configured LLM to draft a template from a plain-words description.
/// Errors: `Invalid` (empty or too long description), `LlmFailed`.
#[server(endpoint = "personas/draft_persona")]
pub async fn draft_persona(description: String) -> AppResult<PersonaDraft> {
    use crate::engine::{playground, web};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        playground::draft(&state, op.workspace_id, &description).await
    })
    .await
}

/// The LLM providers this server can use (for a version's model settings).
#[server(endpoint = "personas/llm_providers", input = server_fn::codec::GetUrl)]
pub async fn llm_providers() -> AppResult<Vec<ProviderInfo>> {
    use crate::engine::{playground, web};
    web::guard(async move {
        let (state, _) = web::operator().await?;
        Ok(playground::providers(&state))
    })
    .await
}
