//! One Redis pub/sub subscription turned into the port's `Invalidations` stream: a dedicated
//! connection per subscription, re-established after it is lost for as long as the store lives.
//!
//! Redis pub/sub is fire-and-forget: messages published while the connection is down are lost.
//! Invalidation messages only shorten what a node caches, so a lost one costs freshness until
//! the cached entry's own TTL, never correctness.

use std::sync::Weak;
use std::time::Duration;

use futures::StreamExt;
use keyward_core::{EphemeralError, Invalidations};
use redis::aio::PubSubStream;
use redis::{Client, RedisResult};
use tokio::sync::mpsc;

use crate::redis::{CONNECT_TIMEOUT, unavailable};

/// Messages received but not yet read by the subscriber.
const BUFFER: usize = 1024;

/// The first pause before reconnecting; it doubles up to `MAX_RETRY_DELAY`.
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(100);
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);

/// Subscribes to `channel` (already prefixed). Returns once Redis has confirmed the
/// subscription, so every message published afterwards is delivered. The stream ends when the
/// store is gone and the connection is lost.
pub(crate) async fn subscribe(
    client: Client,
    channel: String,
    store_alive: Weak<()>,
) -> Result<Invalidations, EphemeralError> {
    let messages = tokio::time::timeout(CONNECT_TIMEOUT, open(&client, &channel))
        .await
        .map_err(|_| EphemeralError::Unavailable(format!("subscribing to {channel} timed out")))?
        .map_err(unavailable)?;
    let (sender, receiver) = mpsc::channel(BUFFER);
    let subscription = Subscription {
        client,
        channel,
        store_alive,
        sender,
    };
    tokio::spawn(subscription.forward(messages));
    let stream = futures::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|message| (message, receiver))
    });
    Ok(stream.boxed())
}

async fn open(client: &Client, channel: &str) -> RedisResult<PubSubStream> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(channel).await?;
    Ok(pubsub.into_on_message())
}

struct Subscription {
    client: Client,
    channel: String,
    store_alive: Weak<()>,
    sender: mpsc::Sender<String>,
}

impl Subscription {
    /// Forwards messages to the subscriber until it drops its stream, reconnecting whenever
    /// the pub/sub connection is lost.
    async fn forward(self, mut messages: PubSubStream) {
        loop {
            loop {
                let message = tokio::select! {
                    message = messages.next() => message,
                    () = self.sender.closed() => return,
                };
                let Some(message) = message else { break };
                match message.get_payload::<String>() {
                    Ok(payload) => {
                        if self.sender.send(payload).await.is_err() {
                            return;
                        }
                    }
                    Err(error) => {
                        tracing::warn!(channel = %self.channel, %error, "dropped a non-text invalidation message");
                    }
                }
            }
            tracing::warn!(channel = %self.channel, "Redis pub/sub connection lost; reconnecting");
            match self.reconnect().await {
                Some(reopened) => messages = reopened,
                None => return,
            }
        }
    }

    /// A new subscription, or `None` once nobody needs one (subscriber or store gone).
    async fn reconnect(&self) -> Option<PubSubStream> {
        let mut delay = FIRST_RETRY_DELAY;
        loop {
            if self.store_alive.strong_count() == 0 || self.sender.is_closed() {
                return None;
            }
            match tokio::time::timeout(CONNECT_TIMEOUT, open(&self.client, &self.channel)).await {
                Ok(Ok(messages)) => {
                    tracing::info!(channel = %self.channel, "Redis pub/sub subscription restored");
                    return Some(messages);
                }
                Ok(Err(error)) => {
                    tracing::warn!(channel = %self.channel, %error, "Redis pub/sub reconnect failed");
                }
                Err(_) => {
                    tracing::warn!(channel = %self.channel, "Redis pub/sub reconnect timed out");
                }
            }
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = self.sender.closed() => return None,
            }
            delay = (delay * 2).min(MAX_RETRY_DELAY);
        }
    }
}
