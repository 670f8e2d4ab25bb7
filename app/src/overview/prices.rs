//! The Overview's "Model prices" section: what each model costs the workspace (USD per
//! million tokens), behind the estimated-cost card. Loaded in the browser
//! (`LocalResource`), so it never joins the page's server render.

use super::api::{load_prices, DeleteModelPrice, SetModelPrice};
use crate::components::ErrorBox;
use leptos::prelude::*;

#[component]
pub fn PricesSection() -> impl IntoView {
    let set = ServerAction::<SetModelPrice>::new();
    let delete = ServerAction::<DeleteModelPrice>::new();
    let prices = LocalResource::new(move || {
        set.version().track();
        delete.version().track();
        load_prices()
    });
    view! {
        <section class="prices" aria-labelledby="prices-title">
            <h2 id="prices-title">"Model prices"</h2>
            <p class="muted">"USD per million tokens, for the estimated cost. Models without a price are left out of it."</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading prices…"</p> }>
                {move || Suspend::new(async move {
                    match prices.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">"No prices set."</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="list compact prices-table">
                                <thead><tr><th>"Model"</th><th>"Prompt"</th><th>"Completion"</th><th></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|p| {
                                        let model = p.model.clone();
                                        view! {
                                            <tr>
                                                <td><code>{p.model.clone()}</code></td>
                                                <td class="num">{format!("${:.2}", p.prompt_usd_per_mtok)}</td>
                                                <td class="num">{format!("${:.2}", p.completion_usd_per_mtok)}</td>
                                                <td><button type="button" class="link" on:click=move |_| {
                                                    delete.dispatch(DeleteModelPrice { model: model.clone() });
                                                }>"Remove"</button></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Suspense>
            <ActionForm action=set attr:class="filters price-form">
                <label>"Model" <input type="text" name="model" required placeholder="gpt-4o-mini"/></label>
                <label>"Prompt $/M" <input type="number" name="prompt_usd_per_mtok" min="0" step="0.001" required/></label>
                <label>"Completion $/M" <input type="number" name="completion_usd_per_mtok" min="0" step="0.001" required/></label>
                <button type="submit" class="secondary">"Set price"</button>
            </ActionForm>
            {move || set.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
            {move || delete.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
        </section>
    }
}
