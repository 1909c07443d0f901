//! Introspection limited to operators: for every other caller (and for
//! anonymous ones) an introspection query is answered as if introspection
//! were turned off. The check runs for every transport, since it reads the
//! caller wherever the transport put it (request or connection data).

use std::any::TypeId;
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest,
};
use async_graphql::{Request, ServerResult};

use crate::auth::Caller;

/// Answers `__schema` and `__type` only for callers with the OPERATOR role.
pub struct OperatorsOnly;

impl ExtensionFactory for OperatorsOnly {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OperatorsOnlyExtension)
    }
}

struct OperatorsOnlyExtension;

#[async_trait::async_trait]
impl Extension for OperatorsOnlyExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let operator = caller_of(ctx, &request).is_some_and(|c| c.principal.operator);
        let request = if operator {
            request
        } else {
            request.disable_introspection()
        };
        next.run(ctx, request).await
    }
}

/// The caller in the request's data, or in the connection's (WebSocket).
fn caller_of<'a>(ctx: &ExtensionContext<'a>, request: &'a Request) -> Option<&'a Caller> {
    request
        .data
        .get(&TypeId::of::<Caller>())
        .and_then(|data| data.downcast_ref::<Caller>())
        .or_else(|| ctx.data_opt::<Caller>())
}
