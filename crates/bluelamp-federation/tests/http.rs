#![allow(clippy::unwrap_used)]
//! Delivery and fetch over real sockets, against a small HTTP/1.1 server on
//! 127.0.0.1 written here (so the tests need `allow_loopback`, the test-only
//! switch). The server hands each request to the test, which verifies the
//! signature exactly as our inbox will: that proves what reqwest puts on the wire
//! (Host, Date, Digest) matches what we signed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bluelamp_federation::build::{actor_document, ActorInfo, ActorUrls};
use bluelamp_federation::delivery::{deliver, DeliveryError};
use bluelamp_federation::fetch::{fetch_actor, fetch_key, webfinger_lookup, FetchError};
use bluelamp_federation::protocol::discovery::webfinger;
use bluelamp_federation::protocol::outbound::ActorType;
use bluelamp_federation::signatures::{check_key_owner, verify_request, Signer, MAX_CLOCK_SKEW};
use bluelamp_federation::{ClientOptions, HttpClient, UnsafeUrl};
use http::{HeaderMap, HeaderName, HeaderValue};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const KEY_A: &str = include_str!("keys/test_a.pem");
const PUB_A: &str = include_str!("keys/test_a.pub.pem");

#[derive(Debug)]
struct Request {
    method: String,
    target: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    /// Never answer (to test timeouts).
    hang: bool,
}

fn reply(status: u16, body: impl Into<Vec<u8>>) -> Reply {
    Reply {
        status,
        headers: Vec::new(),
        body: body.into(),
        hang: false,
    }
}

type Handler = Arc<dyn Fn(&Request, SocketAddr) -> Reply + Send + Sync>;

/// Serves `handler` on 127.0.0.1, one request per connection, and forwards every
/// request to the returned channel.
async fn serve(handler: Handler) -> (SocketAddr, mpsc::UnboundedReceiver<Request>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (handler, tx) = (handler.clone(), tx.clone());
            tokio::spawn(async move {
                let Some(request) = read_request(&mut socket).await else {
                    return;
                };
                let answer = handler(&request, addr);
                let _ = tx.send(request);
                if answer.hang {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    return;
                }
                let mut head = format!(
                    "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                    answer.status,
                    answer.body.len()
                );
                for (name, value) in &answer.headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                head.push_str("\r\n");
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&answer.body).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (addr, rx)
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).ok()?;
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, target) = (first.next()?.to_owned(), first.next()?.to_owned());
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':')?;
        headers.append(
            HeaderName::from_bytes(name.trim().as_bytes()).ok()?,
            HeaderValue::from_str(value.trim()).ok()?,
        );
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

fn client(allow_loopback: bool) -> HttpClient {
    let mut options = ClientOptions::new("bluelamp-test/0.1 (+http://127.0.0.1/)");
    options.allow_loopback = allow_loopback;
    HttpClient::new(&options).unwrap()
}

fn signer() -> Signer {
    Signer::from_pem("http://127.0.0.1/users/news#main-key", KEY_A).unwrap()
}

const ACTIVITY: &[u8] =
    br#"{"@context":"https://www.w3.org/ns/activitystreams","type":"Create","id":"http://x/1"}"#;

#[tokio::test]
async fn a_delivery_is_signed_as_our_inbox_verifies() {
    let (addr, mut requests) = serve(Arc::new(|_, _| reply(202, ""))).await;
    let inbox = format!("http://{addr}/users/alice/inbox");
    let status = deliver(
        &client(true),
        &inbox,
        ACTIVITY,
        &signer(),
        Duration::from_secs(5),
    )
    .await
    .unwrap();
    assert_eq!(status, 202);
    let request = requests.recv().await.unwrap();
    assert_eq!(request.method, "POST");
    assert_eq!(request.body, ACTIVITY);
    assert_eq!(request.headers["content-type"], "application/activity+json");
    let parsed = verify_request(
        &request.method,
        &request.target,
        &request.headers,
        Some(&request.body),
        PUB_A,
        SystemTime::now(),
        MAX_CLOCK_SKEW,
    )
    .unwrap();
    assert_eq!(parsed.key_id, "http://127.0.0.1/users/news#main-key");
}

#[tokio::test]
async fn failures_are_classified() {
    let (addr, _requests) = serve(Arc::new(|request: &Request, _| {
        match request.target.as_str() {
            "/500" => reply(500, "oops"),
            "/410" => reply(410, ""),
            "/401" => reply(401, "signature rejected"),
            "/302" => Reply {
                headers: vec![("Location", "http://127.0.0.1:1/".into())],
                ..reply(302, "")
            },
            "/429" => Reply {
                headers: vec![("Retry-After", "120".into())],
                ..reply(429, "")
            },
            "/hang" => Reply {
                hang: true,
                ..reply(200, "")
            },
            _ => reply(200, ""),
        }
    }))
    .await;
    let client = client(true);
    let send = |path: &str| {
        let (client, url) = (client.clone(), format!("http://{addr}{path}"));
        async move {
            deliver(
                &client,
                &url,
                ACTIVITY,
                &signer(),
                Duration::from_millis(1500),
            )
            .await
        }
    };

    let e = send("/500").await.unwrap_err();
    assert!(e.is_retryable() && e.status() == Some(500), "{e}");
    let e = send("/410").await.unwrap_err();
    assert!(!e.is_retryable() && e.status() == Some(410), "{e}");
    let e = send("/401").await.unwrap_err();
    assert!(
        !e.is_retryable() && e.to_string().contains("signature rejected"),
        "{e}"
    );
    let e = send("/302").await.unwrap_err();
    assert!(!e.is_retryable(), "redirects are not followed: {e}");
    match send("/429").await.unwrap_err() {
        DeliveryError::Retryable { retry_after, .. } => {
            assert_eq!(retry_after, Some(Duration::from_secs(120)))
        }
        other => panic!("429 should be retryable: {other}"),
    }
    let started = std::time::Instant::now();
    let e = send("/hang").await.unwrap_err();
    assert!(
        e.is_retryable() && e.to_string().contains("timed out"),
        "{e}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    // Nothing listens on this port: connection refused is worth retrying.
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let e = deliver(
        &client,
        &format!("http://{closed}/inbox"),
        ACTIVITY,
        &signer(),
        Duration::from_secs(2),
    )
    .await
    .unwrap_err();
    assert!(e.is_retryable(), "{e}");
}

#[tokio::test]
async fn private_targets_are_refused_without_the_test_switch() {
    let (addr, _requests) = serve(Arc::new(|_, _| reply(202, ""))).await;
    let production = client(false);
    for url in [
        format!("http://{addr}/inbox"),
        format!("http://localhost:{}/inbox", addr.port()),
        "http://10.0.0.1/inbox".to_owned(),
    ] {
        let e = deliver(
            &production,
            &url,
            ACTIVITY,
            &signer(),
            Duration::from_secs(2),
        )
        .await
        .unwrap_err();
        assert!(!e.is_retryable(), "{url}: {e}");
    }
    // With the switch, `localhost` resolves through the guarded resolver and works.
    let status = deliver(
        &client(true),
        &format!("http://localhost:{}/inbox", addr.port()),
        ACTIVITY,
        &signer(),
        Duration::from_secs(2),
    )
    .await;
    assert_eq!(status, Ok(202));
    // Even with the switch, private ranges stay closed.
    let e = fetch_actor(&client(true), "http://192.168.1.1/users/x", None)
        .await
        .unwrap_err();
    assert!(
        matches!(e, FetchError::Unsafe(UnsafeUrl::Address(_, "Private-Use"))),
        "{e}"
    );
}

fn our_actor(base: &str) -> String {
    let urls = ActorUrls::new(base, "news");
    let doc = actor_document(&ActorInfo {
        urls,
        handle: "news".into(),
        display_name: "Police News".into(),
        summary: "Official news. #Community".into(),
        kind: ActorType::Organization,
        avatar: None,
        header: None,
        website: Some("https://police.example".into()),
        fields: vec![(
            "Verified".into(),
            "Served from the force's own domain".into(),
        )],
        public_key_pem: PUB_A.into(),
        published: Some("2026-01-01T00:00:00Z".into()),
        local_domain: "police.example".into(),
    });
    serde_json::to_string(&doc).unwrap()
}

#[tokio::test]
async fn actors_and_keys_are_fetched_signed_and_checked() {
    let (addr, mut requests) = serve(Arc::new(|request: &Request, addr| {
        let base = format!("http://{addr}");
        match request.target.as_str() {
            "/users/news" => reply(200, our_actor(&base)),
            "/elsewhere" => reply(200, our_actor("http://other.example")),
            "/big" => reply(200, vec![b' '; 2 * 1024 * 1024]),
            "/to-private" => Reply {
                headers: vec![("Location", "http://10.0.0.1/".into())],
                ..reply(302, "")
            },
            t if t.starts_with("/.well-known/webfinger") => reply(
                200,
                serde_json::to_string(&webfinger(
                    "news@x",
                    &format!("{base}/users/news"),
                    &format!("{base}/@news"),
                ))
                .unwrap(),
            ),
            _ => reply(404, ""),
        }
    }))
    .await;
    let client = client(true);
    let base = format!("http://{addr}");

    let actor = fetch_actor(&client, &format!("{base}/users/news"), Some(&signer()))
        .await
        .unwrap();
    assert_eq!(actor.id, format!("{base}/users/news"));
    assert_eq!(actor.inbox, format!("{base}/users/news/inbox"));
    assert_eq!(
        actor.shared_inbox.as_deref(),
        Some(format!("{base}/inbox").as_str())
    );
    assert_eq!(actor.preferred_username.as_deref(), Some("news"));
    assert_eq!(actor.public_key.id, format!("{base}/users/news#main-key"));
    assert!(actor.public_key.pem.contains("BEGIN PUBLIC KEY"));
    // The fetch was signed (secure-mode servers require it) and verifies.
    let request = requests.recv().await.unwrap();
    assert!(verify_request(
        "GET",
        &request.target,
        &request.headers,
        None,
        PUB_A,
        SystemTime::now(),
        MAX_CLOCK_SKEW
    )
    .is_ok());

    let key = fetch_key(&client, &format!("{base}/users/news#main-key"), None)
        .await
        .unwrap();
    assert!(check_key_owner(&key.id, Some(&key.owner), &actor.id).is_ok());
    assert!(check_key_owner(
        &key.id,
        Some(&key.owner),
        "http://127.0.0.1/users/someone-else"
    )
    .is_err());

    let found = webfinger_lookup(&client, "news", &addr.to_string(), "http")
        .await
        .unwrap();
    assert_eq!(found, actor.id);

    let e = fetch_actor(&client, &format!("{base}/elsewhere"), None)
        .await
        .unwrap_err();
    assert!(matches!(e, FetchError::IdMismatch { .. }), "{e}");
    let e = fetch_actor(&client, &format!("{base}/big"), None)
        .await
        .unwrap_err();
    assert!(matches!(e, FetchError::TooLarge(_)), "{e}");
    let e = fetch_actor(&client, &format!("{base}/missing"), None)
        .await
        .unwrap_err();
    assert_eq!(e, FetchError::Status(404));
    let e = fetch_actor(&client, &format!("{base}/to-private"), None)
        .await
        .unwrap_err();
    assert!(
        matches!(e, FetchError::Unsafe(UnsafeUrl::Address(_, "Private-Use"))),
        "redirect to a private address: {e}"
    );
}
