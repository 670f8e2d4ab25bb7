//! Server functions for personas (templates): versions, labels, settings, preview,
//! drafting, sharing, export and soft delete (the library, trash and import are in
//! `library::api`, the playground in `playground::api`). Each checks the operator
//! and the workspace, then calls one engine function.

#[cfg(feature = "ssr")]
use crate::engine::ids::PersonaId;
use crate::error::AppResult;
use crate::types::{
    EditorPageData, Label, PersonaDetail, PersonaDraft, PersonaExport, PersonaKind, PersonaSummary, Preview,
    PreviewRequest, ProviderInfo, SaveResult, SettingsInput, VariablesInput, VersionDiff,
};
use leptos::prelude::*;

/// The workspace's personas by name.
#[server(endpoint = "personas/list_personas", input = server_fn::codec::GetUrl)]
pub async fn list_personas() -> AppResult<Vec<PersonaSummary>> {
    use crate::ctx;
    use crate::engine::personas;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        personas::list(&state.db, op.workspace()).await
    })
    .await
}

/// A persona with its versions (newest first), labels and label moves. Errors: `NotFound`.
#[server(endpoint = "personas/get_persona", input = server_fn::codec::GetUrl)]
pub async fn get_persona(id: i64) -> AppResult<PersonaDetail> {
    use crate::ctx;
    use crate::engine::personas;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        personas::get(&state.db, op.workspace(), PersonaId(id)).await
    })
    .await
}

/// The editor page's data in one call (a page resource makes one server call: during
/// server rendering a second call after an `.await` can lose the request's context).
/// Errors: `NotFound`.
#[server(endpoint = "personas/editor_data", input = server_fn::codec::GetUrl)]
pub async fn editor_data(id: i64) -> AppResult<EditorPageData> {
    use crate::ctx;
    use crate::engine::{monitor, personas, playground};
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let persona = personas::get(&state.db, op.workspace(), PersonaId(id)).await?;
        let preview = match persona.versions.first() {
            Some(v) => {
                let req = crate::types::PreviewRequest {
                    persona_id: Some(id),
                    content: v.content.clone(),
                    kind: v.kind,
                    variables: v.variables.clone(),
                    message: crate::types::SAMPLE_MESSAGE.into(),
                    ..Default::default()
                };
                playground::preview(&state, op.workspace(), &req).await
            }
            None => Err(crate::error::AppError::not_found("version")),
        };
        Ok(EditorPageData {
            persona,
            providers: playground::providers(&state),
            users: monitor::list_users(&state.db, op.workspace()).await?,
            preview,
        })
    })
    .await
}

/// The diff page's data in one call: the persona and the diff of `from` → `to`
/// (default: the latest version and the one before). Errors: `NotFound`.
#[server(endpoint = "personas/diff_page", input = server_fn::codec::GetUrl)]
pub async fn diff_page(id: i64, from: Option<i64>, to: Option<i64>) -> AppResult<(PersonaDetail, VersionDiff)> {
    use crate::ctx;
    use crate::engine::personas;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let persona = personas::get(&state.db, op.workspace(), PersonaId(id)).await?;
        let diff = personas::diff(&state.db, op.workspace(), PersonaId(id), personas::DiffRange { from, to }).await?;
        Ok((persona, diff))
    })
    .await
}

/// Creates a persona (version 1, `production` → 1) and opens it in the editor.
/// `kind`: default `chat`; `variables`: the declared-variables table (default none).
/// Errors: `Invalid`, `Template`, `Conflict` (name taken).
#[server(endpoint = "personas/create_persona")]
pub async fn create_persona(
    name: String,
    content: String,
    note: String,
    kind: Option<PersonaKind>,
    variables: Option<VariablesInput>,
) -> AppResult<PersonaSummary> {
    use crate::ctx;
    use crate::engine::personas;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let draft = patch_from_form(content, note, kind, None, variables)?.apply(None);
        let p = personas::create(&state.db, op.workspace(), &name, &draft, &op.email, personas::Publish::Draft).await?;
        leptos_axum::redirect(&format!("/dashboard/personas/{}", p.id));
        Ok(p)
    })
    .await
}

/// Saves the editor as the next version (nothing, `unchanged`, when content, kind,
/// settings and variables all equal the latest). `kind`, `settings` and `variables` are
/// optional: one left out keeps the latest version's value. Within `settings`, a blank
/// field takes the default. Errors: `NotFound`, `Template`, `Invalid` (naming the field).
#[server(endpoint = "personas/save_persona_version")]
pub async fn save_persona_version(
    id: i64,
    content: String,
    note: String,
    kind: Option<PersonaKind>,
    settings: Option<SettingsInput>,
    variables: Option<VariablesInput>,
) -> AppResult<SaveResult> {
    use crate::ctx;
    use crate::engine::personas;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let patch = patch_from_form(content, note, kind, settings, variables)?;
        personas::save_patch(&state.db, op.workspace(), PersonaId(id), patch, &op.email).await
    })
    .await
}

/// The patch a form describes, parsed into the domain types (settings and variables are
/// checked here); what it leaves out the engine fills in ([`crate::engine::personas::VersionPatch`]).
/// Errors: `Invalid` naming the field.
#[cfg(feature = "ssr")]
fn patch_from_form(
    content: String,
    note: String,
    kind: Option<PersonaKind>,
    settings: Option<SettingsInput>,
    variables: Option<VariablesInput>,
) -> AppResult<crate::engine::personas::VersionPatch> {
    Ok(crate::engine::personas::VersionPatch {
        content,
        note,
        kind,
        settings: settings.map(crate::types::ModelSettings::try_from).transpose()?,
        variables: variables.map(|v| v.declared()).transpose()?,
    })
}

/// Restores version `version` as a new version (history stays intact). Errors: `NotFound`.
#[server(endpoint = "personas/rollback_persona")]
pub async fn rollback_persona(id: i64, version: i64) -> AppResult<SaveResult> {
    use crate::ctx;
    use crate::engine::personas;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        personas::rollback(&state.db, op.workspace(), PersonaId(id), version, &op.email).await
    })
    .await
}

/// Points `label` at `version` (creating the label if needed) and records the move.
/// Promoting = moving `production`; "roll production back to N" is the same call.
/// Errors: `NotFound` (persona, version), `Invalid` (label name).
#[server(endpoint = "personas/move_label")]
pub async fn move_label(id: i64, label: String, version: i64) -> AppResult<Label> {
    use crate::ctx;
    use crate::engine::personas;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        personas::move_label(&state.db, op.workspace(), PersonaId(id), &label, version, &op.email).await
    })
    .await
}

/// Removes a label (not `production`, which chat needs). Errors: `NotFound`, `Invalid`.
#[server(endpoint = "personas/remove_label")]
pub async fn remove_label(id: i64, label: String) -> AppResult<()> {
    use crate::ctx;
    use crate::engine::personas;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        personas::remove_label(&state.db, op.workspace(), PersonaId(id), &label, &op.email).await
    })
    .await
}

/// Line diff between versions `from` and `to` of a persona. Errors: `NotFound`.
#[server(endpoint = "personas/diff_versions", input = server_fn::codec::GetUrl)]
pub async fn diff_versions(id: i64, from: i64, to: i64) -> AppResult<VersionDiff> {
    use crate::ctx;
    use crate::engine::personas;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        personas::diff(&state.db, op.workspace(), PersonaId(id), personas::DiffRange { from: Some(from), to: Some(to) })
            .await
    })
    .await
}

/// Activates or deactivates a persona (inactive ones cannot be chosen in chat).
/// Errors: `NotFound`.
#[server(endpoint = "personas/set_persona_active")]
pub async fn set_persona_active(id: i64, active: bool) -> AppResult<()> {
    use crate::ctx;
    use crate::engine::personas;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        personas::set_active(&state, op.workspace(), PersonaId(id), active, &op.email).await
    })
    .await
}

/// Shares a persona with every workspace's library, or stops sharing it. Errors: `NotFound`.
#[server(endpoint = "personas/set_persona_shared")]
pub async fn set_persona_shared(id: i64, shared: bool) -> AppResult<()> {
    use crate::ctx;
    use crate::engine::personas;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        personas::set_shared(&state.db, op.workspace(), PersonaId(id), shared, &op.email).await
    })
    .await
}

/// Soft-deletes a persona; `confirm_name` must equal its name. Restorable for 30 days.
/// Errors: `NotFound`, `Invalid` (field `confirm_name`).
#[server(endpoint = "personas/delete_persona")]
pub async fn delete_persona(id: i64, confirm_name: String) -> AppResult<()> {
    use crate::ctx;
    use crate::engine::personas;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        personas::delete(&state, op.workspace(), PersonaId(id), &confirm_name, &op.email).await
    })
    .await
}

/// The persona with all versions, settings and labels, as a JSON export. Errors: `NotFound`.
#[server(endpoint = "personas/export_persona", input = server_fn::codec::GetUrl)]
pub async fn export_persona(id: i64) -> AppResult<PersonaExport> {
    use crate::ctx;
    use crate::engine::transfer;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        transfer::export(&state.db, op.workspace(), PersonaId(id)).await
    })
    .await
}

/// Renders editor content with sample values and returns the exact messages the LLM
/// would get (`req.user_id` picks a real end user's memory and history instead of
/// `req.memory`). Sent as JSON: values keep their types.
/// Errors: `Template` (with line), `Invalid`, `NotFound` (user).
#[server(endpoint = "personas/preview_persona", input = server_fn::codec::Json)]
pub async fn preview_persona(req: PreviewRequest) -> AppResult<Preview> {
    use crate::ctx;
    use crate::engine::playground;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let req = PreviewRequest { user_id: req.user_id.filter(|u| !u.trim().is_empty()), ..req };
        playground::preview(&state, op.workspace(), &req).await
    })
    .await
}

/// Asks the configured LLM to draft a template from a plain-words description.
/// Errors: `Invalid` (empty or too long description), `LlmFailed`.
#[server(endpoint = "personas/draft_persona")]
pub async fn draft_persona(description: String) -> AppResult<PersonaDraft> {
    use crate::ctx;
    use crate::engine::playground;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        playground::draft(&state, op.workspace(), &description).await
    })
    .await
}

/// The LLM providers this server can use (for a version's model settings).
#[server(endpoint = "personas/llm_providers", input = server_fn::codec::GetUrl)]
pub async fn llm_providers() -> AppResult<Vec<ProviderInfo>> {
    use crate::ctx;
    use crate::engine::playground;
    ctx::guard(async move {
        let (state, _) = ctx::operator().await?;
        Ok(playground::providers(&state))
    })
    .await
}
