//! Cutting a response short on the wire. hyper never sends a body shorter than its
//! `Content-Length` (it drops the connection before flushing), so the bytes a client sees
//! before a cut are decided here, below hyper: once armed, the stream lets the next response
//! head through, then exactly `after` bytes of its body, and then closes or goes silent.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// What happens to the next response written on a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    /// Send `after` bytes of the body, then close the connection.
    CloseAfter(usize),
    /// Send `after` bytes of the body, then nothing more, keeping the connection open.
    StallAfter(usize),
}

impl Cut {
    /// Body bytes sent before the cut.
    pub fn after(self) -> usize {
        match self {
            Cut::CloseAfter(after) | Cut::StallAfter(after) => after,
        }
    }
}

/// Arms the cut of a connection's next response; shared by the connection's handler and stream.
#[derive(Clone, Default)]
pub struct CutSwitch(Arc<Mutex<Option<Cut>>>);

impl CutSwitch {
    /// Cuts the next response written on the connection (the one being answered now: hyper
    /// writes responses one at a time, in order).
    pub fn arm(&self, cut: Cut) {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(cut);
    }

    fn take(&self) -> Option<Cut> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }
}

/// Where the stream is in the response being cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Not cutting: everything goes through.
    Passing,
    /// In the response head; `matched` bytes of its closing CRLF CRLF seen.
    Head { cut: Cut, matched: usize },
    /// In the body, `left` bytes still allowed.
    Body { cut: Cut, left: usize },
    /// The allowance is spent.
    Spent(Cut),
}

const HEAD_END: &[u8; 4] = b"\r\n\r\n";

/// How many bytes of `buf` may be written in `phase`, and the phase once they are.
fn allowance(phase: Phase, buf: &[u8]) -> (usize, Phase) {
    match phase {
        Phase::Passing => (buf.len(), Phase::Passing),
        Phase::Head { cut, mut matched } => {
            for (at, &byte) in buf.iter().enumerate() {
                matched = if byte == HEAD_END[matched] {
                    matched + 1
                } else {
                    usize::from(byte == b'\r')
                };
                if matched == HEAD_END.len() {
                    let head = at + 1;
                    let (body, next) = allowance(
                        Phase::Body {
                            cut,
                            left: cut.after(),
                        },
                        &buf[head..],
                    );
                    return (head + body, next);
                }
            }
            (buf.len(), Phase::Head { cut, matched })
        }
        Phase::Body { cut, left } => {
            let allowed = left.min(buf.len());
            let next = if allowed == left {
                Phase::Spent(cut)
            } else {
                Phase::Body {
                    cut,
                    left: left - allowed,
                }
            };
            (allowed, next)
        }
        Phase::Spent(cut) => (0, Phase::Spent(cut)),
    }
}

/// A connection's byte stream that obeys its [`CutSwitch`].
pub struct CuttableStream<S> {
    inner: S,
    switch: CutSwitch,
    phase: Phase,
}

impl<S> CuttableStream<S> {
    /// Wraps `inner`; `switch` arms the cuts.
    pub fn new(inner: S, switch: CutSwitch) -> Self {
        CuttableStream {
            inner,
            switch,
            phase: Phase::Passing,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for CuttableStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for CuttableStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.phase == Phase::Passing {
            if let Some(cut) = self.switch.take() {
                self.phase = Phase::Head { cut, matched: 0 };
            }
        }
        let (limit, _) = allowance(self.phase, buf);
        if limit == 0 && !buf.is_empty() {
            return match self.phase {
                Phase::Spent(Cut::CloseAfter(_)) => {
                    // A failed shutdown still ends the connection, which is all that matters.
                    let _ = ready!(Pin::new(&mut self.inner).poll_shutdown(cx));
                    Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::BrokenPipe,
                        "the test server cut the body",
                    )))
                }
                // Never woken: the connection stays open and silent until the server stops.
                _ => Poll::Pending,
            };
        }
        let written = ready!(Pin::new(&mut self.inner).poll_write(cx, &buf[..limit]))?;
        self.phase = allowance(self.phase, &buf[..written]).1;
        Poll::Ready(Ok(written))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

mod tests {
    use super::*;

    #[test]
    fn the_allowance_covers_the_head_and_then_the_cut_body() {
        let cut = Cut::CloseAfter(3);
        let start = Phase::Head { cut, matched: 0 };
        let response = b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n0123456789";
        let head = response.len() - 10;
        assert_eq!(allowance(start, response), (head + 3, Phase::Spent(cut)));

        let (first, middle) = allowance(start, &response[..head - 2]);
        assert_eq!(first, head - 2, "a head split over writes goes through");
        assert_eq!(
            allowance(middle, &response[head - 2..]),
            (5, Phase::Spent(cut))
        );
        assert_eq!(
            allowance(Phase::Spent(cut), b"more"),
            (0, Phase::Spent(cut))
        );
        assert_eq!(allowance(Phase::Passing, b"anything"), (8, Phase::Passing));
    }
}
