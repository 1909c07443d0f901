//! Case mutations.

use std::io::Read;

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject, Upload};
use switchboard_core::Error;
use switchboard_core::cases::{NewAttachment, NewCase, NewComment, create_with_files};

use super::Priority;
use super::nodes::{ActivityNode, AttachmentNode, CaseNode};
use crate::graphql::context::request;
use crate::graphql::errors::{IntoGql, to_gql};
use crate::graphql::guards::Require;

/// What a customer supplies to open a case.
#[derive(InputObject)]
pub struct CreateCaseInput {
    /// One of the caller's accounts.
    pub account_id: ID,
    /// Case type code (see `caseCatalog`).
    pub case_type: String,
    /// Support case type code; optional when the case type has only one.
    pub support_case_type: Option<String>,
    /// Category code of the support case type.
    pub category: String,
    /// Short title; the category's name when omitted.
    pub title: Option<String>,
    /// Problem description (required, at most 4000 characters).
    pub description: String,
    /// Urgency; LOW when omitted.
    pub priority: Option<Priority>,
    /// Service location, or set `locationNotListed`.
    pub location_id: Option<ID>,
    /// The location is not in the list.
    #[graphql(default)]
    pub location_not_listed: bool,
    /// Affected product, or set `productNotListed`.
    pub product_id: Option<ID>,
    /// The product is not in the list.
    #[graphql(default)]
    pub product_not_listed: bool,
    /// Contact; the caller when omitted.
    pub contact_id: Option<ID>,
    /// Extra addresses to notify.
    #[graphql(default)]
    pub watch_list: Vec<String>,
    /// Makes the create safe to retry: the same key returns the first case.
    pub idempotency_key: Option<String>,
    /// Files to attach (multipart request).
    pub attachments: Option<Vec<Upload>>,
}

/// The result of `createCase`.
#[derive(SimpleObject)]
pub struct CreateCasePayload {
    /// The case.
    pub case: CaseNode,
    /// True when the idempotency key had been used: nothing new was made.
    pub replayed: bool,
    /// The files attached with the case.
    pub attachments: Vec<AttachmentNode>,
}

fn read_upload(ctx: &Context<'_>, upload: &Upload, field: &str) -> Result<NewAttachment> {
    let unreadable = || to_gql(&Error::invalid(field, "the upload could not be read"));
    let value = upload.value(ctx).map_err(|_| unreadable())?;
    let file_name = value.filename.clone();
    let content_type = value.content_type.clone().unwrap_or_default();
    let mut data = Vec::new();
    value
        .into_read()
        .read_to_end(&mut data)
        .map_err(|_| unreadable())?;
    Ok(NewAttachment {
        file_name,
        content_type,
        data: data.into(),
        idempotency_key: None,
    })
}

/// Case mutations. Each write appends to the activity stream and publishes
/// a case event.
#[derive(Default)]
pub struct CaseMutation;

#[Object(guard = "Require::writer()")]
impl CaseMutation {
    /// Opens a case on one of the caller's accounts.
    async fn create_case(
        &self,
        ctx: &Context<'_>,
        input: CreateCaseInput,
    ) -> Result<CreateCasePayload> {
        let (caller, ports, _) = request(ctx)?;
        let files = input
            .attachments
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, u)| read_upload(ctx, u, &format!("input.attachments[{i}]")))
            .collect::<Result<Vec<_>>>()?;
        let new = NewCase {
            account_id: input.account_id.to_string(),
            case_type: input.case_type,
            support_case_type: input.support_case_type,
            category: input.category,
            title: input.title,
            description: input.description,
            priority: input.priority.map(Into::into),
            location_id: input.location_id.map(|i| i.to_string()),
            location_not_listed: input.location_not_listed,
            product_id: input.product_id.map(|i| i.to_string()),
            product_not_listed: input.product_not_listed,
            contact_id: input.contact_id.map(|i| i.to_string()),
            watch_list: input.watch_list,
            idempotency_key: input.idempotency_key,
        };
        let made = create_with_files(&*ports.cases, &caller.scope, &caller.actor, new, files)
            .await
            .gql()?;
        Ok(CreateCasePayload {
            case: CaseNode(made.case.record),
            replayed: made.case.replayed,
            attachments: made.attachments.into_iter().map(AttachmentNode).collect(),
        })
    }

    /// Adds a comment to the activity stream. Send a fresh `idempotencyKey`
    /// (1 to 128 characters, your own) per comment to make it safe to retry:
    /// the same key with the same case and body returns the first comment
    /// instead of posting another; with other input it is a CONFLICT.
    async fn add_case_comment(
        &self,
        ctx: &Context<'_>,
        case_id: ID,
        body: String,
        idempotency_key: Option<String>,
    ) -> Result<ActivityNode> {
        let (caller, ports, _) = request(ctx)?;
        let comment = NewComment {
            body,
            idempotency_key,
        };
        let created = ports
            .cases
            .add_comment(&caller.scope, &caller.actor, &case_id, comment)
            .await
            .gql()?;
        Ok(ActivityNode(created.record))
    }

    /// Attaches a file (a multipart request per the GraphQL multipart spec).
    /// Send a fresh `idempotencyKey` (1 to 128 characters, your own) per
    /// file to make it safe to retry: the same key with the same case and
    /// file returns the first attachment instead of storing another; with
    /// other input it is a CONFLICT.
    async fn add_case_attachment(
        &self,
        ctx: &Context<'_>,
        case_id: ID,
        file: Upload,
        idempotency_key: Option<String>,
    ) -> Result<AttachmentNode> {
        let (caller, ports, _) = request(ctx)?;
        let file = NewAttachment {
            idempotency_key,
            ..read_upload(ctx, &file, "file")?
        };
        let created = ports
            .cases
            .add_attachment(&caller.scope, &caller.actor, &case_id, file)
            .await
            .gql()?;
        Ok(AttachmentNode(created.record))
    }

    /// Renames an attachment.
    async fn rename_case_attachment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        file_name: String,
    ) -> Result<AttachmentNode> {
        let (caller, ports, _) = request(ctx)?;
        let a = ports
            .cases
            .rename_attachment(&caller.scope, &caller.actor, &id, &file_name)
            .await
            .gql()?;
        Ok(AttachmentNode(a))
    }

    /// Deletes an attachment; returns what it was.
    async fn delete_case_attachment(&self, ctx: &Context<'_>, id: ID) -> Result<AttachmentNode> {
        let (caller, ports, _) = request(ctx)?;
        let a = ports
            .cases
            .delete_attachment(&caller.scope, &caller.actor, &id)
            .await
            .gql()?;
        Ok(AttachmentNode(a))
    }

    /// Adds addresses to the watch list; returns the case.
    async fn add_to_watch_list(
        &self,
        ctx: &Context<'_>,
        case_id: ID,
        emails: Vec<String>,
    ) -> Result<CaseNode> {
        let (caller, ports, _) = request(ctx)?;
        ports
            .cases
            .add_watchers(&caller.scope, &caller.actor, &case_id, &emails)
            .await
            .gql()?;
        reload(ctx, &case_id).await
    }

    /// Removes addresses from the watch list; returns the case.
    async fn remove_from_watch_list(
        &self,
        ctx: &Context<'_>,
        case_id: ID,
        emails: Vec<String>,
    ) -> Result<CaseNode> {
        let (caller, ports, _) = request(ctx)?;
        ports
            .cases
            .remove_watchers(&caller.scope, &caller.actor, &case_id, &emails)
            .await
            .gql()?;
        reload(ctx, &case_id).await
    }

    /// Cancels a case that is NEW, OPEN or AWAITING_INFO.
    async fn cancel_case(
        &self,
        ctx: &Context<'_>,
        case_id: ID,
        reason: Option<String>,
    ) -> Result<CaseNode> {
        let (caller, ports, _) = request(ctx)?;
        let case = ports
            .cases
            .cancel_case(&caller.scope, &caller.actor, &case_id, reason.as_deref())
            .await
            .gql()?;
        Ok(CaseNode(case))
    }
}

async fn reload(ctx: &Context<'_>, case_id: &str) -> Result<CaseNode> {
    let (caller, ports, _) = request(ctx)?;
    ports
        .cases
        .cases_by_ids(&caller.scope, &[case_id.to_string()])
        .await
        .gql()?
        .pop()
        .map(CaseNode)
        .ok_or_else(|| to_gql(&Error::not_found(format!("case {case_id}"))))
}
