//! Files attached to cases.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;

use crate::Result;

/// A file attached to a case (metadata; the content is read separately).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The attachment's id.
    pub id: String,
    /// The case.
    pub case_id: String,
    /// File name shown to users.
    pub file_name: String,
    /// Media type as uploaded.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: u64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A file to attach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewAttachment {
    /// File name as the client sent it.
    pub file_name: String,
    /// Media type as the client sent it.
    pub content_type: String,
    /// The content.
    pub data: Bytes,
    /// A client-chosen key: an upload retried with the same key returns the
    /// first attachment instead of storing the file again.
    pub idempotency_key: Option<String>,
}

/// A stream of an attachment's content, chunk by chunk.
pub type ByteStream = BoxStream<'static, Result<Bytes>>;
