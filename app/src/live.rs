//! Live updates in the browser: subscribes to a Server-Sent Events stream and calls back
//! with each [`LiveEvent`]. On the server (SSR) it does nothing.

use crate::error::AppError;
use crate::types::LiveEvent;
use leptos::prelude::*;

/// Calls `on_event` for every [`LiveEvent`] that parses from the Server-Sent Events stream
/// at `url`, for the lifetime of the current component. All components of a tab that
/// follow the same `url` share one `EventSource` (a dashboard page and the layout's alert
/// notices hold one connection, not two); it closes when the last of them goes. The
/// browser reconnects by itself after errors.
#[allow(unused_variables)]
pub fn use_live_events(url: String, on_event: impl Fn(LiveEvent) + 'static) {
    #[cfg(feature = "hydrate")]
    {
        let Some(id) = hub::subscribe(&url, std::rc::Rc::new(on_event)) else { return };
        on_cleanup(move || hub::unsubscribe(&url, id));
    }
}

/// The tab's shared event streams, by URL (browser only).
#[cfg(feature = "hydrate")]
mod hub {
    use crate::types::LiveEvent;
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::rc::Rc;
    use wasm_bindgen::prelude::*;

    type Handler = Rc<dyn Fn(LiveEvent)>;
    type Handlers = Rc<RefCell<Vec<(u64, Handler)>>>;

    struct Stream {
        source: web_sys::EventSource,
        handlers: Handlers,
        _on_message: Closure<dyn Fn(web_sys::MessageEvent)>,
    }

    thread_local! {
        static STREAMS: RefCell<HashMap<String, Stream>> = RefCell::new(HashMap::new());
        static NEXT_ID: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    fn open(url: &str) -> Option<Stream> {
        let source = web_sys::EventSource::new(url).ok()?;
        let handlers: Handlers = Rc::default();
        let to_call = handlers.clone();
        let on_message = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            let Some(text) = ev.data().as_string() else { return };
            let Ok(event) = serde_json::from_str::<LiveEvent>(&text) else { return };
            // A copy: a handler may subscribe or unsubscribe (a view mounting or going).
            let now: Vec<Handler> = to_call.borrow().iter().map(|(_, h)| h.clone()).collect();
            for h in now {
                h(event.clone());
            }
        });
        source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Some(Stream { source, handlers, _on_message: on_message })
    }

    /// Adds `handler` to the stream at `url` (opened now if none is); its id, None when
    /// the browser refused the URL.
    pub fn subscribe(url: &str, handler: Handler) -> Option<u64> {
        let id = NEXT_ID.with(|n| {
            n.set(n.get() + 1);
            n.get()
        });
        STREAMS.with(|streams| {
            let mut streams = streams.borrow_mut();
            if !streams.contains_key(url) {
                streams.insert(url.to_string(), open(url)?);
            }
            streams.get(url)?.handlers.borrow_mut().push((id, handler));
            Some(id)
        })
    }

    /// Removes handler `id`; closes the stream when it was the last.
    pub fn unsubscribe(url: &str, id: u64) {
        STREAMS.with(|streams| {
            let mut streams = streams.borrow_mut();
            let Some(stream) = streams.get(url) else { return };
            stream.handlers.borrow_mut().retain(|(i, _)| *i != id);
            if stream.handlers.borrow().is_empty() {
                stream.source.close();
                // Dropped later: this may run inside the stream's own message handler
                // (a live event unmounting a view), and a running closure must live on.
                if let Some(gone) = streams.remove(url) {
                    leptos::task::spawn_local(async move { drop(gone) });
                }
            }
        });
    }
}

/// Keeps `current` — a value the server rendered and the page shows — up to date without
/// rebuilding the view around it: each time the signals read by `track` change (a live
/// event, an action finishing), `load` runs in the background and `absorb` folds its
/// result into `current`. Not on the first run (`current` is already fresh). Changes that
/// come while a load runs are coalesced: when it finishes, one more load runs, so a steady
/// stream of events cannot starve the page and the last change is always shown. Failed
/// loads leave `current` as it is (the next change tries again). Browser only; on the
/// server it does nothing.
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
    // (a load is running, something changed since it started)
    let state = StoredValue::new((false, false));
    let load = std::rc::Rc::new(load);
    Effect::new(move |prev: Option<()>| {
        track();
        if prev.is_none() {
            return;
        }
        if state.get_value().0 {
            state.update_value(|s| s.1 = true);
            return;
        }
        state.set_value((true, false));
        let load = load.clone();
        leptos::task::spawn_local(async move {
            loop {
                let loaded = load().await;
                // `try_`: the view may be gone by now (another persona chosen, page left).
                if let Ok(loaded) = loaded {
                    if current.try_update(|c| absorb(c, loaded)).is_none() {
                        return;
                    }
                }
                match state.try_get_value() {
                    Some((_, true)) => state.set_value((true, false)),
                    Some(_) => {
                        state.set_value((false, false));
                        return;
                    }
                    None => return,
                }
            }
        });
    });
}
