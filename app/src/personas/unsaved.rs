//! Asks before unsaved edits are lost: on a link inside the app, and when the tab is
//! closed or reloaded (`beforeunload`). leptos_router 0.8 has no hook to hold a
//! navigation back, but its link handler ignores clicks whose default is prevented, so a
//! capture-phase listener (which runs before it) asks first.

use leptos::prelude::*;

/// While the page lives and `unsaved` is true, leaving it asks first.
pub fn warn_before_leaving(unsaved: Signal<bool>) {
    #[cfg(feature = "hydrate")]
    browser::install(unsaved);
    #[cfg(not(feature = "hydrate"))]
    let _ = unsaved;
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use send_wrapper::SendWrapper;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    /// What the confirmation asks.
    const QUESTION: &str = "You have unsaved changes. Leave this page and lose them?";

    /// True when the click is on a link that leaves this page in this tab.
    fn leaves_page(ev: &web_sys::MouseEvent) -> bool {
        if ev.default_prevented()
            || ev.button() != 0
            || ev.meta_key()
            || ev.ctrl_key()
            || ev.shift_key()
            || ev.alt_key()
        {
            return false;
        }
        let Some(link) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("a[href]").ok().flatten())
        else {
            return false;
        };
        let new_tab = link.get_attribute("target").is_some_and(|t| !t.is_empty() && t != "_self");
        let same_page = link.get_attribute("href").is_some_and(|h| h.starts_with('#'));
        !(new_tab || same_page || link.has_attribute("download"))
    }

    pub fn install(unsaved: Signal<bool>) {
        let is_unsaved = move || unsaved.try_get_untracked().unwrap_or(false);
        let unload = window_event_listener(leptos::ev::beforeunload, move |ev| {
            if is_unsaved() {
                // Either one makes the browser ask (older engines read `returnValue`).
                ev.prevent_default();
                ev.set_return_value(QUESTION);
            }
        });
        let click = Closure::<dyn Fn(web_sys::MouseEvent)>::new(move |ev: web_sys::MouseEvent| {
            if is_unsaved() && leaves_page(&ev) && !window().confirm_with_message(QUESTION).unwrap_or(true) {
                // The router skips a prevented click; the browser does not follow it either.
                ev.prevent_default();
            }
        });
        if window().add_event_listener_with_callback_and_bool("click", click.as_ref().unchecked_ref(), true).is_err() {
            return;
        }
        let click = SendWrapper::new(click);
        on_cleanup(move || {
            unload.remove();
            let click = click.take();
            _ = window().remove_event_listener_with_callback_and_bool("click", click.as_ref().unchecked_ref(), true);
        });
    }
}
