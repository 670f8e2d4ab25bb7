//! Super admins manage every operator account (the original's `/super/admins`): create
//! one (with a workspace of their own, or into an existing workspace with a role),
//! change a role, deactivate (refused on their very next request: every request loads
//! the account and its `is_active`), reset a password. Only a super admin may; anyone
//! else is `Forbidden`.

use super::auth::{self, Placement};
use super::db::Db;
use super::ids::WorkspaceId;
use super::store::{accounts, audit};
use crate::error::{AppError, AppResult};
use crate::types::{AdminAccount, AdminUpdate, OperatorInfo, Role};

/// Errors: `Forbidden` unless `op` is a super admin.
pub fn require_super(op: &OperatorInfo) -> AppResult<()> {
    if op.is_super {
        Ok(())
    } else {
        Err(AppError::forbidden("only a super admin may manage operators"))
    }
}

/// Every operator account, by email. Errors: `Forbidden`.
pub async fn list(db: &Db, op: &OperatorInfo) -> AppResult<Vec<AdminAccount>> {
    require_super(op)?;
    accounts::list_accounts(db).await
}

/// What creating an operator asks for.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NewAdmin {
    pub email: String,
    /// Blank or absent: a password is generated and answered once.
    #[serde(default)]
    pub password: Option<String>,
    /// Join this workspace (with `role`, default editor); absent: a new workspace of
    /// their own, as its owner.
    #[serde(default)]
    pub workspace_id: Option<i64>,
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub is_super: bool,
}

/// Creates an operator; answers the account and the password when it was generated
/// (shown once). Errors: `Forbidden`; `Invalid` (email, password); `NotFound`
/// (workspace); `Conflict` (email taken).
pub async fn create(db: &Db, op: &OperatorInfo, new: &NewAdmin) -> AppResult<(AdminAccount, Option<String>)> {
    require_super(op)?;
    let given = new.password.as_deref().filter(|p| !p.is_empty());
    let generated = given.is_none().then(auth::generate_password);
    let password = given.or(generated.as_deref()).unwrap_or_default();
    let placement = match new.workspace_id {
        Some(ws) => Placement::Join(WorkspaceId(ws), new.role.unwrap_or(Role::Editor)),
        None => Placement::NewWorkspace,
    };
    let created = auth::create_account(db, &new.email, password, new.is_super, placement).await?;
    let detail = format!("{} ({})", created.email, created.role.as_str());
    audit::record(db, created.workspace(), &op.email, "operator_create", &created.id.to_string(), &detail).await?;
    let account = accounts::account(db, created.id).await?.ok_or_else(|| AppError::not_found("operator"))?;
    Ok((account, generated))
}

/// Changes what `update` sets on account `id`. A super admin cannot deactivate
/// themselves or drop their own super admin flag (someone must be left to undo it).
/// Errors: `Forbidden`; `NotFound`; `Conflict` (self-lockout); `Invalid` (password).
pub async fn update(db: &Db, op: &OperatorInfo, id: i64, update: &AdminUpdate) -> AppResult<AdminAccount> {
    require_super(op)?;
    let before = accounts::account(db, id).await?.ok_or_else(|| AppError::not_found("operator"))?;
    if id == op.id && (update.is_active == Some(false) || update.is_super == Some(false)) {
        return Err(AppError::Conflict {
            message: "you cannot deactivate yourself or drop your own super admin rights".into(),
        });
    }
    let hash = match update.password.as_deref() {
        Some(p) => {
            auth::check_password(p)?;
            Some(auth::hash_password(p).await?)
        }
        None => None,
    };
    accounts::update_account(db, id, update.role, update.is_active, update.is_super, hash.as_deref()).await?;
    let after = accounts::account(db, id).await?.ok_or_else(|| AppError::not_found("operator"))?;
    let ws = WorkspaceId(after.workspace_id);
    let mut changes = Vec::new();
    if before.role != after.role {
        changes.push(format!("role {} → {}", before.role.as_str(), after.role.as_str()));
    }
    if before.is_active != after.is_active {
        changes.push(if after.is_active { "reactivated".into() } else { "deactivated".to_string() });
    }
    if before.is_super != after.is_super {
        changes.push(format!("super admin {}", if after.is_super { "granted" } else { "removed" }));
    }
    if hash.is_some() {
        changes.push("password reset".into());
    }
    audit::record(db, ws, &op.email, "operator_update", &id.to_string(), &changes.join(", ")).await?;
    Ok(after)
}

/// Deactivates account `id` (`DELETE /super/admins/{id}`): refused from its next
/// request; the account and its history stay. Errors: as [`update`].
pub async fn deactivate(db: &Db, op: &OperatorInfo, id: i64) -> AppResult<AdminAccount> {
    update(db, op, id, &AdminUpdate { is_active: Some(false), ..Default::default() }).await
}
