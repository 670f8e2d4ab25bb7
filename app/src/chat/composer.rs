//! The chat's composer: the message box (Enter sends, Shift+Enter is a new line), the
//! length limit, Send, and Stop while a reply is being generated.

use crate::components::use_interactive;
use leptos::prelude::*;

/// Longest message an end user may send, in characters (mirrors the server's
/// `engine::chat::MAX_MESSAGE_CHARS`, which is ssr-only; a test keeps them equal).
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// From this length on the composer shows how much room is left.
const COUNTER_FROM_CHARS: usize = MAX_MESSAGE_CHARS * 9 / 10;

/// `n` with thousands separators: 4000 → "4,000".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Why a draft of `chars` characters cannot be sent, if it is too long.
pub fn too_long_message(chars: usize) -> Option<String> {
    (chars > MAX_MESSAGE_CHARS).then(|| {
        format!(
            "This message is {} characters long; the limit is {}. Shorten it by {} to send it.",
            thousands(chars),
            thousands(MAX_MESSAGE_CHARS),
            thousands(chars - MAX_MESSAGE_CHARS)
        )
    })
}

/// The message box with Send (and Stop while `generating`). `on_send` gets the draft when
/// the user sends it (not empty, not too long, not `locked`, nothing generating); the
/// caller clears `draft` when it takes it. `on_stop` runs when Stop is pressed.
#[component]
pub fn Composer(
    draft: RwSignal<String>,
    #[prop(into)] locked: Signal<bool>,
    #[prop(into)] generating: Signal<bool>,
    #[prop(into)] can_stop: Signal<bool>,
    on_send: Callback<String>,
    on_stop: Callback<()>,
) -> impl IntoView {
    let ready = use_interactive();
    let chars = Memo::new(move |_| draft.with(|d| d.chars().count()));
    let too_long = move || too_long_message(chars.get());
    let submit = move || {
        let text = draft.get_untracked();
        if text.trim().is_empty() || generating.get_untracked() || locked.get_untracked() || too_long().is_some() {
            return;
        }
        on_send.run(text);
    };
    view! {
        <form class="composer" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <div class="composer-field">
                <label class="sr-only" for="chat-input">"Message"</label>
                <textarea
                    id="chat-input"
                    name="message"
                    rows="2"
                    aria-describedby="chat-limit"
                    aria-invalid=move || too_long().is_some().to_string()
                    placeholder="Write a message… (Enter to send, Shift+Enter for a new line)"
                    disabled=move || locked.get()
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                            ev.prevent_default();
                            submit();
                        }
                    }
                ></textarea>
                <div id="chat-limit" class="limit">
                    {move || match too_long() {
                        Some(why) => view! { <p class="error" role="alert" data-testid="too-long">{why}</p> }.into_any(),
                        None => (chars.get() >= COUNTER_FROM_CHARS).then(|| view! {
                            <p class="counter" data-testid="char-counter">
                                {format!("{} / {} characters", thousands(chars.get()), thousands(MAX_MESSAGE_CHARS))}
                            </p>
                        }).into_any(),
                    }}
                </div>
            </div>
            {move || can_stop.get().then(|| view! {
                <button type="button" class="stop secondary" on:click=move |_| on_stop.run(())>"Stop"</button>
            })}
            <button
                type="submit"
                disabled=move || !ready.get() || generating.get() || locked.get() || too_long().is_some()
            >"Send"</button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_numbers_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(4000), "4,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn a_message_over_the_limit_is_refused_with_how_much_to_cut() {
        assert_eq!(too_long_message(MAX_MESSAGE_CHARS), None);
        assert_eq!(
            too_long_message(5000).as_deref(),
            Some("This message is 5,000 characters long; the limit is 4,000. Shorten it by 1,000 to send it.")
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn the_limit_matches_the_server() {
        assert_eq!(MAX_MESSAGE_CHARS, crate::engine::chat::MAX_MESSAGE_CHARS);
    }
}
