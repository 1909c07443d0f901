//! Opening a case with files, as one retry-safe operation.

use sha2::{Digest, Sha256};

use super::{Attachment, Case, CaseStore, Created, NewAttachment, NewCase};
use crate::{Actor, Error, Result, Scope, validate};

/// What [`create_with_files`] made (or, on a retry, found).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseWithFiles {
    /// The case, replayed when its key had been used.
    pub case: Created<Case>,
    /// The files attached with it, in the order given. On a replay, a file
    /// deleted since is left out rather than attached again.
    pub attachments: Vec<Attachment>,
}

/// The key of the `index`th file of a create keyed `key`: derived, so a
/// retried create attaches what is missing and never attaches a file twice.
pub fn file_key(key: &str, index: usize) -> String {
    let digest: String = Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("createCase:{digest}:{index}")
}

/// Opens a case and attaches `files` to it. Every file name is checked
/// before anything is written (field `input.attachments[i]`), so a bad file
/// cannot leave a case behind without its attachments. With an idempotency
/// key the whole operation is safe to retry: the case is replayed and each
/// file is attached at most once under its [`file_key`].
pub async fn create_with_files(
    store: &dyn CaseStore,
    scope: &Scope,
    actor: &Actor,
    new: NewCase,
    mut files: Vec<NewAttachment>,
) -> Result<CaseWithFiles> {
    for (i, file) in files.iter().enumerate() {
        validate::file_name(&format!("input.attachments[{i}]"), &file.file_name)?;
    }
    if let Some(key) = &new.idempotency_key {
        for (i, file) in files.iter_mut().enumerate() {
            file.idempotency_key = Some(file_key(key, i));
        }
    }
    let case = store.create_case(scope, actor, new).await?;
    let mut attachments = Vec::with_capacity(files.len());
    for file in files {
        match store
            .add_attachment(scope, actor, &case.record.id, file)
            .await
        {
            Ok(added) => attachments.push(added.record),
            Err(Error::NotFound { .. }) if case.replayed => {}
            Err(error) => return Err(error),
        }
    }
    Ok(CaseWithFiles { case, attachments })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_keys_are_distinct_per_file_and_per_create() {
        assert_eq!(file_key("k", 0), file_key("k", 0));
        assert_ne!(file_key("k", 0), file_key("k", 1));
        assert_ne!(file_key("k", 0), file_key("j", 0));
        // Within the 128 characters every key may have.
        assert!(file_key(&"x".repeat(128), 999).len() <= validate::MAX_IDEMPOTENCY_KEY_CHARS);
    }
}
