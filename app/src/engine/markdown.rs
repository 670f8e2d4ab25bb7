//! Message text as HTML the UI may insert as is: Markdown for assistant and operator
//! messages, escaped plain text for the others. Always safe: no scripts, no event
//! handlers, no `javascript:` links.
//!
//! Two layers: raw HTML inside Markdown is turned into text before rendering (a reply
//! that says `<b>` shows `<b>`), and the rendered HTML then goes through `ammonia`'s
//! allow-list, which also drops URLs with schemes other than http(s)/mailto and adds
//! `rel="noopener noreferrer"` and `target="_blank"` to links.

use crate::types::Sender;
use pulldown_cmark::{html, Event, Options, Parser, Tag, TagEnd};
use std::collections::HashSet;
use std::sync::OnceLock;

/// `content` as sanitized HTML for a message from `sender`.
pub fn to_html(sender: Sender, content: &str) -> String {
    match sender {
        Sender::Assistant | Sender::Operator => markdown(content),
        Sender::User | Sender::Notice => escape(content),
    }
}

/// Markdown → HTML → sanitized HTML.
fn markdown(content: &str) -> String {
    let options = Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(content, options).map(|event| match event {
        // Raw HTML is shown as what it is, never interpreted.
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        // A chat message's line breaks are meant as such.
        Event::SoftBreak => Event::HardBreak,
        // Images would load third-party URLs (tracking): a link to them instead.
        Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
            Event::Start(Tag::Link { link_type, dest_url, title, id })
        }
        Event::End(TagEnd::Image) => Event::End(TagEnd::Link),
        other => other,
    });
    let mut raw = String::with_capacity(content.len() * 3 / 2);
    html::push_html(&mut raw, events);
    sanitizer().clean(&raw).to_string()
}

/// The allow-list every rendered message goes through (built once).
fn sanitizer() -> &'static ammonia::Builder<'static> {
    static CLEANER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    CLEANER.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.url_schemes(HashSet::from(["http", "https", "mailto"]))
            .link_rel(Some("noopener noreferrer"))
            .set_tag_attribute_value("a", "target", "_blank")
            .rm_tags(["img"])
            // Task list check boxes: shown, never editable.
            .add_tags(["input"])
            .add_tag_attributes("input", ["type", "checked", "disabled"]);
        b
    })
}

/// HTML-escapes `text` (`&`, `<`, `>`, `"`, `'`).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(s: &str) -> String {
        to_html(Sender::Assistant, s)
    }

    #[test]
    fn user_and_notice_text_is_escaped_not_rendered() {
        assert_eq!(to_html(Sender::User, "**hi** <script>x</script>"), "**hi** &lt;script&gt;x&lt;/script&gt;");
        assert_eq!(to_html(Sender::Notice, "a & 'b' \"c\""), "a &amp; &#39;b&#39; &quot;c&quot;");
    }

    #[test]
    fn assistant_and_operator_text_is_markdown() {
        let out = md("Some **bold** and `code`.\n\n- one\n- two\n\n```rust\nfn main() {}\n```");
        assert!(out.contains("<strong>bold</strong>"), "{out}");
        assert!(out.contains("<code>code</code>"), "{out}");
        assert!(out.contains("<ul>\n<li>one</li>\n<li>two</li>\n</ul>"), "{out}");
        assert!(out.contains("<pre><code>fn main() {}\n</code></pre>"), "{out}");
        assert!(to_html(Sender::Operator, "_note_").contains("<em>note</em>"));
    }

    #[test]
    fn line_breaks_are_kept() {
        assert_eq!(md("one\ntwo"), "<p>one<br>\ntwo</p>\n");
    }

    #[test]
    fn links_open_in_a_new_tab_without_the_opener() {
        let out = md("[docs](https://example.com/a?b=1)");
        assert!(out.contains("href=\"https://example.com/a?b=1\""), "{out}");
        assert!(out.contains("rel=\"noopener noreferrer\""), "{out}");
        assert!(out.contains("target=\"_blank\""), "{out}");
    }

    #[test]
    fn scripts_handlers_and_javascript_links_come_out_inert() {
        for evil in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "hello <b onmouseover=alert(1)>x</b>",
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "![x](javascript:alert(1))",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<svg onload=alert(1)>",
        ] {
            for out in [md(evil), to_html(Sender::User, evil)] {
                // Escaped text may say anything; what matters is the tags (text never
                // holds a literal `<`).
                for tag in tags(&out) {
                    let tag = tag.to_lowercase();
                    let name =
                        tag[1..].trim_start_matches('/').split([' ', '>']).next().unwrap_or_default().to_string();
                    assert!(!["script", "img", "iframe", "svg"].contains(&name.as_str()), "{evil} → {out}");
                    assert!(!tag.contains(" on"), "{evil} → {out}");
                    assert!(!tag.contains("javascript:") && !tag.contains("data:"), "{evil} → {out}");
                }
            }
        }
    }

    /// The tags of `html`, each from `<` to `>`.
    fn tags(html: &str) -> Vec<&str> {
        html.match_indices('<').filter_map(|(i, _)| html[i..].find('>').map(|j| &html[i..=i + j])).collect()
    }

    #[test]
    fn raw_html_in_markdown_is_shown_as_text() {
        assert_eq!(md("a <img src=x onerror=alert(1)> b"), "<p>a &lt;img src=x onerror=alert(1)&gt; b</p>\n");
    }

    #[test]
    fn images_become_links() {
        let out = md("![cat](https://example.com/cat.png)");
        assert!(!out.contains("<img"), "{out}");
        assert!(out.contains("<a href=\"https://example.com/cat.png\""), "{out}");
    }
}
