//! OAuth 2 for client apps (RFC 6749 with PKCE, RFC 7636; revocation, RFC 7009):
//! an app registers, an officer logs in on our own pages and consents (choosing
//! the account the app acts as), the app swaps the one-time code for a token.
//!
//! Secrets (client secrets, codes, tokens) are stored as SHA-256 hashes only.
//! A token is an ordinary API token that remembers its app and account, so it is
//! listed and revoked on the officer's settings page like any other.

use crate::error::invalid;
use bluelamp_domain::{AccountId, Role};
use bluelamp_store::{accounts, audit, oauth, tokens, users, Store};
use sha2::{Digest, Sha256};

use crate::auth::{constant_time_eq, entry, random_token, sha256_hex};
use crate::{ServiceError, ServiceResult, Staff};

/// The redirect URI of apps that show the code for the user to paste (toot).
pub const OUT_OF_BAND: &str = "urn:ietf:wg:oauth:2.0:oob";
/// How long an authorisation code may wait to be exchanged.
pub const CODE_MINUTES: i64 = 10;
const MAX_NAME_CHARS: usize = 100;
const MAX_URI_CHARS: usize = 2_000;
const MAX_REDIRECT_URIS: usize = 10;

/// The scopes Mastodon's clients ask for. Granular ones (`write:statuses`) are
/// kept as asked; a broad one covers all of its kind.
const BROAD_SCOPES: [&str; 5] = ["read", "write", "follow", "push", "profile"];
const GRANULAR: [&str; 22] = [
    "accounts",
    "blocks",
    "bookmarks",
    "conversations",
    "favourites",
    "filters",
    "follows",
    "lists",
    "media",
    "mutes",
    "notifications",
    "reports",
    "search",
    "statuses",
    "apps",
    "instance",
    "markers",
    "preferences",
    "scheduled_statuses",
    "emojis",
    "tags",
    "polls",
];

/// An OAuth error as RFC 6749 names it (`invalid_grant`...), with a sentence.
#[derive(Debug, thiserror::Error)]
#[error("{description}")]
pub struct OAuthError {
    pub error: &'static str,
    pub description: String,
}

impl OAuthError {
    fn new(error: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            error,
            description: description.into(),
        }
    }
}

impl From<ServiceError> for OAuthError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Internal(cause) => {
                tracing::error!(error.cause = %cause, "internal error in OAuth: {cause}");
                OAuthError::new("server_error", "something went wrong on our side")
            }
            other => OAuthError::new("invalid_request", other.to_string()),
        }
    }
}

impl From<bluelamp_store::StoreError> for OAuthError {
    fn from(error: bluelamp_store::StoreError) -> Self {
        ServiceError::from(error).into()
    }
}

/// Split and check a scope list; an empty list means `read`.
pub fn parse_scopes(text: Option<&str>) -> Result<Vec<String>, OAuthError> {
    let mut scopes: Vec<String> = Vec::new();
    for scope in text.unwrap_or("").split([' ', '+', ',']) {
        let scope = scope.trim();
        if scope.is_empty() {
            continue;
        }
        let known = BROAD_SCOPES.contains(&scope)
            || scope.split_once(':').is_some_and(|(kind, what)| {
                matches!(kind, "read" | "write" | "admin:read" | "admin:write")
                    && GRANULAR.contains(&what)
            });
        if !known || scope.len() > 40 {
            return Err(OAuthError::new(
                "invalid_scope",
                format!(
                    "the scope '{}' is not one this server grants",
                    scope.chars().take(40).collect::<String>()
                ),
            ));
        }
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_string());
        }
    }
    if scopes.is_empty() {
        scopes.push("read".into());
    }
    Ok(scopes)
}

/// Does `granted` cover `needed` (`write` covers `write:statuses`)?
pub fn covers(granted: &[String], needed: &str) -> bool {
    let broad = needed.split(':').next().unwrap_or(needed);
    granted.iter().any(|s| s == needed || s == broad)
}

/// A registration as sent to `POST /api/v1/apps`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct RegisterApp {
    #[serde(default)]
    pub client_name: String,
    /// One string (whitespace or newline separated) or a list.
    #[serde(default)]
    pub redirect_uris: RedirectUris,
    #[serde(default)]
    pub scopes: Option<String>,
    #[serde(default)]
    pub website: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(untagged)]
pub enum RedirectUris {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl RedirectUris {
    fn list(&self) -> Vec<String> {
        match self {
            RedirectUris::None => Vec::new(),
            RedirectUris::One(text) => text.split_whitespace().map(str::to_string).collect(),
            RedirectUris::Many(list) => list
                .iter()
                .flat_map(|t| t.split_whitespace())
                .map(str::to_string)
                .collect(),
        }
    }
}

/// A registered app and its secret (shown once).
#[derive(Debug, Clone)]
pub struct Registered {
    pub app: oauth::App,
    pub client_secret: String,
}

fn valid_redirect(uri: &str) -> bool {
    if uri == OUT_OF_BAND {
        return true;
    }
    // An app's own scheme (tusky://oauth) or a web address; never a script.
    let Some((scheme, rest)) = uri.split_once(':') else {
        return false;
    };
    !rest.is_empty()
        && scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !matches!(
            scheme.to_ascii_lowercase().as_str(),
            "javascript" | "data" | "vbscript" | "file"
        )
        && !uri.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// Register a client app. Anyone may (as on Mastodon); nothing is granted until
/// an officer consents.
pub async fn register_app(store: &Store, input: &RegisterApp) -> ServiceResult<Registered> {
    let name = input.client_name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(invalid(
            "client_name",
            format!("give the app a name of 1 to {MAX_NAME_CHARS} characters"),
        ));
    }
    let uris = input.redirect_uris.list();
    if uris.is_empty() || uris.len() > MAX_REDIRECT_URIS {
        return Err(invalid(
            "redirect_uris",
            format!("give 1 to {MAX_REDIRECT_URIS} redirect URIs ({OUT_OF_BAND} to show the code)"),
        ));
    }
    if let Some(bad) = uris
        .iter()
        .find(|u| u.len() > MAX_URI_CHARS || !valid_redirect(u))
    {
        return Err(invalid(
            "redirect_uris",
            format!(
                "'{}' is not a redirect URI this server accepts",
                bad.chars().take(80).collect::<String>()
            ),
        ));
    }
    let scopes =
        parse_scopes(input.scopes.as_deref()).map_err(|e| invalid("scopes", e.description))?;
    let website = input
        .website
        .as_deref()
        .map(str::trim)
        .filter(|w| !w.is_empty());
    if let Some(site) = website {
        if site.len() > MAX_URI_CHARS
            || !(site.starts_with("https://") || site.starts_with("http://"))
            || site.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(invalid("website", "the website must be an http(s) address"));
        }
    }
    let client_id = random_token(24);
    let client_secret = random_token(32);
    let mut tx = store.write().await?;
    let app = oauth::insert_app(
        &mut tx,
        &oauth::NewApp {
            client_id: &client_id,
            secret_hash: &sha256_hex(&client_secret),
            name,
            website,
            redirect_uris: &uris.join(" "),
            scopes: &scopes.join(" "),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Registered { app, client_secret })
}

/// A request to `/oauth/authorize`.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct AuthorizeRequest {
    #[serde(default)]
    pub response_type: String,
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub redirect_uri: String,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub code_challenge: Option<String>,
    #[serde(default)]
    pub code_challenge_method: Option<String>,
}

/// What the consent page shows.
#[derive(Debug, Clone)]
pub struct Consent {
    pub app: oauth::App,
    pub scopes: Vec<String>,
    /// The accounts the officer may post to; the app will act as one of them.
    pub accounts: Vec<accounts::Account>,
}

pub use crate::membership::postable_accounts;

/// Check an authorisation request for `staff` (logged in) and say what consent
/// would grant. Errors are shown to the officer, never sent to an unchecked URI.
pub async fn consent(
    store: &Store,
    staff: &Staff,
    request: &AuthorizeRequest,
) -> Result<Consent, OAuthError> {
    if request.response_type != "code" {
        return Err(OAuthError::new(
            "unsupported_response_type",
            "only response_type=code is supported",
        ));
    }
    let mut conn = store.read().await?;
    let app = oauth::app_by_client_id(&mut conn, request.client_id.trim())
        .await?
        .ok_or_else(|| {
            OAuthError::new("invalid_client", "no app is registered with that client_id")
        })?;
    if !app
        .redirect_uris
        .split_whitespace()
        .any(|u| u == request.redirect_uri)
    {
        return Err(OAuthError::new(
            "invalid_request",
            "the redirect_uri is not one the app registered",
        ));
    }
    let scopes = parse_scopes(request.scope.as_deref().or(Some(app.scopes.as_str())))?;
    let registered: Vec<String> = app.scopes.split_whitespace().map(str::to_string).collect();
    if let Some(extra) = scopes
        .iter()
        .find(|s| !covers(&registered, s) && s.as_str() != "profile")
    {
        return Err(OAuthError::new(
            "invalid_scope",
            format!("the app did not register the scope '{extra}'"),
        ));
    }
    if scopes.iter().any(|s| s.starts_with("admin")) {
        return Err(OAuthError::new(
            "invalid_scope",
            "apps are not given administration rights; use the staff pages",
        ));
    }
    if scopes.iter().any(|s| s.starts_with("write")) && !staff.role.may_hold_scope("write") {
        return Err(OAuthError::new(
            "access_denied",
            format!(
                "your role ({}) reads but does not post; ask the app for read access only",
                staff.role
            ),
        ));
    }
    match (
        request.code_challenge.as_deref(),
        request.code_challenge_method.as_deref(),
    ) {
        (None, None) => {}
        (Some(challenge), Some("S256") | None)
            if (43..=128).contains(&challenge.len())
                && challenge
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')) => {}
        _ => {
            return Err(OAuthError::new(
                "invalid_request",
                "PKCE needs code_challenge_method=S256 and a base64url challenge of 43 to 128 characters",
            ))
        }
    }
    let accounts = postable_accounts(&mut conn, staff).await?;
    if accounts.is_empty() {
        return Err(OAuthError::new(
            "access_denied",
            "you are not a member of any account with permission to post; ask your comms team",
        ));
    }
    Ok(Consent {
        app,
        scopes,
        accounts,
    })
}

/// The officer consented: issue a one-time code for the chosen account.
pub async fn grant(
    store: &Store,
    staff: &Staff,
    request: &AuthorizeRequest,
    account: AccountId,
) -> Result<String, OAuthError> {
    let consent = consent(store, staff, request).await?;
    if !consent.accounts.iter().any(|a| a.id == account) {
        return Err(OAuthError::new(
            "invalid_request",
            "choose one of the accounts you may post to",
        ));
    }
    let user = staff
        .user_id
        .ok_or_else(|| OAuthError::new("access_denied", "log in as a staff user"))?;
    let code = random_token(24);
    let mut tx = store.write().await?;
    oauth::insert_code(
        &mut tx,
        &sha256_hex(&code),
        &oauth::Code {
            app_id: consent.app.id,
            user_id: user,
            account_id: account,
            scopes: consent.scopes.join(" "),
            redirect_uri: request.redirect_uri.clone(),
            code_challenge: request.code_challenge.clone(),
            expires_at: crate::auth::later(CODE_MINUTES),
        },
    )
    .await?;
    let mut draft = entry(staff, "oauth.consent", "oauth_app", consent.app.id);
    draft.after = Some(
        serde_json::json!({"app": consent.app.name, "scopes": consent.scopes, "account": account})
            .to_string(),
    );
    audit::append(&mut tx, draft).await?;
    tx.commit().await.map_err(ServiceError::from)?;
    Ok(code)
}

/// A request to `/oauth/token`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct TokenRequest {
    #[serde(default)]
    pub grant_type: String,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub redirect_uri: Option<String>,
    #[serde(default)]
    pub code_verifier: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
}

/// A token as `/oauth/token` answers it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IssuedToken {
    pub access_token: String,
    pub token_type: &'static str,
    pub scope: String,
    pub created_at: i64,
}

async fn authenticate_client(
    conn: &mut bluelamp_store::AnyConnection,
    client_id: Option<&str>,
    client_secret: Option<&str>,
    secret_optional: bool,
) -> Result<oauth::App, OAuthError> {
    let refused = || OAuthError::new("invalid_client", "client authentication failed");
    let app = oauth::app_by_client_id(conn, client_id.unwrap_or_default().trim())
        .await?
        .ok_or_else(refused)?;
    match client_secret {
        Some(secret)
            if constant_time_eq(
                sha256_hex(secret.trim()).as_bytes(),
                app.secret_hash.as_bytes(),
            ) =>
        {
            Ok(app)
        }
        None if secret_optional => Ok(app),
        _ => Err(refused()),
    }
}

fn pkce_matches(challenge: &str, verifier: &str) -> bool {
    use base64::Engine;
    let digest = Sha256::digest(verifier.as_bytes());
    let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
    constant_time_eq(expected.as_bytes(), challenge.as_bytes())
}

/// Exchange a code (or the app's own credentials) for a token.
pub async fn token(store: &Store, request: &TokenRequest) -> Result<IssuedToken, OAuthError> {
    let created_at = time::OffsetDateTime::now_utc().unix_timestamp();
    match request.grant_type.as_str() {
        "authorization_code" => {
            let code = request
                .code
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .ok_or_else(|| OAuthError::new("invalid_request", "send the code"))?;
            let mut tx = store.write().await?;
            let bad_code = || {
                OAuthError::new(
                    "invalid_grant",
                    "the authorization code is not valid, has expired or was already used",
                )
            };
            let taken = oauth::take_code(&mut tx, &sha256_hex(code)).await?;
            // The code is spent whatever follows; commit that before judging it.
            tx.commit().await.map_err(ServiceError::from)?;
            let grant = taken.ok_or_else(bad_code)?;
            let mut tx = store.write().await?;
            // With PKCE the verifier proves the caller; a public client has no secret.
            let app = authenticate_client(
                &mut tx,
                request.client_id.as_deref(),
                request.client_secret.as_deref(),
                grant.code_challenge.is_some(),
            )
            .await?;
            if app.id != grant.app_id
                || grant.expires_at.as_str() < bluelamp_store::now_text().as_str()
                || request
                    .redirect_uri
                    .as_deref()
                    .unwrap_or(&grant.redirect_uri)
                    != grant.redirect_uri
            {
                return Err(bad_code());
            }
            if let Some(challenge) = &grant.code_challenge {
                let verifier = request.code_verifier.as_deref().unwrap_or_default();
                if !pkce_matches(challenge, verifier) {
                    return Err(OAuthError::new(
                        "invalid_grant",
                        "the code_verifier does not match the code_challenge",
                    ));
                }
            }
            let user = users::get(&mut tx, grant.user_id).await?;
            let account = accounts::get(&mut tx, grant.account_id).await?;
            if user.disabled
                || Some(account.force_id) != user.force_id && user.role != Role::ServerAdmin
            {
                return Err(bad_code());
            }
            let secret = format!("bl_{}", random_token(24));
            let scopes: Vec<String> = grant
                .scopes
                .split_whitespace()
                .map(str::to_string)
                .collect();
            let name = format!("{} (app) as @{}", app.name, account.handle);
            let token = tokens::insert_for_app(
                &mut tx,
                user.id,
                &name.chars().take(120).collect::<String>(),
                &sha256_hex(&secret),
                &scopes,
                app.id,
                account.id,
            )
            .await?;
            audit::append(
                &mut tx,
                bluelamp_domain::AuditDraft {
                    force_id: user.force_id,
                    actor_user_id: Some(user.id),
                    actor_label: user.username.clone(),
                    action: "api_token.create".into(),
                    target_type: "api_token".into(),
                    target_id: token.id.to_string(),
                    after: serde_json::to_string(&token).ok(),
                    ..Default::default()
                },
            )
            .await?;
            tx.commit().await.map_err(ServiceError::from)?;
            Ok(IssuedToken {
                access_token: secret,
                token_type: "Bearer",
                scope: grant.scopes,
                created_at,
            })
        }
        "client_credentials" => {
            let mut tx = store.write().await?;
            let app = authenticate_client(
                &mut tx,
                request.client_id.as_deref(),
                request.client_secret.as_deref(),
                false,
            )
            .await?;
            let scopes = parse_scopes(request.scope.as_deref().or(Some(&app.scopes)))?;
            // An app alone reads public things; it never writes.
            if scopes.iter().any(|s| !s.starts_with("read")) {
                return Err(OAuthError::new(
                    "invalid_scope",
                    "an app's own token may only read; a person must log in to write",
                ));
            }
            let secret = format!("bl_{}", random_token(24));
            let scope = scopes.join(" ");
            oauth::insert_app_token(&mut tx, app.id, &sha256_hex(&secret), &scope).await?;
            tx.commit().await.map_err(ServiceError::from)?;
            Ok(IssuedToken {
                access_token: secret,
                token_type: "Bearer",
                scope,
                created_at,
            })
        }
        "password" => Err(OAuthError::new(
            "unsupported_grant_type",
            "passwords are never given to apps: log in through the browser (authorization_code)",
        )),
        _ => Err(OAuthError::new(
            "unsupported_grant_type",
            "use grant_type=authorization_code or client_credentials",
        )),
    }
}

/// Revoke a token the app holds. An unknown token is not an error (RFC 7009).
pub async fn revoke(
    store: &Store,
    client_id: Option<&str>,
    client_secret: Option<&str>,
    token: &str,
) -> Result<(), OAuthError> {
    let mut tx = store.write().await?;
    let app = authenticate_client(&mut tx, client_id, client_secret, false).await?;
    let hash = sha256_hex(token.trim());
    if !tokens::revoke_app_token(&mut tx, app.id, &hash).await? {
        oauth::revoke_app_only_token(&mut tx, app.id, &hash).await?;
    }
    tx.commit().await.map_err(ServiceError::from)?;
    Ok(())
}

/// The app behind an app-only token (client credentials), with its scopes.
pub async fn app_for_token(
    store: &Store,
    secret: &str,
) -> ServiceResult<Option<(oauth::App, Vec<String>)>> {
    let mut conn = store.read().await?;
    Ok(oauth::app_token(&mut conn, &sha256_hex(secret.trim()))
        .await?
        .map(|(app, scopes)| (app, scopes.split_whitespace().map(str::to_string).collect())))
}

/// The app a user token was issued to.
pub async fn app_of(store: &Store, staff: &Staff) -> ServiceResult<Option<oauth::App>> {
    let Some(token) = staff.token_id else {
        return Ok(None);
    };
    let mut conn = store.read().await?;
    let Some(user) = staff.user_id else {
        return Ok(None);
    };
    let Some(app_id) = tokens::list_for_user(&mut conn, user)
        .await?
        .into_iter()
        .find(|t| t.id == token)
        .and_then(|t| t.app_id)
    else {
        return Ok(None);
    };
    Ok(oauth::app_by_id(&mut conn, app_id).await?)
}
