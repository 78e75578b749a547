//! Sends a force's webhooks over HTTP for the job runner
//! (`bluelamp_services::webhooks`). A short timeout: a target that hangs fails
//! the job, which the runner retries with backoff; it never blocks other work.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bluelamp_services::webhooks::WebhookSender;

/// How long a receiver has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(5);

pub struct HttpWebhooks {
    client: reqwest::Client,
    /// The cross-posting connectors, for the jobs that use them.
    networks: Option<std::sync::Arc<crate::connectors::HttpNetworks>>,
    /// The server's public address: the contact a Web Push service is given.
    contact: String,
}

impl HttpWebhooks {
    /// With `contact` (the server's public address) as the Web Push contact.
    pub fn with_contact(contact: &str) -> HttpWebhooks {
        HttpWebhooks {
            contact: contact.to_string(),
            ..HttpWebhooks::new()
        }
    }

    /// With the process's network connectors too.
    pub fn with_networks(
        self,
        networks: std::sync::Arc<crate::connectors::HttpNetworks>,
    ) -> HttpWebhooks {
        HttpWebhooks {
            networks: Some(networks),
            ..self
        }
    }

    pub fn new() -> HttpWebhooks {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            // A POST turned into a GET by a redirect would look like success.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!(
                "Bluelamp/",
                env!("CARGO_PKG_VERSION"),
                " (webhook)"
            ))
            .build()
            .unwrap_or_default();
        HttpWebhooks {
            client,
            networks: None,
            contact: String::new(),
        }
    }
}

impl Default for HttpWebhooks {
    fn default() -> Self {
        Self::new()
    }
}

impl WebhookSender for HttpWebhooks {
    fn contact(&self) -> &str {
        &self.contact
    }

    fn networks(&self) -> Option<&dyn bluelamp_services::crosspost::Networks> {
        self.networks
            .as_deref()
            .map(|n| n as &dyn bluelamp_services::crosspost::Networks)
    }

    fn post<'a>(
        &'a self,
        url: &'a str,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    ) -> Pin<Box<dyn Future<Output = Result<u16, String>> + Send + 'a>> {
        Box::pin(async move {
            let mut request = self.client.post(url).body(body);
            for (name, value) in headers {
                request = request.header(name, value);
            }
            match request.send().await {
                Ok(response) => Ok(response.status().as_u16()),
                Err(error) if error.is_timeout() => {
                    Err(format!("no answer within {} s", TIMEOUT.as_secs()))
                }
                Err(error) => Err(error.without_url().to_string()),
            }
        })
    }
}
