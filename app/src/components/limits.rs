//! Length limits on text inputs, counted the way the server counts them.

use leptos::prelude::*;

/// Length of `text` as a limit counts it: characters, surrounding spaces left out (the
/// server trims before it checks).
pub fn limit_len(text: &str) -> usize {
    text.trim().chars().count()
}

/// The counter beside an input with a length limit. Inputs carry no `maxlength`, which
/// would cut typed or pasted text without a word: this shows `n / max` once the text
/// nears the limit and, past it, says by how much (`what`: "The name"). Give the input
/// `aria-describedby=id` and refuse to submit while [`limit_len`] is over `max`.
#[component]
pub fn LimitCounter(
    #[prop(into)] text: Signal<String>,
    max: usize,
    #[prop(into)] id: String,
    what: &'static str,
) -> impl IntoView {
    let len = move || text.with(|t| limit_len(t));
    move || {
        let n = len();
        let id = id.clone();
        if n > max {
            view! {
                <p class="error field-error limit-over" role="alert" id=id.clone() data-testid=id>
                    {format!("{what} is {n} characters long: at most {max} fit. Remove {} to continue.", n - max)}
                </p>
            }
            .into_any()
        } else if n * 4 >= max * 3 {
            view! { <p class="hint limit-count" id=id.clone() data-testid=id aria-live="polite">{format!("{n} / {max} characters")}</p> }
                .into_any()
        } else {
            view! { <span id=id hidden></span> }.into_any()
        }
    }
}
