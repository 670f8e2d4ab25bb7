//! The alert notices of the dashboard: mounted once in the dashboard layout, so every
//! open dashboard tab subscribes to `/admin/events` and shows each
//! [`LiveEvent::Alert`] ("Halted: ava — rule minor", a link to the conversation) until
//! the operator dismisses it.

use crate::live::use_live_events;
use crate::types::{Alert, LiveEvent};
use leptos::prelude::*;
use leptos_router::components::A;

/// Most notices shown at once (the oldest go first).
pub const MAX_NOTICES: usize = 5;

/// What a notice says: `Halted: <user> — rule <rule>` (or `Flagged: …`).
pub fn notice_text(a: &Alert) -> String {
    let what = match a.action.as_str() {
        "halt" => "Halted",
        "flag" => "Flagged",
        _ => "Guardrail",
    };
    format!("{what}: {} — rule {}", a.user_id, a.rule)
}

/// The stack of alert notices (bottom right), live.
#[component]
pub fn AlertToasts() -> impl IntoView {
    let notices = RwSignal::new(Vec::<(u64, Alert)>::new());
    let next = StoredValue::new(0u64);
    use_live_events("/admin/events".into(), move |ev| {
        if let LiveEvent::Alert { alert } = ev {
            let n = next.get_value() + 1;
            next.set_value(n);
            notices.update(|list| {
                list.push((n, alert));
                let over = list.len().saturating_sub(MAX_NOTICES);
                list.drain(..over);
            });
        }
    });
    view! {
        <div class="alert-toasts" aria-live="assertive">
            <For each=move || notices.get() key=|(n, _)| *n let:item>
                {
                    let (n, alert) = item;
                    let class = format!("alert-toast {}", alert.action);
                    let href = format!("/dashboard/monitor/{}", crate::components::percent_encode(&alert.user_id));
                    let text = notice_text(&alert);
                    let excerpt = alert.excerpt;
                    view! {
                        <div class=class role="alert" data-testid="alert-toast">
                            <A href=href>{text}</A>
                            <span class="muted excerpt">{excerpt}</span>
                            <button
                                type="button"
                                class="link"
                                aria-label="Dismiss"
                                on:click=move |_| notices.update(|l| l.retain(|(k, _)| *k != n))
                            >
                                "Dismiss"
                            </button>
                        </div>
                    }
                }
            </For>
        </div>
    }
}
