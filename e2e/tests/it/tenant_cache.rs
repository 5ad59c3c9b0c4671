//! The tenant cache: a changed token reaches the hot paths within the TTL, and an expired entry is refreshed by
//! one caller while the others keep using it.

use std::sync::Arc;
use std::time::Duration;

use e2e::{Env, TENANT};
use infra::{TenantCache, TenantId};

#[tokio::test]
async fn an_expired_entry_is_refreshed_once_and_served_meanwhile() {
    let env = Env::new().await;
    let store = env.tenants().await;
    let cache = Arc::new(TenantCache::new(store.clone(), Duration::from_millis(200)));
    let before = cache.get(TENANT).await.unwrap().expect("demo tenant");

    let id = TenantId::parse(TENANT).unwrap();
    assert!(store.set_api_token(&id, "rotated-token").await.unwrap());
    // Within the TTL the cached entry is served.
    let cached = cache.get(TENANT).await.unwrap().unwrap();
    assert!(Arc::ptr_eq(&before, &cached));

    tokio::time::sleep(Duration::from_millis(250)).await;
    // Many callers at the moment of expiry: all get an answer, none an error, and the entry is refreshed.
    let answers = futures::future::join_all((0..64).map(|_| {
        let cache = cache.clone();
        async move { cache.get(TENANT).await }
    }))
    .await;
    assert!(answers.iter().all(|a| matches!(a, Ok(Some(_)))));
    let refreshed = cache.get(TENANT).await.unwrap().unwrap();
    assert_eq!(refreshed.api_token.expose(), "rotated-token");
    assert!(!Arc::ptr_eq(&before, &refreshed));

    // An unknown tenant is cached as unknown too.
    assert!(cache.get("nobody").await.unwrap().is_none());
    env.cleanup().await;
}
