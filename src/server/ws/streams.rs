//! The result streams of one connection's running operations, polled in
//! turn with the connection's own waker.
//!
//! A connection runs a handful of operations, most often one subscription.
//! `SelectAll` suits many streams, but for each result it allocates (it
//! queues the stream again as a new future) and wakes the connection
//! through a waker of its own; with 10,000 subscribers that was about a
//! tenth of the gateway's CPU per event. Here each call polls every stream
//! at most once, in a queue's order; a stream that answers goes to the
//! back, so none starves. The number a connection may run is bounded
//! ([`MAX_OPERATIONS`]), which bounds the turn.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use futures::stream::BoxStream;

/// Operations one connection may run at once.
pub const MAX_OPERATIONS: usize = 100;

/// Result streams, polled in turn.
pub struct Streams<T> {
    streams: VecDeque<BoxStream<'static, T>>,
}

impl<T> Streams<T> {
    pub fn new() -> Self {
        Self {
            streams: VecDeque::new(),
        }
    }

    pub fn push(&mut self, stream: BoxStream<'static, T>) {
        self.streams.push_back(stream);
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.streams.len()
    }

    pub fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }
}

impl<T> Stream for Streams<T> {
    type Item = T;

    /// The next item of any stream; `None` once there is no stream (as
    /// `SelectAll` does). Every stream is polled at most once (so each one
    /// that waits has the waker); one that ends is dropped.
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let streams = &mut self.streams;
        for _ in 0..streams.len() {
            let Some(mut stream) = streams.pop_front() else {
                break;
            };
            match stream.as_mut().poll_next(cx) {
                Poll::Ready(Some(item)) => {
                    streams.push_back(stream);
                    return Poll::Ready(Some(item));
                }
                Poll::Ready(None) => drop(stream),
                Poll::Pending => streams.push_back(stream),
            }
        }
        if streams.is_empty() {
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use futures::channel::mpsc;

    #[tokio::test]
    async fn every_stream_is_heard_in_turn_and_ended_ones_are_dropped() {
        let mut streams = Streams::new();
        streams.push(futures::stream::iter([1, 2, 3]).boxed());
        streams.push(futures::stream::iter([10, 20]).boxed());
        let (tx, rx) = mpsc::unbounded();
        streams.push(rx.boxed());
        tx.unbounded_send(100).unwrap();
        let mut heard = Vec::new();
        for _ in 0..6 {
            heard.push(streams.next().await.unwrap());
        }
        // In turn: no stream waits for another to end.
        assert_eq!(heard, vec![1, 10, 100, 2, 20, 3]);
        assert!(
            futures::poll!(streams.next()).is_pending(),
            "the channel waits"
        );
        assert_eq!(streams.len(), 1, "the two ended streams are dropped");
        tx.unbounded_send(200).unwrap();
        assert_eq!(streams.next().await, Some(200));
        drop(tx);
        assert_eq!(streams.next().await, None);
        assert!(streams.is_empty());
    }

    #[tokio::test]
    async fn a_stream_that_ends_mid_turn_hides_no_other() {
        let mut streams = Streams::new();
        let mut senders = Vec::new();
        for _ in 0..4 {
            let (tx, rx) = mpsc::unbounded::<u32>();
            streams.push(rx.boxed());
            senders.push(tx);
        }
        // The third answers: the turn now starts at the fourth.
        senders[2].unbounded_send(1).unwrap();
        assert_eq!(streams.next().await, Some(1));
        // The second ends; the third has an item again. A turn that
        // wraps round past the ended one still reaches it.
        drop(senders.remove(1));
        senders[1].unbounded_send(2).unwrap();
        assert_eq!(futures::poll!(streams.next()), Poll::Ready(Some(2)));
        assert_eq!(streams.len(), 3);
    }
}
