//! Page layout shared by the staff UI and the public pages: landmarks, a skip
//! link, one `h1` per page, and forms whose every input has a label.

use maud::{html, Markup, PreEscaped, DOCTYPE};

pub const STYLESHEET: &str = include_str!("../assets/app.css");
/// Progressive enhancement for the compose page: live governance findings.
pub const COMPOSE_SCRIPT: &str = include_str!("../assets/compose.js");

/// The staff navigation, present when someone is logged in.
pub struct Nav<'a> {
    pub username: &'a str,
    pub role: &'a str,
    pub csrf: &'a str,
    /// The pages this person may use, in order (decided by their role's
    /// permissions, so nobody is shown a link that would refuse them).
    pub links: Vec<NavLink>,
}

/// One entry of the staff navigation; `count` is shown as a badge (unread).
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub count: i64,
}

pub fn page(title: &str, nav: Option<&Nav<'_>>, content: Markup) -> Markup {
    page_with_head(title, nav, html! {}, content)
}

/// A page with extra `<head>` elements: feed discovery links, OpenGraph metadata.
pub fn page_with_head(title: &str, nav: Option<&Nav<'_>>, head: Markup, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Bluelamp" }
                link rel="stylesheet" href="/assets/app.css";
                link rel="manifest" href="/manifest.webmanifest";
                link rel="icon" href="/assets/icon.svg" type="image/svg+xml";
                meta name="theme-color" content="#0b3d91";
                @if nav.is_some() { script src="/assets/forms.js" defer {} }
                (head)
            }
            body {
                a.skip href="#main" { "Skip to main content" }
                header.site {
                    a href=(if nav.is_some() { "/staff" } else { "/" }) { strong { "Bluelamp" } }
                    @if let Some(nav) = nav {
                        nav aria-label="Staff" {
                            ul {
                                @for link in &nav.links {
                                    li {
                                        a href=(link.href) {
                                            (link.label)
                                            @if link.count > 0 { " " span.count { (link.count) } span.visually-hidden { " unread" } }
                                        }
                                    }
                                }
                            }
                        }
                        form method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(nav.csrf);
                            span { (nav.username) " (" (nav.role) ") " }
                            button.secondary type="submit" { "Log out" }
                        }
                    }
                }
                main id="main" tabindex="-1" {
                    h1 { (title) }
                    (content)
                }
                footer { "Bluelamp · in an emergency always call 999" }
            }
        }
    }
}

pub fn error_page(status: u16, title: &str, detail: &str, field: Option<&str>) -> Markup {
    page(title, None, error_body(status, detail, field, false))
}

/// The body of an error page; `staff` when it is shown inside the staff
/// navigation. `data-error-detail` and `data-field` are what `forms.js` reads to
/// put the message beside the field, on the page the form is still on.
pub fn error_body(status: u16, detail: &str, field: Option<&str>, staff: bool) -> Markup {
    html! {
        div.error role="alert" data-field=[field] { p data-error-detail { (detail) } }
        @if staff {
            p.hint { "Error " (status) ". Nothing you had already saved was lost. Go back to the form to change what is wrong: what you typed is still there." }
        } @else {
            p.hint { "Error " (status) ". " a href="/staff" { "Back to the staff home page" } " or " a href="/" { "the public site" } "." }
        }
    }
}

/// A hidden CSRF field for a staff form.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// A notice shown after an action, from the `?done=` query.
pub fn notice(message: Option<&str>) -> Markup {
    html! {
        @if let Some(message) = message {
            div.notice role="status" { p { (message) } }
        }
    }
}

pub fn raw(text: &'static str) -> PreEscaped<&'static str> {
    PreEscaped(text)
}
