//! Who an end user of `/chat` is: the `pd_uid` cookie, set on first visit.

use super::AppState;
use crate::error::{AppError, AppResult};
use cookie::{Cookie, SameSite};

/// The cookie that identifies an end user of `/chat` (a random UUID, kept for a year).
pub const CHAT_COOKIE: &str = "pd_uid";

/// The end user's id from the `pd_uid` cookie. Errors: `Unauthorized` when it is missing
/// or malformed (the [`chat_identity`] middleware sets it on every page load).
pub fn cookie_user_id(headers: &http::HeaderMap) -> AppResult<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == CHAT_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| uuid::Uuid::parse_str(v).is_ok())
        .ok_or(AppError::Unauthorized)
}

/// Request extension set by [`chat_identity`] when it minted the request's `pd_uid` (the
/// client sent none). Such an id is good for rendering the chat page on a first visit,
/// but it is no identity the client holds: REST chat routes treat the request as having
/// no chat cookie (a cookieless script is not an anonymous browser).
#[derive(Clone, Copy, Debug)]
pub struct MintedChatId;

/// The `pd_uid` the client actually sent: as [`cookie_user_id`], but `Unauthorized` when
/// [`chat_identity`] minted it for this request ([`MintedChatId`]).
pub fn sent_cookie_user_id(headers: &http::HeaderMap, extensions: &http::Extensions) -> AppResult<String> {
    if extensions.get::<MintedChatId>().is_some() {
        return Err(AppError::Unauthorized);
    }
    cookie_user_id(headers)
}

/// The `Set-Cookie` value that gives a browser the end-user id `id`: HttpOnly,
/// SameSite=Lax, Path=/, kept for a year, Secure when `secure`.
fn chat_cookie(id: &str, secure: bool) -> Cookie<'static> {
    Cookie::build((CHAT_COOKIE, id.to_string()))
        .path("/")
        .max_age(cookie::time::Duration::days(365))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .build()
}

/// Axum middleware: gives every browser without a valid `pd_uid` cookie a new one (on the
/// request, so this request already sees it, and on the response), marking the request
/// with [`MintedChatId`]. HttpOnly, SameSite=Lax, Secure when the config says so.
pub async fn chat_identity(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if cookie_user_id(req.headers()).is_ok() {
        return next.run(req).await;
    }
    let id = uuid::Uuid::new_v4().to_string();
    if let Ok(v) = http::HeaderValue::from_str(&Cookie::new(CHAT_COOKIE, id.as_str()).to_string()) {
        req.headers_mut().append(http::header::COOKIE, v);
    }
    req.extensions_mut().insert(MintedChatId);
    let mut res = next.run(req).await;
    if let Ok(v) = http::HeaderValue::from_str(&chat_cookie(&id, state.config.secure_cookies).to_string()) {
        res.headers_mut().append(http::header::SET_COOKIE, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chat_cookie_must_be_a_uuid() {
        let mut h = http::HeaderMap::new();
        assert!(cookie_user_id(&h).is_err());
        h.insert(http::header::COOKIE, "a=1; pd_uid=not-a-uuid".parse().unwrap());
        assert!(cookie_user_id(&h).is_err());
        let id = uuid::Uuid::new_v4().to_string();
        h.insert(http::header::COOKIE, format!("a=1; pd_uid={id}").parse().unwrap());
        assert_eq!(cookie_user_id(&h).unwrap(), id);
        // Spacing, other cookies around it, and a second Cookie header.
        h.insert(http::header::COOKIE, "a=1;b=2".parse().unwrap());
        h.append(http::header::COOKIE, format!("c=3 ;  pd_uid={id} ; d").parse().unwrap());
        assert_eq!(cookie_user_id(&h).unwrap(), id);
        // Another cookie's value, or a name that only starts like it, is not the id.
        h.insert(http::header::COOKIE, format!("x={id}; pd_uidx={id}").parse().unwrap());
        assert!(cookie_user_id(&h).is_err());
    }

    #[test]
    fn the_chat_cookie_is_http_only_lax_for_a_year() {
        let id = uuid::Uuid::new_v4().to_string();
        for secure in [false, true] {
            let c = Cookie::parse(chat_cookie(&id, secure).to_string()).unwrap();
            assert_eq!((c.name(), c.value()), (CHAT_COOKIE, id.as_str()));
            assert_eq!(c.path(), Some("/"));
            assert_eq!(c.max_age(), Some(cookie::time::Duration::seconds(31_536_000)));
            assert_eq!(c.http_only(), Some(true));
            assert_eq!(c.same_site(), Some(SameSite::Lax));
            assert_eq!(c.secure().unwrap_or(false), secure);
        }
        let value = chat_cookie(&id, true).to_string();
        assert!(value.starts_with(&format!("pd_uid={id}; ")), "{value}");
        assert!(!chat_cookie(&id, false).to_string().contains("Secure"));
    }
}
