#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use bluelamp_media::{LocalMediaStore, MediaKey, MediaStore, StoreError};

fn key_for(bytes: &[u8], ext: &str) -> MediaKey {
    use sha2::Digest;
    MediaKey::for_content(&hex::encode(sha2::Sha256::digest(bytes)), ext).unwrap()
}

#[tokio::test]
async fn round_trip_overwrite_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    // Used through the trait object, as the web layer will hold it.
    let local = LocalMediaStore::new(dir.path().join("media"));
    let store: Arc<dyn MediaStore> = Arc::new(local.clone());
    let bytes = b"not really a jpeg".to_vec();
    let key = key_for(&bytes, "jpg");

    assert!(matches!(
        store.get(&key).await,
        Err(StoreError::NotFound { .. })
    ));
    store.put(&key, &bytes).await.unwrap();
    assert_eq!(store.get(&key).await.unwrap(), bytes);
    // Putting again (same content, or a replacement) is fine.
    store.put(&key, b"replacement").await.unwrap();
    assert_eq!(store.get(&key).await.unwrap(), b"replacement");

    // Stored where path_of says, inside the root, with no temp files left.
    let path = local.path_of(&key);
    assert!(path.starts_with(dir.path().join("media")));
    assert!(path.is_file());
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    assert!(store.delete(&key).await.unwrap());
    assert!(!store.delete(&key).await.unwrap());
    let err = store.get(&key).await.unwrap_err();
    assert_eq!(err.to_string(), format!("Media {key} was not found."));
}

#[tokio::test]
async fn concurrent_puts_of_one_key_do_not_collide() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalMediaStore::new(dir.path()));
    let key = key_for(b"same", "png");
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (store, key) = (store.clone(), key.clone());
        tasks.push(tokio::spawn(async move { store.put(&key, b"same").await }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(store.get(&key).await.unwrap(), b"same");
}

#[test]
fn path_traversal_cannot_be_expressed() {
    for bad in [
        "../../../etc/passwd",
        "..",
        "/etc/passwd",
        "..%2f..%2fetc%2fpasswd",
        "C:\\Windows\\win.ini",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08/../../x",
    ] {
        let err = MediaKey::parse(bad).unwrap_err();
        assert!(err.to_string().starts_with("Invalid media key"), "{err}");
    }
    // Nor through deserialisation, e.g. a key read back from JSON.
    let err = serde_json::from_str::<MediaKey>(r#""../../etc/passwd""#).unwrap_err();
    assert!(err.to_string().contains("Invalid media key"), "{err}");
    let good = format!("\"{}.jpg\"", "ab".repeat(32));
    assert!(serde_json::from_str::<MediaKey>(&good).is_ok());
}
