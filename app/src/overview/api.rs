//! Server functions of the Overview. Each checks the operator and reads their workspace.

use crate::error::AppResult;
use crate::types::{ModelPrice, StatsOverview};
use leptos::prelude::*;

/// The Overview's figures over `range` (`24h`, `7d`, `30d`; anything else is 24 h).
#[server(endpoint = "overview/load", input = server_fn::codec::GetUrl)]
pub async fn load_overview(range: String) -> AppResult<StatsOverview> {
    use crate::ctx;
    use crate::types::StatsRange;
    ctx::guard(async move {
        let (app, op) = ctx::operator().await?;
        let range = StatsRange::parse(&range).unwrap_or_default();
        crate::engine::stats::overview(&app.db, op.workspace(), range).await
    })
    .await
}

/// The workspace's model prices.
#[server(endpoint = "overview/prices", input = server_fn::codec::GetUrl)]
pub async fn load_prices() -> AppResult<Vec<ModelPrice>> {
    use crate::ctx;
    ctx::guard(async move {
        let (app, op) = ctx::operator().await?;
        crate::engine::stats::prices(&app.db, op.workspace()).await
    })
    .await
}

/// Sets a model's price (USD per million tokens). Errors: `Invalid`.
#[server(endpoint = "overview/set_price")]
pub async fn set_model_price(model: String, prompt_usd_per_mtok: f64, completion_usd_per_mtok: f64) -> AppResult<()> {
    use crate::ctx;
    ctx::guard(async move {
        let (app, op) = ctx::operator().await?;
        let price = ModelPrice { model, prompt_usd_per_mtok, completion_usd_per_mtok };
        crate::engine::stats::set_price(&app.db, op.workspace(), &price).await
    })
    .await
}

/// Removes a model's price. Errors: `NotFound`.
#[server(endpoint = "overview/delete_price")]
pub async fn delete_model_price(model: String) -> AppResult<()> {
    use crate::ctx;
    ctx::guard(async move {
        let (app, op) = ctx::operator().await?;
        crate::engine::stats::delete_price(&app.db, op.workspace(), &model).await
    })
    .await
}
