//! The dashboard pages as the server renders them: every page answers 200 for a
//! logged-in operator, and the data it hands the browser for hydration
//! (`__RESOLVED_RESOURCES`) holds no error. During SSR the router may build a page more
//! than once and drop the extra copies; a resource whose fetcher made a second server
//! call after an `.await` then serialized that call's error ("AppState missing from
//! context") for the browser, which hydrated an error box into the server's table and
//! panicked (the monitor list did, about one load in five).

use crate::helpers::{spawn_app, Backend};
use crate::on_both;
use reqwest::StatusCode;

/// The serialized resource values in a page, as `(id, JSON text)`.
fn resolved_resources(html: &str) -> Vec<(String, String)> {
    let marker = "__RESOLVED_RESOURCES[";
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(marker) {
        rest = &rest[at + marker.len()..];
        let id = rest.split(']').next().unwrap_or_default().to_string();
        // `] = "<escaped JSON>";`
        let value = rest.split_once("= \"").map(|(_, v)| v).unwrap_or_default();
        let mut end = 0;
        let bytes = value.as_bytes();
        while end < bytes.len() && !(bytes[end] == b'"' && (end == 0 || bytes[end - 1] != b'\\')) {
            end += 1;
        }
        out.push((id, value[..end].replace("\\\"", "\"")));
    }
    out
}

async fn dashboard_pages_hand_the_browser_no_errors(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    for u in ["amy", "ben"] {
        assert_eq!(app.chat(u, &format!("hello from {u}")).await.0, StatusCode::OK);
    }
    let pages = [
        "/dashboard",
        "/dashboard?range=30d",
        "/dashboard/personas",
        "/dashboard/monitor",
        "/dashboard/monitor/amy",
        "/dashboard/memory",
        "/dashboard/jobs",
        "/dashboard/guardrails",
        "/dashboard/audit",
        "/dashboard/end-users",
        "/dashboard/settings",
        "/dashboard/library",
        "/dashboard/trash",
        "/dashboard/personas/1/playground",
    ];
    for page in pages {
        // The extra copies come and go with timing: several loads per page, more of the
        // monitor list (whose panic this guards against: 1 load in 5 before the fix).
        let loads = if page == "/dashboard/monitor" { 12 } else { 5 };
        for _ in 0..loads {
            // A page whose render waits forever (a dropped copy's resource never
            // resolving) is a failure with the page's name, not a hung test.
            let load = async {
                let resp = app.client.get(format!("{}{page}", app.base)).send().await.unwrap();
                assert_eq!(resp.status(), StatusCode::OK, "{page}");
                resp.text().await.unwrap()
            };
            let html = tokio::time::timeout(std::time::Duration::from_secs(20), load)
                .await
                .unwrap_or_else(|_| panic!("{page} did not finish rendering in 20 s"));
            let resources = resolved_resources(&html);
            assert!(!resources.is_empty(), "{page} hands the browser its data");
            for (id, value) in resources {
                assert!(!value.contains("{\"Err\":"), "{page}: resource {id} is an error: {value}");
            }
        }
    }
}
on_both!(dashboard_pages_hand_the_browser_no_errors);

/// Servers starting in the same process never leave another server's page rendering
/// forever. Working out a server's routes runs the whole app with resource loads
/// suppressed, and leptos keeps that switch process-wide: a resource that first polled
/// while any server in the process was working out its routes waited forever
/// (leptos-rs/leptos#4773), and so did its page (the monitor list hung this way under
/// the full suite). Here servers' routes are worked out without pause while pages load.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_while_other_servers_start() {
    pages_render_while_routes_are_built(server::startup::route_list).await;
}

async fn pages_render_while_routes_are_built<T: 'static>(build: fn() -> T) {
    use std::sync::atomic::{AtomicBool, Ordering};
    let app = spawn_app(Backend::Sqlite).await;
    app.login_admin().await;
    assert_eq!(app.chat("amy", "hello").await.0, StatusCode::OK);
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let building = std::thread::spawn({
        let stop = stop.clone();
        move || {
            while !stop.load(Ordering::Relaxed) {
                drop(build());
            }
        }
    });
    for n in 0..40 {
        let load = async {
            let resp = app.client.get(format!("{}/dashboard/monitor", app.base)).send().await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
            resp.text().await.unwrap()
        };
        let html = tokio::time::timeout(std::time::Duration::from_secs(10), load).await;
        let html = html.unwrap_or_else(|_| {
            stop.store(true, Ordering::Relaxed);
            panic!("load {n} of /dashboard/monitor did not finish rendering in 10 s")
        });
        assert!(html.contains("data-user=\"amy\""), "load {n} shows the wall");
    }
    stop.store(true, Ordering::Relaxed);
    building.join().unwrap();
}
