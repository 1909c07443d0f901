//! Files attached to cases.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;

use sha2::{Digest, Sha256};

use super::fingerprint;
use crate::{Result, validate};

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

/// An upload as every backend stores it ([`NewAttachment::checked`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedFile {
    /// The file name, checked.
    pub file_name: String,
    /// The media type; `application/octet-stream` when none was given.
    pub content_type: String,
    /// Hex SHA-256 of the content.
    pub sha256: String,
}

impl NewAttachment {
    /// The file name checked (field `file`), a blank media type read as
    /// `application/octet-stream`, the idempotency key checked (field
    /// `idempotencyKey`), and the content's digest.
    pub fn checked(&self) -> Result<CheckedFile> {
        let file_name = validate::file_name("file", &self.file_name)?;
        let content_type = match self.content_type.trim() {
            "" => "application/octet-stream".to_string(),
            given => given.to_string(),
        };
        if let Some(key) = &self.idempotency_key {
            validate::idempotency_key("idempotencyKey", key)?;
        }
        let sha256 = Sha256::digest(&self.data)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(CheckedFile {
            file_name,
            content_type,
            sha256,
        })
    }
}

impl CheckedFile {
    /// What a keyed upload of this file to the case `case_id` is recognised
    /// by when it is retried.
    pub fn fingerprint(&self, case_id: &str) -> String {
        fingerprint([case_id, &self.file_name, &self.content_type, &self.sha256])
    }
}

/// A stream of an attachment's content, chunk by chunk.
pub type ByteStream = BoxStream<'static, Result<Bytes>>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    fn file(name: &str, content_type: &str, key: Option<&str>) -> NewAttachment {
        NewAttachment {
            file_name: name.into(),
            content_type: content_type.into(),
            data: Bytes::from_static(b"abc"),
            idempotency_key: key.map(str::to_string),
        }
    }

    fn field_of(result: Result<CheckedFile>) -> String {
        match result {
            Err(Error::InvalidInput { field, .. }) => field,
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn uploads_are_checked_one_way() {
        let checked = file(" router.log ", "  ", Some("k")).checked().unwrap();
        assert_eq!(checked.file_name, "router.log");
        assert_eq!(checked.content_type, "application/octet-stream");
        assert_eq!(
            checked.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let typed = file("a.txt", " text/plain ", None).checked().unwrap();
        assert_eq!(typed.content_type, "text/plain");
        assert_eq!(field_of(file("../etc/passwd", "", None).checked()), "file");
        assert_eq!(
            field_of(file("a.txt", "", Some("")).checked()),
            "idempotencyKey"
        );
    }

    #[test]
    fn upload_fingerprints_name_the_case_and_the_file() {
        let checked = file("a.txt", "text/plain", None).checked().unwrap();
        let other_name = file("b.txt", "text/plain", None).checked().unwrap();
        assert_eq!(checked.fingerprint("1"), checked.fingerprint("1"));
        assert_ne!(checked.fingerprint("1"), checked.fingerprint("2"));
        assert_ne!(checked.fingerprint("1"), other_name.fingerprint("1"));
    }
}
