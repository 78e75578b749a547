//! Link cards for networks that want the poster to attach them (Bluesky): the
//! linked page's title, description and picture.
//!
//! The page is anyone's, so it is fetched like a fediverse document: through the
//! federation client, whose resolver refuses every non-public address and whose
//! redirects are checked hop by hop (no request to our own network, however the
//! link is dressed up), with a time limit and a size cap. A page that cannot be
//! read only costs the card: the post goes without one.

use bluelamp_domain::link_card::{self, LinkCard};
use bluelamp_federation::fetch::fetch_bytes;
use bluelamp_federation::{ClientOptions, HttpClient};

/// The most of a page read for its head.
const PAGE_BYTES: usize = 512 * 1024;
/// Bluesky refuses a card's picture over this.
pub const THUMB_BYTES: usize = 1_000_000;

pub struct CardFetcher {
    client: Option<HttpClient>,
}

/// A card and its picture (bytes and type), when the page has one we could read.
pub struct Card {
    pub card: LinkCard,
    pub thumb: Option<(Vec<u8>, &'static str)>,
}

impl CardFetcher {
    /// `allow_loopback` is the federation's test-only switch (see
    /// `bluelamp_federation::safety`).
    pub fn new(allow_loopback: bool) -> CardFetcher {
        let mut options = ClientOptions::new(concat!(
            "Bluelamp/",
            env!("CARGO_PKG_VERSION"),
            " (link preview)"
        ));
        options.allow_loopback = allow_loopback;
        CardFetcher {
            client: HttpClient::new(&options).ok(),
        }
    }

    /// The card for `url`, or `None` when the page is unreachable, refused, not
    /// HTML or has no title.
    pub async fn fetch(&self, url: &str) -> Option<Card> {
        let client = self.client.as_ref()?;
        let (page_url, body) = fetch_bytes(client, url, "text/html", None, PAGE_BYTES)
            .await
            .map_err(|e| tracing::info!("no link card for {url}: {e}"))
            .ok()?;
        let card = link_card::from_html(&String::from_utf8_lossy(&body))?;
        let mut thumb = None;
        if let Some(image) = card.image.as_deref().and_then(|i| page_url.join(i).ok()) {
            if let Ok((_, bytes)) =
                fetch_bytes(client, image.as_str(), "image/*", None, THUMB_BYTES).await
            {
                thumb = image_type(&bytes).map(|kind| (bytes, kind));
            }
        }
        Some(Card { card, thumb })
    }
}

/// The picture's type from its first bytes (a page's Content-Type is not trusted).
fn image_type(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xff, 0xd8, 0xff, ..] => Some("image/jpeg"),
        [0x89, b'P', b'N', b'G', ..] => Some("image/png"),
        [b'G', b'I', b'F', b'8', ..] => Some("image/gif"),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some("image/webp"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::image_type;

    #[test]
    fn pictures_are_known_by_their_bytes() {
        assert_eq!(image_type(&[0xff, 0xd8, 0xff, 0xe0]), Some("image/jpeg"));
        assert_eq!(image_type(b"\x89PNG\r\n"), Some("image/png"));
        assert_eq!(image_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(image_type(b"<svg onload=alert(1)>"), None);
        assert_eq!(image_type(b""), None);
    }
}
