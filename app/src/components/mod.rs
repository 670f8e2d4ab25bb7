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
