//! Staff user values parsed at the edge: usernames, display names, passwords.

use serde::Serialize;

use crate::Invalid;

/// A staff login name: 3 to 40 characters of lower-case letters, digits, `.`, `-`, `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub fn parse(text: &str) -> Result<Username, Invalid> {
        let name = text.trim().to_lowercase();
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(c);
        if !(3..=40).contains(&name.len()) {
            return Err(Invalid::new("username", "must be 3 to 40 characters long"));
        }
        if !name.chars().all(allowed) {
            return Err(Invalid::new(
                "username",
                "may contain only letters, digits, '.', '-' and '_'",
            ));
        }
        Ok(Username(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's name as shown to colleagues: 1 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(field: &'static str, text: &str) -> Result<DisplayName, Invalid> {
        let name = text.trim();
        // The limit counts what was typed, as the API documents it.
        if name.is_empty() || text.chars().count() > 100 {
            return Err(Invalid::new(field, "must be 1 to 100 characters long"));
        }
        if name.chars().any(char::is_control) {
            return Err(Invalid::new(field, "must not contain control characters"));
        }
        Ok(DisplayName(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password that meets the force's minimum: length over complexity rules,
/// as the NCSC advises, and not the username itself.
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl Password {
    pub const MIN_CHARS: usize = 12;

    pub fn parse(text: &str, username: &Username) -> Result<Password, Invalid> {
        let count = text.chars().count();
        if count < Self::MIN_CHARS {
            return Err(Invalid::new(
                "password",
                format!("must be at least {} characters long", Self::MIN_CHARS),
            ));
        }
        if count > 256 {
            return Err(Invalid::new(
                "password",
                "must be at most 256 characters long",
            ));
        }
        if text.to_lowercase().contains(username.as_str()) {
            return Err(Invalid::new("password", "must not contain the username"));
        }
        Ok(Password(text.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_to_lower_case() {
        assert_eq!(Username::parse(" PC.Smith ").unwrap().as_str(), "pc.smith");
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("pc smith").is_err());
    }

    #[test]
    fn passwords_need_length_and_must_not_hold_the_username() {
        let user = Username::parse("pcsmith").unwrap();
        assert!(Password::parse("short", &user).is_err());
        assert!(Password::parse("my-pcsmith-password", &user).is_err());
        assert!(Password::parse("correct horse battery", &user).is_ok());
        assert_eq!(
            format!(
                "{:?}",
                Password::parse("correct horse battery", &user).unwrap()
            ),
            "Password(<redacted>)"
        );
    }
}
