//! Facebook Pages over the Graph API: a Page access token (what Meta gives a
//! Page's admin for an app), text with photos and their alt text, deletion. The
//! Graph API takes no key of ours for a post, so before posting we look for the
//! same text among the Page's newest posts: a retry after a crash finds the
//! first copy instead of posting twice.

use std::time::Duration;

use bluelamp_media::LocalMediaStore;
use bluelamp_services::crosspost::{
    Credentials, Fut, Identity, InboundPage, Incoming, NetError, Network, Outgoing, Remote,
};
use serde_json::Value;

/// The Graph API version we speak.
pub const GRAPH_VERSION: &str = "v21.0";
const TIMEOUT: Duration = Duration::from_secs(30);
/// Facebook's own limit on a photo upload.
pub const MAX_PHOTO_BYTES: i64 = 4_000_000;

pub struct Facebook {
    client: reqwest::Client,
    media: LocalMediaStore,
}

impl Facebook {
    pub fn new(media_dir: std::path::PathBuf) -> Facebook {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!(
                "Bluelamp/",
                env!("CARGO_PKG_VERSION"),
                " (facebook)"
            ))
            .build()
            .unwrap_or_default();
        Facebook {
            client,
            media: LocalMediaStore::new(media_dir),
        }
    }

    fn url(credentials: &Credentials, path: &str) -> String {
        format!(
            "{}/{GRAPH_VERSION}/{path}",
            credentials.service_url.trim_end_matches('/')
        )
    }

    /// A Graph answer, or its error sorted: code 190 (and 102, 10, 200) is the
    /// token; 4, 17, 32 and 613 are rate limits (wait for the usage header's
    /// estimate); 5xx and 1/2 are Facebook's own trouble; the rest is refused.
    async fn answer(
        response: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<Value, NetError> {
        let response =
            response.map_err(|e| NetError::Unavailable(e.without_url().to_string(), None))?;
        let status = response.status().as_u16();
        let wait_minutes = ["x-page-usage", "x-business-use-case-usage", "x-app-usage"]
            .iter()
            .filter_map(|h| response.headers().get(*h).and_then(|v| v.to_str().ok()))
            .filter_map(|v| serde_json::from_str::<Value>(v).ok())
            .find_map(|v| v["estimated_time_to_regain_access"].as_i64());
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if (200..300).contains(&status) && body.get("error").is_none() {
            return Ok(body);
        }
        let error = &body["error"];
        let code = error["code"].as_i64().unwrap_or_default();
        let message = error["message"]
            .as_str()
            .unwrap_or("no message")
            .to_string();
        let reset = |minutes: i64| Some(bluelamp_store::clock::now_unix() + 60 * minutes.max(1));
        Err(match code {
            190 | 102 | 10 | 200 => NetError::Auth(message),
            4 | 17 | 32 | 613 => NetError::Unavailable(
                format!("rate limited: {message}"),
                reset(wait_minutes.unwrap_or(15)),
            ),
            1 | 2 => NetError::Unavailable(message, None),
            _ if status >= 500 => NetError::Unavailable(format!("{status}: {message}"), None),
            _ => NetError::Refused(format!("{status} (code {code}): {message}")),
        })
    }

    /// The Page's post with exactly this message among its newest, if any.
    async fn already_posted(
        &self,
        credentials: &Credentials,
        message: &str,
    ) -> Result<Option<String>, NetError> {
        let body = Self::answer(
            self.client
                .get(Self::url(
                    credentials,
                    &format!("{}/posts", credentials.identifier),
                ))
                .query(&[
                    ("fields", "id,message"),
                    ("limit", "25"),
                    ("access_token", credentials.secret.as_str()),
                ])
                .send()
                .await,
        )
        .await?;
        Ok(body["data"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["message"].as_str() == Some(message))
            .and_then(|p| p["id"].as_str().map(str::to_string)))
    }

    async fn photo(
        &self,
        credentials: &Credentials,
        image: &bluelamp_services::crosspost::OutImage,
    ) -> Result<String, NetError> {
        let bytes = super::image_bytes(&self.media, image, MAX_PHOTO_BYTES, "Facebook").await?;
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name("photo")
            .mime_str(&image.content_type)
            .map_err(|e| NetError::Refused(e.to_string()))?;
        let form = reqwest::multipart::Form::new()
            .part("source", part)
            .text("published", "false")
            .text("alt_text_custom", image.alt.clone())
            .text("access_token", credentials.secret.clone());
        let body = Self::answer(
            self.client
                .post(Self::url(
                    credentials,
                    &format!("{}/photos", credentials.identifier),
                ))
                .multipart(form)
                .send()
                .await,
        )
        .await?;
        body["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| NetError::Refused("Facebook kept no photo".into()))
    }
}

/// Graph writes times as `2026-12-01T08:00:00+0000`; RFC 3339 (and the inbox)
/// wants the offset as `+00:00`.
fn rfc3339(graph: &str) -> String {
    let bytes = graph.as_bytes();
    let n = bytes.len();
    if n > 5 && matches!(bytes[n - 5], b'+' | b'-') && bytes[n - 4..].iter().all(u8::is_ascii_digit)
    {
        format!("{}:{}", &graph[..n - 2], &graph[n - 2..])
    } else {
        graph.to_string()
    }
}

impl Network for Facebook {
    fn followers<'a>(
        &'a self,
        credentials: &'a Credentials,
        remote_id: &'a str,
    ) -> Fut<'a, Option<i64>> {
        Box::pin(async move {
            let page = Self::answer(
                self.client
                    .get(Self::url(credentials, remote_id))
                    .query(&[
                        ("fields", "followers_count"),
                        ("access_token", credentials.secret.as_str()),
                    ])
                    .send()
                    .await,
            )
            .await?;
            Ok(page["followers_count"].as_i64())
        })
    }

    fn verify<'a>(&'a self, credentials: &'a Credentials) -> Fut<'a, Identity> {
        Box::pin(async move {
            let body = Self::answer(
                self.client
                    .get(Self::url(credentials, "me"))
                    .query(&[
                        ("fields", "id,name"),
                        ("access_token", credentials.secret.as_str()),
                    ])
                    .send()
                    .await,
            )
            .await?;
            let id = body["id"].as_str().unwrap_or_default().to_string();
            if id != credentials.identifier {
                return Err(NetError::Auth(format!(
                    "that token is for {} ({id}), not the Page {}",
                    body["name"].as_str().unwrap_or("someone else"),
                    credentials.identifier
                )));
            }
            Ok(Identity {
                remote_id: id,
                name: body["name"].as_str().unwrap_or_default().to_string(),
            })
        })
    }

    fn publish<'a>(
        &'a self,
        credentials: &'a Credentials,
        _remote_id: &'a str,
        post: &'a Outgoing,
    ) -> Fut<'a, Remote> {
        Box::pin(async move {
            let remote = |id: String| Remote {
                url: format!("https://www.facebook.com/{id}"),
                cid: String::new(),
                uri: id,
            };
            if post.reply.is_some() {
                return Err(NetError::Refused("a Page cannot post a reply on its own feed; it goes out as a comment in a later version".into()));
            }
            if let Some(id) = self.already_posted(credentials, &post.text).await? {
                return Ok(remote(id));
            }
            let mut form: Vec<(String, String)> = vec![
                ("message".into(), post.text.clone()),
                ("access_token".into(), credentials.secret.clone()),
            ];
            for (n, image) in post.images.iter().take(4).enumerate() {
                let id = self.photo(credentials, image).await?;
                form.push((
                    format!("attached_media[{n}]"),
                    serde_json::json!({"media_fbid": id}).to_string(),
                ));
            }
            let body = Self::answer(
                self.client
                    .post(Self::url(
                        credentials,
                        &format!("{}/feed", credentials.identifier),
                    ))
                    .form(&form)
                    .send()
                    .await,
            )
            .await?;
            let id = body["id"]
                .as_str()
                .ok_or_else(|| NetError::Refused("Facebook returned no post id".into()))?;
            Ok(remote(id.to_string()))
        })
    }

    fn delete<'a>(
        &'a self,
        credentials: &'a Credentials,
        _remote_id: &'a str,
        uri: &'a str,
    ) -> Fut<'a, ()> {
        Box::pin(async move {
            Self::answer(
                self.client
                    .delete(Self::url(credentials, uri))
                    .query(&[("access_token", credentials.secret.as_str())])
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
            // The Page's newest posts with their comments (Graph's field
            // expansion): the comments newer than the cursor, oldest first.
            let body = Self::answer(
                self.client
                    .get(Self::url(
                        credentials,
                        &format!("{}/feed", credentials.identifier),
                    ))
                    .query(&[
                        (
                            "fields",
                            "id,comments.limit(50){id,message,from,created_time}",
                        ),
                        ("limit", "25"),
                        ("access_token", credentials.secret.as_str()),
                    ])
                    .send()
                    .await,
            )
            .await?;
            let mut items = Vec::new();
            let mut newest = cursor.map(str::to_string);
            for post in body["data"].as_array().into_iter().flatten() {
                for comment in post["comments"]["data"].as_array().into_iter().flatten() {
                    let at = comment["created_time"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                    if cursor.is_some_and(|c| at.as_str() <= c) {
                        continue;
                    }
                    if newest.as_ref().is_none_or(|n| at > *n) {
                        newest = Some(at.clone());
                    }
                    let from = &comment["from"];
                    let id = from["id"].as_str().unwrap_or_default();
                    items.push(Incoming {
                        uri: comment["id"].as_str().unwrap_or_default().to_string(),
                        author_handle: format!("facebook:{id}"),
                        author_name: from["name"].as_str().map(str::to_string),
                        author_url: Some(format!("https://www.facebook.com/{id}")),
                        text: comment["message"].as_str().unwrap_or_default().to_string(),
                        reply_to: post["id"].as_str().map(str::to_string),
                        root: post["id"].as_str().map(str::to_string),
                        sent_at: rfc3339(&at),
                    });
                }
            }
            items.sort_by(|a, b| a.sent_at.cmp(&b.sent_at));
            Ok(InboundPage {
                items,
                cursor: newest,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn graph_times_become_rfc3339() {
        assert_eq!(
            super::rfc3339("2026-12-01T08:00:00+0000"),
            "2026-12-01T08:00:00+00:00"
        );
        assert_eq!(
            super::rfc3339("2026-12-01T08:00:00Z"),
            "2026-12-01T08:00:00Z"
        );
    }
}
