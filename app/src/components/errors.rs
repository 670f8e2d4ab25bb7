//! Errors as users should see them: the message, never internals.

use crate::error::AppError;
use leptos::prelude::*;

/// An error as a block of its own (a page or a section that failed).
#[component]
pub fn ErrorBox(error: AppError) -> impl IntoView {
    view! { <p class="error" role="alert">{error.to_string()}</p> }
}

/// An error shown next to a form field. With `field`, only an `Invalid` error naming that
/// field shows, under the id and test id `{field}-error` (give the input
/// `aria-describedby` it); without, any error of the form shows.
#[component]
pub fn FieldError(
    #[prop(into)] error: Signal<Option<AppError>>,
    #[prop(optional)] field: Option<&'static str>,
) -> impl IntoView {
    let message = move || match (error.get(), field) {
        (Some(AppError::Invalid { field: Some(f), message }), Some(want)) if f == want => Some(message),
        (Some(_), Some(_)) | (None, _) => None,
        (Some(e), None) => Some(e.to_string()),
    };
    move || {
        message().map(|m| match field {
            Some(f) => view! {
                <p class="error field-error" role="alert" id=format!("{f}-error") data-testid=format!("{f}-error")>{m}</p>
            }
            .into_any(),
            None => view! { <p class="error field-error" role="alert">{m}</p> }.into_any(),
        })
    }
}
