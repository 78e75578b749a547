//! X (API v2): connected by OAuth 2 with PKCE (an app registered with X, its
//! client id in the server's configuration), posts with photos and their alt
//! text, replies threaded, deletion, mentions for the inbox. Access tokens last
//! two hours; the refresh token rotates on every renewal and the new pair is kept
//! (sealed). X takes no key of ours for a post, so before posting we look for the
//! same text among the account's newest posts: a retry after a crash finds it.

use std::time::Duration;

use bluelamp_media::LocalMediaStore;
use bluelamp_services::crosspost::{
    Credentials, Fut, Identity, InboundPage, Incoming, NetError, Network, Outgoing, Remote,
};
use serde_json::{json, Value};

const TIMEOUT: Duration = Duration::from_secs(30);
/// X's limit on an image upload.
pub const MAX_IMAGE_BYTES: i64 = 5_000_000;
const SCOPES: &str = "tweet.read tweet.write users.read media.write offline.access";

/// The app Bluelamp is registered as with X.
#[derive(Debug, Clone, Default)]
pub struct XApp {
    pub client_id: String,
    /// `https://api.x.com` (a stand-in's address in tests).
    pub api_base: String,
    /// `https://x.com/i/oauth2/authorize`.
    pub authorize_url: String,
    /// Where X sends the administrator back: `{public}/staff/connections/x/callback`.
    pub redirect_uri: String,
}

pub struct X {
    client: reqwest::Client,
    media: LocalMediaStore,
    app: XApp,
}

/// The credential kept for X: the token pair and when the access token ends.
fn tokens(secret: &str) -> (String, String, i64) {
    let v: Value = serde_json::from_str(secret).unwrap_or(Value::Null);
    (
        v["access_token"].as_str().unwrap_or_default().to_string(),
        v["refresh_token"].as_str().unwrap_or_default().to_string(),
        v["expires_at"].as_i64().unwrap_or_default(),
    )
}

impl X {
    pub fn new(media_dir: std::path::PathBuf, app: XApp) -> X {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Bluelamp/", env!("CARGO_PKG_VERSION"), " (x)"))
            .build()
            .unwrap_or_default();
        X {
            client,
            media: LocalMediaStore::new(media_dir),
            app,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/2/{path}", self.app.api_base.trim_end_matches('/'))
    }

    /// An answer, or its error sorted: 401 the token; 429 waits for
    /// `x-rate-limit-reset`; 5xx X's own trouble; other 4xx refused (X's problem
    /// document says why).
    async fn answer(
        response: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<Value, NetError> {
        let response =
            response.map_err(|e| NetError::Unavailable(e.without_url().to_string(), None))?;
        let status = response.status().as_u16();
        let reset = response
            .headers()
            .get("x-rate-limit-reset")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<i64>().ok());
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let detail = body["detail"]
            .as_str()
            .or(body["error_description"].as_str())
            .or(body["title"].as_str())
            .unwrap_or("no detail")
            .to_string();
        match status {
            200..=299 => Ok(body),
            401 => Err(NetError::Auth(detail)),
            429 => Err(NetError::Unavailable(
                format!("rate limited: {detail}"),
                reset.or(Some(bluelamp_store::clock::now_unix() + 900)),
            )),
            500..=599 => Err(NetError::Unavailable(format!("{status}: {detail}"), None)),
            _ => Err(NetError::Refused(format!("{status}: {detail}"))),
        }
    }

    async fn token_call(&self, form: &[(&str, &str)]) -> Result<Credentials, NetError> {
        let body = Self::answer(
            self.client
                .post(self.url("oauth2/token"))
                .form(form)
                .send()
                .await,
        )
        .await?;
        let access = body["access_token"].as_str().unwrap_or_default();
        if access.is_empty() {
            return Err(NetError::Auth("X gave no access token".into()));
        }
        let secret = json!({
            "access_token": access,
            "refresh_token": body["refresh_token"].as_str().unwrap_or_default(),
            "expires_at": bluelamp_store::clock::now_unix() + body["expires_in"].as_i64().unwrap_or(7200),
        })
        .to_string();
        let credentials = Credentials::new(&self.app.api_base, "", &secret);
        if let Ok(mut slot) = credentials.renewed.lock() {
            *slot = Some(secret);
        }
        Ok(credentials)
    }

    /// A live access token: renewed (and the new pair left for keeping) when the
    /// stored one is within a minute of its end.
    async fn access(&self, credentials: &Credentials) -> Result<String, NetError> {
        let current = credentials
            .renewed
            .lock()
            .ok()
            .and_then(|slot| slot.clone())
            .unwrap_or_else(|| credentials.secret.clone());
        let (access, refresh, expires_at) = tokens(&current);
        if expires_at > bluelamp_store::clock::now_unix() + 60 {
            return Ok(access);
        }
        let renewed = self
            .token_call(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("client_id", &self.app.client_id),
            ])
            .await?;
        let secret = renewed.take_renewed().unwrap_or_default();
        if let Ok(mut slot) = credentials.renewed.lock() {
            *slot = Some(secret.clone());
        }
        Ok(tokens(&secret).0)
    }

    async fn upload(
        &self,
        token: &str,
        image: &bluelamp_services::crosspost::OutImage,
    ) -> Result<String, NetError> {
        let bytes = super::image_bytes(&self.media, image, MAX_IMAGE_BYTES, "X").await?;
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name("image")
            .mime_str(&image.content_type)
            .map_err(|e| NetError::Refused(e.to_string()))?;
        let form = reqwest::multipart::Form::new()
            .part("media", part)
            .text("media_category", "tweet_image");
        let body = Self::answer(
            self.client
                .post(self.url("media/upload"))
                .bearer_auth(token)
                .multipart(form)
                .send()
                .await,
        )
        .await?;
        let id = body["data"]["id"]
            .as_str()
            .ok_or_else(|| NetError::Refused("X kept no image".into()))?
            .to_string();
        if !image.alt.is_empty() {
            Self::answer(
                self.client
                    .post(self.url("media/metadata"))
                    .bearer_auth(token)
                    .json(&json!({"id": id, "metadata": {"alt_text": {"text": image.alt.chars().take(1000).collect::<String>()}}}))
                    .send()
                    .await,
            )
            .await?;
        }
        Ok(id)
    }

    async fn me(&self, token: &str) -> Result<Value, NetError> {
        Self::answer(
            self.client
                .get(self.url("users/me"))
                .bearer_auth(token)
                .send()
                .await,
        )
        .await
    }
}

impl Network for X {
    fn verify<'a>(&'a self, credentials: &'a Credentials) -> Fut<'a, Identity> {
        Box::pin(async move {
            let token = self.access(credentials).await?;
            let me = self.me(&token).await?;
            Ok(Identity {
                remote_id: me["data"]["id"].as_str().unwrap_or_default().to_string(),
                name: me["data"]["username"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            })
        })
    }

    fn followers<'a>(
        &'a self,
        credentials: &'a Credentials,
        _remote_id: &'a str,
    ) -> Fut<'a, Option<i64>> {
        Box::pin(async move {
            let token = self.access(credentials).await?;
            let me = Self::answer(
                self.client
                    .get(self.url("users/me"))
                    .query(&[("user.fields", "public_metrics")])
                    .bearer_auth(&token)
                    .send()
                    .await,
            )
            .await?;
            Ok(me["data"]["public_metrics"]["followers_count"].as_i64())
        })
    }

    fn publish<'a>(
        &'a self,
        credentials: &'a Credentials,
        remote_id: &'a str,
        post: &'a Outgoing,
    ) -> Fut<'a, Remote> {
        Box::pin(async move {
            let token = self.access(credentials).await?;
            let remote = |id: &str| Remote {
                url: format!("https://x.com/{}/status/{id}", credentials.identifier),
                uri: id.to_string(),
                cid: String::new(),
            };
            let recent = Self::answer(
                self.client
                    .get(self.url(&format!("users/{remote_id}/tweets")))
                    .bearer_auth(&token)
                    .query(&[("max_results", "10")])
                    .send()
                    .await,
            )
            .await?;
            if let Some(found) = recent["data"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|t| t["text"].as_str() == Some(post.text.as_str()))
            {
                return Ok(remote(found["id"].as_str().unwrap_or_default()));
            }
            let mut body = json!({"text": post.text});
            let mut media = Vec::new();
            for image in post.images.iter().take(4) {
                media.push(self.upload(&token, image).await?);
            }
            if !media.is_empty() {
                body["media"] = json!({"media_ids": media});
            }
            if let Some((_, parent)) = &post.reply {
                body["reply"] = json!({"in_reply_to_tweet_id": parent.uri});
            }
            let created = Self::answer(
                self.client
                    .post(self.url("tweets"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await,
            )
            .await?;
            let id = created["data"]["id"]
                .as_str()
                .ok_or_else(|| NetError::Refused("X returned no post id".into()))?;
            Ok(remote(id))
        })
    }

    fn delete<'a>(
        &'a self,
        credentials: &'a Credentials,
        _remote_id: &'a str,
        uri: &'a str,
    ) -> Fut<'a, ()> {
        Box::pin(async move {
            let token = self.access(credentials).await?;
            Self::answer(
                self.client
                    .delete(self.url(&format!("tweets/{uri}")))
                    .bearer_auth(&token)
                    .send()
                    .await,
            )
            .await?;
            Ok(())
        })
    }

    fn inbound<'a>(
        &'a self,
        credentials: &'a Credentials,
        cursor: Option<&'a str>,
    ) -> Fut<'a, InboundPage> {
        Box::pin(async move {
            let token = self.access(credentials).await?;
            let me = self.me(&token).await?;
            let id = me["data"]["id"].as_str().unwrap_or_default().to_string();
            let mut query = vec![
                ("max_results", "50".to_string()),
                (
                    "tweet.fields",
                    "created_at,author_id,conversation_id,referenced_tweets".to_string(),
                ),
                ("expansions", "author_id".to_string()),
            ];
            if let Some(since) = cursor {
                query.push(("since_id", since.to_string()));
            }
            let body = Self::answer(
                self.client
                    .get(self.url(&format!("users/{id}/mentions")))
                    .bearer_auth(&token)
                    .query(&query)
                    .send()
                    .await,
            )
            .await?;
            let users = body["includes"]["users"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let mut items: Vec<Incoming> = body["data"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| {
                    let author = users.iter().find(|u| u["id"] == t["author_id"]);
                    let handle = author
                        .and_then(|u| u["username"].as_str())
                        .unwrap_or("unknown")
                        .to_string();
                    let replied = t["referenced_tweets"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|r| r["type"] == "replied_to")
                        .and_then(|r| r["id"].as_str().map(str::to_string));
                    Incoming {
                        uri: t["id"].as_str().unwrap_or_default().to_string(),
                        author_url: Some(format!("https://x.com/{handle}")),
                        author_name: author.and_then(|u| u["name"].as_str()).map(str::to_string),
                        author_handle: handle,
                        text: t["text"].as_str().unwrap_or_default().to_string(),
                        reply_to: replied,
                        root: t["conversation_id"].as_str().map(str::to_string),
                        sent_at: t["created_at"].as_str().unwrap_or_default().to_string(),
                    }
                })
                .collect();
            items.reverse();
            let newest = body["meta"]["newest_id"]
                .as_str()
                .map(str::to_string)
                .or(cursor.map(str::to_string));
            Ok(InboundPage {
                items,
                cursor: newest,
            })
        })
    }

    fn authorize_url(&self, state: &str, challenge: &str) -> Option<String> {
        if self.app.client_id.is_empty() {
            return None;
        }
        let query = serde_urlencoded::to_string([
            ("response_type", "code"),
            ("client_id", self.app.client_id.as_str()),
            ("redirect_uri", self.app.redirect_uri.as_str()),
            ("scope", SCOPES),
            ("state", state),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ])
        .ok()?;
        Some(format!("{}?{query}", self.app.authorize_url))
    }

    fn exchange<'a>(&'a self, code: &'a str, verifier: &'a str) -> Fut<'a, Credentials> {
        Box::pin(async move {
            self.token_call(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &self.app.redirect_uri),
                ("code_verifier", verifier),
                ("client_id", &self.app.client_id),
            ])
            .await
        })
    }
}
