//! The forked turn's box in the playground: whose turn it is, what they said, the reply it
//! got in production, and the context a run reuses.

use crate::components::percent_encode;
use crate::types::ForkContext;
use leptos::prelude::*;
use leptos_router::components::A;

/// The forked turn: user, message, production reply and the reused context.
#[component]
pub fn ForkBox(f: ForkContext) -> impl IntoView {
    let t = f.turn;
    let answered = t.template_version.map(|v| format!("v{v}")).unwrap_or_else(|| "an unknown version".into());
    let production = match f.production_version {
        Some(v) if Some(v) == t.template_version => format!("{answered}, still production"),
        Some(v) => format!("{answered}; production is v{v} now"),
        None => format!("{answered}; the persona has no production version now"),
    };
    let memory = t.memory.len();
    let history = t.history.len();
    let additions = t.instructions.len() + t.notes.len();
    let monitor = format!("/dashboard/monitor/{}", percent_encode(&t.user_id));
    view! {
        <section class="fork-box" aria-label="Forked turn" data-testid="fork-box">
            <h2>"Forked turn"</h2>
            <p>
                "From "<A href=monitor>{t.user_id.clone()}</A>"'s conversation, answered by "{production}". "
                "Each run reuses this turn's context and writes to no conversation."
            </p>
            <dl class="pg-meta">
                <dt>"User message"</dt><dd data-testid="fork-message">{t.user_message.clone()}</dd>
                <dt>"Reply in production"</dt>
                <dd data-testid="fork-reply">{t.reply.clone().unwrap_or_else(|| "none".into())}</dd>
                <dt>"Summary"</dt>
                <dd>{t.summary.clone().filter(|s| !s.trim().is_empty()).unwrap_or_else(|| "none".into())}</dd>
                <dt>"Context"</dt>
                <dd>{format!(
                    "{history} earlier message{}, {memory} memory entr{}, {additions} instruction{} and note{}",
                    if history == 1 { "" } else { "s" },
                    if memory == 1 { "y" } else { "ies" },
                    if additions == 1 { "" } else { "s" },
                    if additions == 1 { "" } else { "s" },
                )}</dd>
            </dl>
            {(!t.recorded).then(|| view! {
                <p class="muted">"This turn was logged before contexts were kept: its history, memory and summary are as they are now."</p>
            })}
        </section>
    }
}
