//! Operator accounts as the dashboard sees them.

use serde::{Deserialize, Serialize};

/// The operator who is logged in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorInfo {
    pub id: i64,
    pub email: String,
    pub workspace_id: i64,
    pub workspace_name: String,
}
