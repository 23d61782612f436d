//! [`TracedServer`] as an rmcp [`ServerHandler`]: every request and notification method of
//! the wrapped handler runs in an `mcp.server` span; the other methods (server info,
//! negotiation, tool lookup, `subscriptions/listen`) are forwarded unchanged.
//!
//! Being a `ServerHandler` (rather than a plain `Service`) is what rmcp's streamable HTTP
//! server requires of the handlers its factory builds; rmcp's own `Service` implementation
//! for handlers then dispatches each request to the method below.

// Logging and roots are deprecated by SEP-2577 but still part of the handler trait.
#![allow(deprecated)]

use std::borrow::Cow;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CancelTaskParams, CancelledNotificationParam,
    CompleteRequestParams, CompleteResult, CustomNotification, CustomRequest, CustomResult,
    DiscoverResult, GetPromptRequestParams, GetPromptResponse, GetSkillRequestParams,
    GetSkillResult, GetTaskParams, GetTaskResult, InitializeRequestParams, InitializeResult,
    ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListSkillsResult,
    ListToolsResult, PaginatedRequestParams, ProgressNotificationParam, ProtocolVersion,
    ReadResourceDirectoryRequestParams, ReadResourceDirectoryResult, ReadResourceRequestParams,
    ReadResourceResponse, ServerConfig, SetLevelRequestParams, SubscribeRequestParams,
    SubscriptionFilter, Tool, UnsubscribeRequestParams, UpdateTaskParams,
};
use rmcp::service::{NotificationContext, RequestContext, RoleServer, SubscriptionContext};
use rmcp::{ErrorData, ServerHandler};

use super::TracedServer;

/// A traced request method: `name(params) -> result` for `method`. With `params`, the
/// request's params are serialised for the span (target, tool arguments, resource URI).
macro_rules! traced {
    ($name:ident($params:ty) -> $out:ty, $method:literal) => {
        async fn $name(
            &self,
            request: $params,
            context: RequestContext<RoleServer>,
        ) -> Result<$out, ErrorData> {
            let call = self.begin($method, serde_json::to_value(&request).ok(), &context);
            self.finish(call, self.inner.$name(request, context), |_| None)
                .await
        }
    };
    ($name:ident() -> $out:ty, $method:literal) => {
        async fn $name(&self, context: RequestContext<RoleServer>) -> Result<$out, ErrorData> {
            let call = self.begin($method, None, &context);
            self.finish(call, self.inner.$name(context), |_| None).await
        }
    };
}

impl<S: ServerHandler> ServerHandler for TracedServer<S> {
    traced!(ping() -> (), "ping");
    traced!(discover() -> DiscoverResult, "server/discover");
    traced!(complete(CompleteRequestParams) -> CompleteResult, "completion/complete");
    traced!(set_level(SetLevelRequestParams) -> (), "logging/setLevel");
    traced!(get_prompt(GetPromptRequestParams) -> GetPromptResponse, "prompts/get");
    traced!(
        list_prompts(Option<PaginatedRequestParams>) -> ListPromptsResult,
        "prompts/list"
    );
    traced!(
        list_resources(Option<PaginatedRequestParams>) -> ListResourcesResult,
        "resources/list"
    );
    traced!(
        list_resource_templates(Option<PaginatedRequestParams>) -> ListResourceTemplatesResult,
        "resources/templates/list"
    );
    traced!(
        read_resource(ReadResourceRequestParams) -> ReadResourceResponse,
        "resources/read"
    );
    traced!(subscribe(SubscribeRequestParams) -> (), "resources/subscribe");
    traced!(unsubscribe(UnsubscribeRequestParams) -> (), "resources/unsubscribe");
    traced!(
        list_tools(Option<PaginatedRequestParams>) -> ListToolsResult,
        "tools/list"
    );
    traced!(get_task(GetTaskParams) -> GetTaskResult, "tasks/get");
    traced!(update_task(UpdateTaskParams) -> (), "tasks/update");
    traced!(cancel_task(CancelTaskParams) -> (), "tasks/cancel");
    traced!(
        list_skills(Option<PaginatedRequestParams>) -> ListSkillsResult,
        "skills/list"
    );
    traced!(get_skill(GetSkillRequestParams) -> GetSkillResult, "skills/get");
    traced!(
        read_resource_directory(ReadResourceDirectoryRequestParams) -> ReadResourceDirectoryResult,
        "resources/directory/read"
    );

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, ErrorData> {
        let call = self.begin("initialize", None, &context);
        let version = |result: &InitializeResult| {
            Some(serde_json::json!({"protocolVersion": result.protocol_version.to_string()}))
        };
        self.finish(call, self.inner.initialize(request, context), version)
            .await
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let call = self.begin("tools/call", serde_json::to_value(&request).ok(), &context);
        // The tool result (content, `isError`) of a completed call; a task or an input
        // request is no result yet.
        let result = |response: &CallToolResponse| match response {
            CallToolResponse::Complete(result) => serde_json::to_value(result).ok(),
            _ => None,
        };
        self.finish(call, self.inner.call_tool(request, context), result)
            .await
    }

    async fn on_custom_request(
        &self,
        request: CustomRequest,
        context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, ErrorData> {
        let method = request.method.clone();
        let call = self.begin(&method, request.params.clone(), &context);
        self.finish(call, self.inner.on_custom_request(request, context), |_| {
            None
        })
        .await
    }

    fn negotiate_initialize(
        &self,
        request: &InitializeRequestParams,
    ) -> Result<InitializeResult, ErrorData> {
        self.inner.negotiate_initialize(request)
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        self.inner.supported_protocol_versions()
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        self.inner.accepted_subscription_filter(requested)
    }

    /// `subscriptions/listen` lasts as long as the subscription: no operation span.
    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        self.inner.listen(context).await
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.inner.get_tool(name)
    }

    fn get_info(&self) -> ServerConfig {
        self.inner.get_info()
    }

    async fn on_cancelled(
        &self,
        notification: CancelledNotificationParam,
        context: NotificationContext<RoleServer>,
    ) {
        let params = serde_json::to_value(&notification).ok();
        let call = self.begin_notification("notifications/cancelled", params, &context);
        self.finish_notification(call, self.inner.on_cancelled(notification, context))
            .await
    }

    async fn on_progress(
        &self,
        notification: ProgressNotificationParam,
        context: NotificationContext<RoleServer>,
    ) {
        let params = serde_json::to_value(&notification).ok();
        let call = self.begin_notification("notifications/progress", params, &context);
        self.finish_notification(call, self.inner.on_progress(notification, context))
            .await
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        let call = self.begin_notification("notifications/initialized", None, &context);
        self.finish_notification(call, self.inner.on_initialized(context))
            .await
    }

    async fn on_roots_list_changed(&self, context: NotificationContext<RoleServer>) {
        let call = self.begin_notification("notifications/roots/list_changed", None, &context);
        self.finish_notification(call, self.inner.on_roots_list_changed(context))
            .await
    }

    async fn on_custom_notification(
        &self,
        notification: CustomNotification,
        context: NotificationContext<RoleServer>,
    ) {
        let method = notification.method.clone();
        let call = self.begin_notification(&method, notification.params.clone(), &context);
        self.finish_notification(
            call,
            self.inner.on_custom_notification(notification, context),
        )
        .await
    }
}
