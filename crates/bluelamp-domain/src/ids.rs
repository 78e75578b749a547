//! Newtype identifiers, so a user id can never be passed where a force id is meant.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A force (tenant) on this server.
    ForceId
);
id_type!(
    /// A staff user.
    UserId
);
id_type!(
    /// A public account (what the public sees and follows).
    AccountId
);
id_type!(
    /// One published version of a force's social-media policy.
    PolicyId
);
