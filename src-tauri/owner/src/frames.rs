//! Reading and writing the API's frames: one JSON value per line, at most as long as the
//! reading side accepts ([`crate::protocol::MAX_FRAME_BYTES`] for requests,
//! [`crate::protocol::MAX_ANSWER_BYTES`] for answers and events).

use serde::Serialize;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

use crate::protocol::PROTOCOL_VERSION;

/// One line read from a peer.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A whole line, without its `\n`.
    Line(Vec<u8>),
    /// A line longer than the limit; it was read to its end and thrown away.
    TooLong,
}

/// Reads the next line, holding at most `limit` bytes of it in memory; `None` at the end of
/// the stream (a last line without `\n` counts as a line).
pub async fn read_frame<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    limit: usize,
) -> std::io::Result<Option<Frame>> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(match (too_long, line.is_empty()) {
                (true, _) => Some(Frame::TooLong),
                (false, true) => None,
                (false, false) => Some(Frame::Line(line)),
            });
        }
        let (chunk, end) = match available.iter().position(|&b| b == b'\n') {
            Some(at) => (&available[..at], Some(at + 1)),
            None => (available, None),
        };
        if !too_long && line.len() + chunk.len() > limit {
            too_long = true;
            line = Vec::new();
        }
        if !too_long {
            line.extend_from_slice(chunk);
        }
        let used = end.unwrap_or(available.len());
        reader.consume(used);
        if end.is_some() {
            return Ok(Some(if too_long {
                Frame::TooLong
            } else {
                Frame::Line(line)
            }));
        }
    }
}

/// Writes `value` as one line.
pub async fn write_frame<W: AsyncWrite + Unpin>(
    writer: &mut W,
    value: &impl Serialize,
) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    line.push(b'\n');
    writer.write_all(&line).await?;
    writer.flush().await
}

/// Writes the answer to request `id`, `{"v":1,"id":…,"ok":…}`, whose result `json` is already
/// serialised, and flushes; the result is written as it is, not copied into the frame.
pub async fn write_answer<W: AsyncWrite + Unpin>(
    writer: &mut W,
    id: u64,
    json: &str,
) -> std::io::Result<()> {
    let head = format!(r#"{{"v":{PROTOCOL_VERSION},"id":{id},"ok":"#);
    writer.write_all(head.as_bytes()).await?;
    writer.write_all(json.as_bytes()).await?;
    writer.write_all(b"}\n").await?;
    writer.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::MAX_FRAME_BYTES;
    use tokio::io::BufReader;

    #[tokio::test]
    async fn lines_come_one_by_one_and_a_long_one_is_skipped_to_its_end() {
        let mut input = b"{\"a\":1}\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', MAX_FRAME_BYTES + 10));
        input.extend(b"\n{\"b\":2}\nlast");
        // A small buffer makes the long line arrive in many pieces.
        let mut reader = BufReader::with_capacity(4096, &input[..]);
        assert_eq!(
            read_frame(&mut reader, MAX_FRAME_BYTES).await.unwrap(),
            Some(Frame::Line(b"{\"a\":1}".to_vec()))
        );
        assert_eq!(
            read_frame(&mut reader, MAX_FRAME_BYTES).await.unwrap(),
            Some(Frame::TooLong)
        );
        assert_eq!(
            read_frame(&mut reader, MAX_FRAME_BYTES).await.unwrap(),
            Some(Frame::Line(b"{\"b\":2}".to_vec()))
        );
        assert_eq!(
            read_frame(&mut reader, MAX_FRAME_BYTES).await.unwrap(),
            Some(Frame::Line(b"last".to_vec()))
        );
        assert_eq!(
            read_frame(&mut reader, MAX_FRAME_BYTES).await.unwrap(),
            None
        );
    }
}
