//! Live updates in the browser: subscribes to a Server-Sent Events stream and calls back
//! with each [`LiveEvent`]. On the server (SSR) it does nothing.

use crate::error::AppError;
use crate::types::LiveEvent;
use leptos::prelude::*;

/// Opens an `EventSource` on `url` for the lifetime of the current component and calls
/// `on_event` for every event that parses. The browser reconnects by itself after errors.
#[allow(unused_variables)]
pub fn use_live_events(url: String, on_event: impl Fn(LiveEvent) + 'static) {
    #[cfg(feature = "hydrate")]
    {
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

/// Keeps `current` — a value the server rendered and the page shows — up to date without
/// rebuilding the view around it: each time the signals read by `track` change (a live
/// event, an action finishing), `load` runs in the background and `absorb` folds its
/// result into `current`. Not on the first run (`current` is already fresh), and a load
/// that finishes after a newer one started is dropped. Failed loads leave `current` as it
/// is (the next event tries again). Browser only; on the server it does nothing.
///
/// Use it for pages whose forms must survive live updates (a half-typed message keeps
/// its text and focus when another message arrives).
pub fn refresh_on<T, Fut>(
    current: RwSignal<T>,
    track: impl Fn() + 'static,
    load: impl Fn() -> Fut + 'static,
    absorb: impl Fn(&mut T, T) + Copy + 'static,
) where
    T: Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<T, AppError>> + 'static,
{
    let loads = StoredValue::new(0u64);
    Effect::new(move |prev: Option<()>| {
        track();
        if prev.is_none() {
            return;
        }
        let n = loads.get_value() + 1;
        loads.set_value(n);
        let fut = load();
        leptos::task::spawn_local(async move {
            // `try_`: the view may be gone by now (another persona chosen, page left).
            if let Ok(loaded) = fut.await {
                if loads.try_get_value() == Some(n) {
                    current.try_update(|c| absorb(c, loaded));
                }
            }
        });
    });
}
