//! The live wall (`/dashboard/monitor`): every conversation with its status, persona and
//! version, last message, unread count and sentiment, riskiest first. It follows
//! `/admin/events`: new users and messages, halts and flags reorder it as they happen,
//! without a reload. Filters (status, persona, label), a search and pages.

use super::api::{load_wall, WALL_PAGE_SIZE};
use super::interventions_api::persona_choices;
use super::is_piece;
use crate::components::{format_time, percent_encode, ErrorBox, Loading};
use crate::live::{refresh_on, use_live_events};
use crate::types::{PersonaSummary, Sender, WallPage, WallRow};
use leptos::prelude::*;
use leptos_router::components::A;

/// `/dashboard/monitor`.
#[component]
pub fn UserList() -> impl IntoView {
    let tick = RwSignal::new(0u64);
    // Not for the pieces of a reply being generated: the stored reply follows.
    use_live_events("/admin/events".into(), move |ev| {
        if !is_piece(&ev) {
            tick.update(|t| *t += 1)
        }
    });
    // Loaded once; live events and filters fold reloads into the wall (see `Wall`).
    // One server call per resource: during SSR the router may build this page more than
    // once and drop the extra copies. A fetcher that made a second call after an `.await`
    // then failed there (its context gone), and since the browser takes the first copy's
    // serialized value, it hydrated an error box into the server's table and panicked.
    let wall = Resource::new(|| (), |_| load_wall(None, None, None, None, None));
    let personas = Resource::new(|| (), |_| persona_choices());
    view! {
        <div class="page-head"><h1>"Monitor"</h1><span class="live" title="Updates live">"● live"</span></div>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match (wall.await, personas.await) {
                    (Ok(page), Ok(personas)) => view! { <Wall page personas tick/> }.into_any(),
                    (Err(e), _) | (_, Err(e)) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// What the wall's filters hold.
#[derive(Clone, Debug, Default, PartialEq)]
struct Filters {
    status: String,
    persona_id: Option<i64>,
    label: String,
    q: String,
    offset: i64,
}

fn some(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

/// How the wall names who wrote a user's newest message.
fn sender_label(sender: Sender) -> &'static str {
    match sender {
        Sender::User => "User",
        Sender::Assistant => "Persona",
        Sender::Operator => "Operator",
        Sender::Notice => "Pause notice",
    }
}

/// The badge text of a row's status.
fn status_text(r: &WallRow) -> &'static str {
    match r.status() {
        "waiting" => "waiting for approval",
        other => other,
    }
}

#[component]
fn Wall(page: WallPage, personas: Vec<PersonaSummary>, tick: RwSignal<u64>) -> impl IntoView {
    let current = RwSignal::new(page);
    let filters = RwSignal::new(Filters::default());
    refresh_on(
        current,
        move || {
            tick.track();
            filters.track();
        },
        move || {
            let f = filters.get_untracked();
            load_wall(some(&f.status), f.persona_id, some(&f.label), some(&f.q), Some(f.offset))
        },
        |c, loaded| *c = loaded,
    );
    let set = move |change: fn(&mut Filters, String), value: String| {
        filters.update(|f| {
            change(f, value);
            f.offset = 0;
        })
    };
    let rows = move || current.with(|p| p.rows.clone());
    let empty = Memo::new(move |_| current.with(|p| p.rows.is_empty()));
    let pager = Memo::new(move |_| current.with(|p| (p.offset, p.rows.len() as i64, p.total)));
    view! {
        <form class="filters wall-filters" role="search" on:submit=|ev| ev.prevent_default()>
            <label>"Status"
                <select name="status" on:change=move |ev| set(|f, v| f.status = v, event_target_value(&ev))>
                    <option value="">"All"</option>
                    <option value="halted">"Halted"</option>
                    <option value="flagged">"Flagged"</option>
                    <option value="waiting">"Waiting for approval"</option>
                </select>
            </label>
            <label>"Persona"
                <select name="persona_id" on:change=move |ev| set(|f, v| f.persona_id = v.parse().ok(), event_target_value(&ev))>
                    <option value="">"All"</option>
                    {personas.into_iter().map(|p| view! { <option value=p.id.to_string()>{p.name}</option> }).collect_view()}
                </select>
            </label>
            <label>"Label"
                <input type="text" name="label" placeholder="production" maxlength="32"
                    on:change=move |ev| set(|f, v| f.label = v, event_target_value(&ev))/>
            </label>
            <label>"Search"
                <input type="search" name="q" placeholder="User or message text" maxlength="200"
                    on:input=move |ev| set(|f, v| f.q = v, event_target_value(&ev))/>
            </label>
        </form>
        {move || if empty.get() {
            view! { <p class="empty">"No conversations match. They appear here as soon as someone chats."</p> }.into_any()
        } else {
            view! {
                <table class="list users wall">
                    <thead><tr>
                        <th>"User and last message"</th>
                        <th>"Status"</th>
                        <th>"Persona"</th>
                        <th class="count">"Messages"</th>
                        <th class="count">"Unread"</th>
                        <th class="count">"Sentiment"</th>
                        <th>"Last active"</th>
                    </tr></thead>
                    <tbody>
                        <For
                            each=rows
                            key=|u| (u.user_id.clone(), u.status(), u.message_count, u.unread, u.last_message_at, u.persona_version)
                            let:u
                        >
                            <WallLine u/>
                        </For>
                    </tbody>
                </table>
            }.into_any()
        }}
        {move || {
            let (from, shown, total) = pager.get();
            (total > 0).then(|| view! {
                <nav class="pager" aria-label="Pages">
                    <span class="muted" data-testid="wall-count">{format!("{}–{} of {total}", from + 1, from + shown)}</span>
                    {(from > 0).then(|| view! {
                        <button type="button" class="link" on:click=move |_| filters.update(|f| f.offset = (f.offset - WALL_PAGE_SIZE).max(0))>"Previous"</button>
                    })}
                    {(from + shown < total).then(|| view! {
                        <button type="button" class="link" on:click=move |_| filters.update(|f| f.offset += WALL_PAGE_SIZE)>"Next"</button>
                    })}
                </nav>
            })
        }}
    }
}

/// One conversation on the wall.
#[component]
fn WallLine(u: WallRow) -> impl IntoView {
    let status = u.status();
    let persona = u.persona_name.clone().map(|p| match u.persona_version {
        Some(v) => format!("{p} v{v}"),
        None => p,
    });
    let (user, href) = (u.user_id.clone(), format!("/dashboard/monitor/{}", percent_encode(&u.user_id)));
    let row_user = user.clone();
    view! {
        <tr data-user=row_user data-status=status>
            <td class="user">
                <A href=href>{user}</A>
                {u.last_message.clone().map(|text| view! {
                    <span class="preview" data-testid="last-message">
                        {u.last_sender.map(|s| view! { <span class="muted">{format!("{}: ", sender_label(s))}</span> })}
                        {text}
                    </span>
                })}
            </td>
            <td><span class=format!("badge {status}") data-testid="wall-status">{status_text(&u)}</span></td>
            <td>{persona.unwrap_or_else(|| "—".into())}{u.label.clone().map(|l| view! { <span class="badge label">{l}</span> })}</td>
            <td class="count">{u.message_count}</td>
            <td class="count" data-testid="unread">{(u.unread > 0).then(|| view! { <span class="badge unread">{u.unread}</span> })}</td>
            <td class="count">{u.sentiment.map(|s| format!("{s:+.2}")).unwrap_or_else(|| "—".into())}</td>
            <td class="when">{u.last_message_at.map(format_time).unwrap_or_else(|| "—".into())}</td>
        </tr>
    }
}
