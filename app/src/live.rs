//! Live updates in the browser: subscribes to a Server-Sent Events stream and calls back
//! with each [`LiveEvent`]. On the server (SSR) it does nothing.

use crate::types::LiveEvent;

/// Opens an `EventSource` on `url` for the lifetime of the current component and calls
/// `on_event` for every event that parses. The browser reconnects by itself after errors.
#[allow(unused_variables)]
pub fn use_live_events(url: String, on_event: impl Fn(LiveEvent) + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::prelude::on_cleanup;
        use send_wrapper::SendWrapper;
        use wasm_bindgen::prelude::*;

        let Ok(source) = web_sys::EventSource::new(&url) else {
            return;
        };
        let handler = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            if let Some(text) = ev.data().as_string() {
                if let Ok(event) = serde_json::from_str::<LiveEvent>(&text) {
                    on_event(event);
                }
            }
        });
        source.set_onmessage(Some(handler.as_ref().unchecked_ref()));
        let guard = SendWrapper::new((source, handler));
        on_cleanup(move || {
            let (source, _handler) = guard.take();
            source.close();
        });
    }
}
