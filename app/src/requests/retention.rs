//! The request log's retention setting: after N days a call keeps its figures and loses
//! its texts. Loaded in the browser (`LocalResource`), outside the page's server render.

use super::api::{load_retention, SetRetention};
use crate::components::ErrorBox;
use leptos::prelude::*;

#[component]
pub fn RetentionSection() -> impl IntoView {
    let set = ServerAction::<SetRetention>::new();
    let current = LocalResource::new(move || {
        set.version().track();
        load_retention()
    });
    view! {
        <section class="retention" aria-labelledby="retention-title">
            <h2 id="retention-title">"Retention"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match current.await {
                        Ok(days) => view! {
                            <p data-testid="retention-now">{match days {
                                Some(d) => format!("Texts are kept for {d} days; older calls keep only their figures."),
                                None => "Texts are kept for as long as the calls are.".to_string(),
                            }}</p>
                            <ActionForm action=set attr:class="filters">
                                <label>"Keep texts for (days)"
                                    <input type="number" name="days" min="1" max="3650" value=days.map(|d| d.to_string()).unwrap_or_default()
                                        placeholder="for ever"/>
                                </label>
                                <button type="submit" class="secondary">"Save"</button>
                            </ActionForm>
                        }.into_any(),
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Suspense>
            {move || set.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
        </section>
    }
}
