//! What changed between two versions of a post's text, word by word, for the
//! reviewer: removed words struck through, added words marked, each also said in
//! words for screen readers.

use maud::{html, Markup};
use similar::{ChangeTag, TextDiff};

/// The words of `new` against `old`.
pub(crate) fn words(old: &str, new: &str) -> Markup {
    let diff = TextDiff::from_words(old, new);
    html! {
        p.diff {
            @for change in diff.iter_all_changes() {
                @match change.tag() {
                    ChangeTag::Equal => (change.value()),
                    ChangeTag::Delete => del { span.visually-hidden { "removed: " } (change.value()) },
                    ChangeTag::Insert => ins { span.visually-hidden { "added: " } (change.value()) },
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn removed_and_added_words_are_marked_and_said() {
        let shown = super::words("Road closed at Rhyl", "Road open at Rhyl").into_string();
        assert!(
            shown.contains("<del><span class=\"visually-hidden\">removed: </span>closed</del>"),
            "{shown}"
        );
        assert!(
            shown.contains("<ins><span class=\"visually-hidden\">added: </span>open</ins>"),
            "{shown}"
        );
        assert!(shown.starts_with("<p class=\"diff\">Road "), "{shown}");
    }
}
