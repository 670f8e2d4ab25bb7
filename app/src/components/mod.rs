//! Small UI pieces shared by every page: errors (the error box, an error next to its
//! field), loading, length limits, and formatting helpers. Nothing here calls a server
//! function, so every feature can use it without a cycle.

mod errors;
mod format;
mod limits;

pub use errors::{ErrorBox, FieldError};
pub use format::{day_ms, format_time, percent_encode};
pub use limits::{limit_len, LimitCounter};

use leptos::prelude::*;

/// "Loading…", while a page's data is on its way.
#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="muted" aria-busy="true">"Loading…"</p> }
}

/// False on the server and until this part of the page is hydrated. Controls that only
/// work with JavaScript stay disabled until they do (a click would otherwise be lost).
pub fn use_interactive() -> ReadSignal<bool> {
    let (ready, set_ready) = signal(false);
    Effect::new(move || set_ready.set(true));
    ready
}

/// Renders `children` only in the browser, once the page is hydrated: the server and the
/// hydrating browser both see an empty placeholder. For parts that load their own data
/// with a `LocalResource` beside a page's server-rendered data: a `Suspense` around a
/// `LocalResource` hydrated against the server's fallback broke the Overview's
/// hydration (a marker expected where the fallback was); rendered fresh after mount,
/// nothing is hydrated.
#[component]
pub fn ClientOnly(children: ChildrenFn) -> impl IntoView {
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    move || mounted.get().then(|| children())
}
