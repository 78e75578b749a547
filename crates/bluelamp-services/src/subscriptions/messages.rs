//! Rendering subscription mail: HTML escaping, the footer with its unsubscribe
//! link, and the confirmation and "already subscribed" messages.

use super::{BASE_URL, CONFIRM_HOURS};

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

pub(super) fn html_paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(|p| format!("<p>{}</p>", escape_html(p).replace('\n', "<br>")))
        .collect()
}

pub(super) fn html_document(title: &str, inner: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en-GB\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family:sans-serif;max-width:40em;margin:auto;color:#111\">{inner}\
         <p style=\"color:#555;font-size:90%\">In an emergency always call 999. Replies to this message are not read.</p>\
         </body></html>",
        escape_html(title)
    )
}

/// A rendered message: subject, plain text and HTML.
pub(super) struct Rendered {
    pub(super) subject: String,
    pub(super) text: String,
    pub(super) html: String,
}

pub(super) fn unsubscribe_path(token: &str) -> String {
    format!("{BASE_URL}/subscriptions/unsubscribe/{token}")
}

pub(super) fn footer_text(scope: &str, unsubscribe: &str) -> String {
    format!(
        "\n\n--\nYou get this because you subscribed to {scope}.\n\
         Unsubscribe with one click: {unsubscribe}\n\
         In an emergency always call 999. Replies to this message are not read.\n"
    )
}

pub(super) fn footer_html(scope: &str, unsubscribe: &str) -> String {
    format!(
        "<hr><p style=\"color:#555;font-size:90%\">You get this because you subscribed to {}. \
         <a href=\"{}\">Unsubscribe</a> with one click.</p>",
        escape_html(scope),
        escape_html(unsubscribe)
    )
}

pub(super) fn render_confirmation(scope: &str, token: &str) -> Rendered {
    let link = format!("{BASE_URL}/subscriptions/confirm/{token}");
    let subject = format!("Confirm your subscription to {scope}");
    let text = format!(
        "Someone, probably you, asked to receive posts from {scope} by e-mail.\n\n\
         To confirm, open this link within {CONFIRM_HOURS} hours:\n{link}\n\n\
         If you did not ask for this, ignore this message: nothing more will be sent \
         and your address will not be used.\n\n\
         In an emergency always call 999. Replies to this message are not read.\n"
    );
    let html = html_document(
        &subject,
        &format!(
            "<h1>Confirm your subscription</h1><p>Someone, probably you, asked to receive posts from {} by e-mail.</p>\
             <p><a href=\"{}\">Confirm my subscription</a> (the link works for {CONFIRM_HOURS} hours).</p>\
             <p>If you did not ask for this, ignore this message: nothing more will be sent and your address will not be used.</p>",
            escape_html(scope),
            escape_html(&link)
        ),
    );
    Rendered {
        subject,
        text,
        html,
    }
}

pub(super) fn render_already_subscribed(scope: &str, unsubscribe: &str) -> Rendered {
    let subject = format!("You are already subscribed to {scope}");
    let text = format!(
        "Someone, probably you, asked again to receive posts from {scope} by e-mail. \
         This address is already subscribed, so nothing has changed.\n\n\
         To change how often you hear from us, unsubscribe and subscribe again.{}",
        footer_text(scope, unsubscribe)
    );
    let html = html_document(
        &subject,
        &format!(
            "<h1>Already subscribed</h1><p>Someone, probably you, asked again to receive posts from {} by e-mail. \
             This address is already subscribed, so nothing has changed.</p>{}",
            escape_html(scope),
            footer_html(scope, unsubscribe)
        ),
    );
    Rendered {
        subject,
        text,
        html,
    }
}
