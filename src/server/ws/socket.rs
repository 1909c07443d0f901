//! A connection's socket, written by its connection and by the shared
//! subscriptions it belongs to.
//!
//! An event of a subscription shared by 10,000 connections used to wake
//! 10,000 connection tasks, each of which polled its socket, its timers
//! and its result streams before writing one frame. Now the group writes
//! each member's frame itself ([`Socket::offer`]): a lock, a frame and a
//! write, and no connection wakes. When a socket would block, the frame
//! waits in the socket's backlog (bounded: a subscriber that does not read
//! misses events, as it did behind a full channel) and the connection task,
//! woken, writes it out with its own waker ([`Socket::poll_backlog`]).
//! The group polls the socket with a waker that wakes the connection task,
//! never with a dead one: the socket keeps only the last waker it was
//! polled with, so whatever is left to write, the connection hears when
//! it can be.
//!
//! Frames keep their order: the connection's own messages go through the
//! same lock and after the backlog, so a `complete` follows the last
//! `next` of its operation.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};

use axum::extract::ws::Message;
use futures::task::AtomicWaker;
use futures::{Sink, Stream};

/// Frames a socket holds for a client that reads slowly.
pub const BACKLOG: usize = 32;

/// What became of an offered frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offered {
    /// Written to the socket (or to its write buffer, which the
    /// connection flushes).
    Sent,
    /// Held in the backlog for the connection to write.
    Queued,
    /// Not wanted any more (the operation ended), or the socket is closed.
    Skipped,
    /// The backlog is full: the client does not keep up, and misses it.
    Missed,
}

/// Where a shared subscription delivers a member's frames.
pub trait Outlet: Send + Sync {
    /// Offers the frame `frame` makes, under the socket's lock; `frame`
    /// answers `None` when the frame is not wanted any more.
    fn offer(&self, frame: &mut dyn FnMut() -> Option<Message>) -> Offered;
}

/// A socket shared by its connection task and the groups it belongs to.
pub struct Socket<S> {
    state: Mutex<State<S>>,
    /// The connection task, as it last polled.
    connection: Arc<Connection>,
    /// What others poll the socket with: it wakes the connection task.
    others: Waker,
}

/// Wakes the connection task.
struct Connection(AtomicWaker);

impl Wake for Connection {
    fn wake(self: Arc<Self>) {
        self.0.wake();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.wake();
    }
}

struct State<S> {
    inner: S,
    /// Frames the socket was not ready for, oldest first.
    backlog: VecDeque<Message>,
    /// Frames were handed to the socket since its last complete flush.
    unflushed: bool,
    /// The connection task waits for its writes to go out.
    waiting: bool,
    /// The socket failed or closed: nothing more is written.
    broken: bool,
}

impl<S> Socket<S>
where
    S: Stream + Sink<Message> + Unpin,
{
    pub fn new(inner: S) -> Self {
        let connection = Arc::new(Connection(AtomicWaker::new()));
        Self {
            state: Mutex::new(State {
                inner,
                backlog: VecDeque::new(),
                unflushed: false,
                waiting: false,
                broken: false,
            }),
            others: Waker::from(connection.clone()),
            connection,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<S>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The client's next message.
    pub fn poll_next(&self, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        Pin::new(&mut self.lock().inner).poll_next(cx)
    }

    /// Writes out what others left for the connection: `Ready` once a
    /// backlog was written and flushed (or failed), `Pending` while there
    /// is none (the next one wakes `cx`) or the socket is not ready.
    pub fn poll_backlog(&self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.connection.0.register(cx.waker());
        let mut state = self.lock();
        if state.backlog.is_empty() && !state.unflushed {
            // Written out meanwhile: the connection waits for nothing (it
            // never polls this while its own write is under way).
            state.waiting = false;
            return Poll::Pending;
        }
        state.write_out(cx)
    }

    /// Sends the connection's own `message` after the backlog, and flushes.
    pub fn poll_send(
        &self,
        cx: &mut Context<'_>,
        message: &mut Option<Message>,
    ) -> Poll<Result<(), S::Error>> {
        self.connection.0.register(cx.waker());
        let mut state = self.lock();
        if let Some(message) = message.take() {
            state.backlog.push_back(message);
        }
        state.write_out(cx)
    }
}

impl<S> State<S>
where
    S: Sink<Message> + Unpin,
{
    /// Writes the backlog and flushes, for the connection task.
    fn write_out(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        let result = self.try_write_out(cx);
        self.waiting = result.is_pending();
        if let Poll::Ready(Err(_)) = result {
            self.broken = true;
            self.backlog.clear();
        }
        result
    }

    fn try_write_out(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        let mut inner = Pin::new(&mut self.inner);
        while !self.backlog.is_empty() {
            std::task::ready!(inner.as_mut().poll_ready(cx))?;
            if let Some(message) = self.backlog.pop_front() {
                self.unflushed = true;
                inner.as_mut().start_send(message)?;
            }
        }
        std::task::ready!(inner.poll_flush(cx))?;
        self.unflushed = false;
        Poll::Ready(Ok(()))
    }

    /// Writes `message` now if the socket is ready, else queues it; `None`
    /// when the socket failed.
    fn offer(&mut self, message: Message, cx: &mut Context<'_>) -> Option<Offered> {
        let mut inner = Pin::new(&mut self.inner);
        match inner.as_mut().poll_ready(cx) {
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(_)) => return None,
            Poll::Pending => {
                self.backlog.push_back(message);
                return Some(Offered::Queued);
            }
        }
        self.unflushed = true;
        inner.as_mut().start_send(message).ok()?;
        match inner.poll_flush(cx) {
            Poll::Ready(Ok(())) => self.unflushed = false,
            Poll::Ready(Err(_)) => return None,
            Poll::Pending => {}
        }
        Some(Offered::Sent)
    }
}

impl<S> Outlet for Socket<S>
where
    S: Stream + Sink<Message> + Unpin + Send,
{
    fn offer(&self, frame: &mut dyn FnMut() -> Option<Message>) -> Offered {
        let mut state = self.lock();
        if state.broken {
            return Offered::Skipped;
        }
        let Some(message) = frame() else {
            return Offered::Skipped;
        };
        if !state.backlog.is_empty() {
            // Behind what waits already (the connection was woken for it).
            if state.backlog.len() >= BACKLOG {
                return Offered::Missed;
            }
            state.backlog.push_back(message);
            return Offered::Queued;
        }
        let mut cx = Context::from_waker(&self.others);
        let (offered, wake) = match state.offer(message, &mut cx) {
            // What the connection waited to write may have gone out too.
            Some(Offered::Sent) if !state.unflushed => (Offered::Sent, state.waiting),
            Some(offered) => (offered, true),
            None => {
                state.broken = true;
                (Offered::Skipped, true)
            }
        };
        drop(state);
        if wake {
            self.connection.0.wake();
        }
        offered
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::task::Wake;

    /// A sink that takes `room` messages, then blocks until given more;
    /// while `stuck`, its flush blocks. Like a socket, it keeps the last
    /// waker it was polled with, to wake when it can go on.
    #[derive(Default)]
    struct Pipe {
        room: usize,
        stuck: bool,
        written: Vec<String>,
        waker: Option<Waker>,
    }

    impl Stream for Pipe {
        type Item = ();
        fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<()>> {
            Poll::Pending
        }
    }

    impl Sink<Message> for Pipe {
        type Error = ();
        fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), ()>> {
            if self.room > 0 {
                Poll::Ready(Ok(()))
            } else {
                self.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
        fn start_send(mut self: Pin<&mut Self>, message: Message) -> Result<(), ()> {
            assert!(self.room > 0, "start_send without poll_ready");
            self.room -= 1;
            let Message::Text(text) = message else {
                return Err(());
            };
            self.written.push(text.to_string());
            Ok(())
        }
        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), ()>> {
            if self.stuck {
                self.waker = Some(cx.waker().clone());
                Poll::Pending
            } else {
                Poll::Ready(Ok(()))
            }
        }
        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), ()>> {
            Poll::Ready(Ok(()))
        }
    }

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn text(n: usize) -> Option<Message> {
        Some(Message::Text(n.to_string().into()))
    }

    fn written(socket: &Socket<Pipe>) -> Vec<String> {
        socket.lock().inner.written.clone()
    }

    #[test]
    fn frames_wait_for_a_blocked_socket_in_order_and_wake_the_connection() {
        let socket = Socket::new(Pipe {
            room: 1,
            ..Pipe::default()
        });
        let woken = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(woken.clone());
        let mut cx = Context::from_waker(&waker);
        // No backlog: the connection waits, registered.
        assert!(socket.poll_backlog(&mut cx).is_pending());

        assert_eq!(socket.offer(&mut || text(1)), Offered::Sent);
        assert_eq!(socket.offer(&mut || text(2)), Offered::Queued);
        assert_eq!(woken.0.load(Ordering::SeqCst), 1);
        assert_eq!(socket.offer(&mut || text(3)), Offered::Queued);
        // The connection's own message goes after them.
        let mut own = text(4);
        assert!(socket.poll_send(&mut cx, &mut own).is_pending());
        assert!(own.is_none());

        socket.lock().inner.room = 10;
        assert_eq!(socket.poll_backlog(&mut cx), Poll::Ready(Ok(())));
        assert_eq!(written(&socket), ["1", "2", "3", "4"]);
        assert!(socket.poll_backlog(&mut cx).is_pending());
        assert_eq!(socket.offer(&mut || text(5)), Offered::Sent);
        assert_eq!(written(&socket), ["1", "2", "3", "4", "5"]);
    }

    fn counter() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        (count, waker)
    }

    /// The socket can go on: it wakes whoever polled it last.
    fn unblock(socket: &Socket<Pipe>) {
        let waker = {
            let mut state = socket.lock();
            state.inner.stuck = false;
            state.inner.room = usize::MAX;
            state.inner.waker.take()
        };
        waker.expect("a waker was left").wake();
    }

    /// A socket whose flush blocks, and the connection's waker.
    fn stuck() -> (Socket<Pipe>, Arc<Count>, Waker) {
        let socket = Socket::new(Pipe {
            room: usize::MAX,
            stuck: true,
            ..Pipe::default()
        });
        let (woken, waker) = counter();
        (socket, woken, waker)
    }

    #[test]
    fn a_connection_waiting_to_write_hears_when_the_socket_can_go_on() {
        let (socket, woken, waker) = stuck();
        let mut cx = Context::from_waker(&waker);
        // The connection's own message waits for a blocked flush.
        assert!(socket.poll_send(&mut cx, &mut text(1)).is_pending());
        // A group's frame, polled after it, leaves the socket its own
        // waker, and wakes the connection to flush.
        assert_eq!(socket.offer(&mut || text(2)), Offered::Sent);
        assert_eq!(woken.0.load(Ordering::SeqCst), 1);
        let groups = socket.lock().inner.waker.take().expect("a waker");
        // That waker reaches the connection too.
        assert!(socket.poll_send(&mut cx, &mut None).is_pending());
        groups.wake();
        assert_eq!(woken.0.load(Ordering::SeqCst), 2);
        assert!(socket.poll_backlog(&mut cx).is_pending());
        unblock(&socket);
        assert_eq!(woken.0.load(Ordering::SeqCst), 3);
        assert_eq!(socket.poll_send(&mut cx, &mut None), Poll::Ready(Ok(())));
        assert!(socket.poll_backlog(&mut cx).is_pending());
        assert_eq!(written(&socket), ["1", "2"]);
    }

    #[test]
    fn a_frame_that_flushes_what_the_connection_waited_for_wakes_it() {
        let (socket, woken, waker) = stuck();
        let mut cx = Context::from_waker(&waker);
        assert!(socket.poll_send(&mut cx, &mut text(1)).is_pending());
        // The socket drains without a wake-up, and a group's frame flushes.
        socket.lock().inner.stuck = false;
        assert_eq!(socket.offer(&mut || text(2)), Offered::Sent);
        assert_eq!(woken.0.load(Ordering::SeqCst), 1);
        assert_eq!(socket.poll_send(&mut cx, &mut None), Poll::Ready(Ok(())));
        // Once the connection knows, group frames wake no one.
        assert_eq!(socket.offer(&mut || text(3)), Offered::Sent);
        assert_eq!(woken.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn once_a_backlog_is_written_out_group_frames_wake_no_one() {
        let (socket, woken, waker) = stuck();
        let mut cx = Context::from_waker(&waker);
        assert!(socket.poll_backlog(&mut cx).is_pending());
        assert_eq!(socket.offer(&mut || text(1)), Offered::Sent);
        assert_eq!(woken.0.load(Ordering::SeqCst), 1);
        // The connection tries, the socket is still stuck...
        assert!(socket.poll_backlog(&mut cx).is_pending());
        // ...then drains, and the next frame flushes everything.
        socket.lock().inner.stuck = false;
        assert_eq!(socket.offer(&mut || text(2)), Offered::Sent);
        assert_eq!(woken.0.load(Ordering::SeqCst), 2);
        assert!(socket.poll_backlog(&mut cx).is_pending());
        // Nothing is left, and the connection knows: no more wake-ups.
        for n in 3..6 {
            assert_eq!(socket.offer(&mut || text(n)), Offered::Sent);
        }
        assert_eq!(woken.0.load(Ordering::SeqCst), 2);
        assert_eq!(written(&socket), ["1", "2", "3", "4", "5"]);
    }

    #[test]
    fn a_client_that_does_not_read_misses_frames_beyond_the_backlog() {
        let socket = Socket::new(Pipe::default());
        for n in 0..BACKLOG {
            assert_eq!(socket.offer(&mut || text(n)), Offered::Queued);
        }
        assert_eq!(socket.offer(&mut || text(BACKLOG)), Offered::Missed);
        socket.lock().inner.room = usize::MAX;
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(socket.poll_backlog(&mut cx), Poll::Ready(Ok(())));
        let expected: Vec<String> = (0..BACKLOG).map(|n| n.to_string()).collect();
        assert_eq!(written(&socket), expected);
    }

    #[test]
    fn a_frame_no_longer_wanted_is_not_written() {
        let socket = Socket::new(Pipe {
            room: 5,
            ..Pipe::default()
        });
        let wanted = AtomicBool::new(false);
        let offered =
            socket.offer(&mut || wanted.load(Ordering::SeqCst).then(|| text(1)).flatten());
        assert_eq!(offered, Offered::Skipped);
        assert!(written(&socket).is_empty());
    }

    #[test]
    fn a_failed_socket_takes_nothing_more() {
        let socket = Socket::new(Pipe {
            room: 5,
            ..Pipe::default()
        });
        // A binary message fails this pipe, as a closed socket fails.
        let offered = socket.offer(&mut || Some(Message::Binary(Vec::new().into())));
        assert_eq!(offered, Offered::Skipped);
        assert_eq!(socket.offer(&mut || text(1)), Offered::Skipped);
        assert!(written(&socket).is_empty());
    }
}
