//! IR to Rust tokens: one function per kind of item.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;

use crate::emit::docs::doc_attrs;
use crate::ir::{
    Api, Auth, BodyMedia, BodyShape, Field, FieldType, FormStyle, InjectedParam, Location, PathPart, Tool, ToolGroup,
};

/// `src/api.rs`: the API descriptor.
pub fn api_module(api: &Api) -> TokenStream {
    let crate_name = &api.crate_name;
    let title = &api.title;
    let prefix = &api.env_prefix;
    let base_url = option_str(api.default_base_url.as_deref());
    let auth = api.auth.iter().map(auth_spec);
    let prompts = api.prompts.iter().map(|prompt| {
        let (name, description, template) = (&prompt.name, &prompt.description, &prompt.template);
        let arguments = prompt.arguments.iter().map(|a| {
            let (name, description, required) = (&a.name, &a.description, a.required);
            quote! { (#name, #description, #required) }
        });
        quote! { crate::runtime::PromptSpec { name: #name, description: #description, arguments: &[#(#arguments),*], template: #template } }
    });
    let default_vars = &api.default_vars;
    let (rps, burst) = api.rate_limit;
    let cache_ttl = api.cache_ttl_seconds;
    let user_agent = option_str(api.user_agent.as_deref());
    let shard = match &api.shard {
        Some(shard) => {
            let (var, template, default) = (&shard.credential_var, &shard.template, &shard.default);
            quote! { ::std::option::Option::Some(crate::runtime::ShardSpec { credential_var: #var, template: #template, default: #default }) }
        }
        None => quote! { ::std::option::Option::None },
    };
    let injected = api.injected.iter().map(injected_spec);
    let profiles = api.profiles.iter().map(|profile| {
        let (name, description) = (&profile.name, &profile.description);
        let tools = profile.tools.iter().map(|tool| {
            let (tool, name) = (&tool.tool, &tool.name);
            quote! { (#tool, #name) }
        });
        quote! { crate::runtime::ProfileSpec { name: #name, description: #description, tools: &[#(#tools),*] } }
    });
    let default_profile = &api.default_profile;
    let doc = doc_attrs(&format!("The {title} API, as this server reaches it."));
    quote! {
        //! The API this server fronts: its name, credentials and configured parameters.

        #doc
        pub static API: crate::runtime::ApiDescriptor = crate::runtime::ApiDescriptor {
            crate_name: #crate_name,
            title: #title,
            version: ::std::env!("CARGO_PKG_VERSION"),
            env_prefix: #prefix,
            default_base_url: #base_url,
            auth: &[#(#auth),*],
            injected: &[#(#injected),*],
            default_vars: &[#(#default_vars),*],
            rate_limit_rps: #rps,
            rate_limit_burst: #burst,
            cache_ttl_seconds: #cache_ttl,
            user_agent: #user_agent,
            shard: #shard,
            prompts: &[#(#prompts),*],
            profiles: &[#(#profiles),*],
            default_profile: #default_profile,
            shared_schemas: crate::schemas::SHARED,
        };
    }
}

fn auth_spec(auth: &Auth) -> TokenStream {
    match auth {
        Auth::Basic { username_var, password_var } => {
            let password_var = option_str(password_var.as_deref());
            quote! { crate::runtime::AuthSpec::Basic { username_var: #username_var, password_var: #password_var } }
        }
        Auth::Bearer { token_var } => quote! { crate::runtime::AuthSpec::Bearer { token_var: #token_var } },
        Auth::ApiKey { location, name, var } => {
            let location = param_location(*location);
            quote! { crate::runtime::AuthSpec::ApiKey { location: #location, name: #name, var: #var } }
        }
        Auth::OAuth2ClientCredentials {
            client_id_var,
            client_secret_var,
            token_url_var,
            default_token_url,
            scope_var,
        } => {
            let default_token_url = option_str(default_token_url.as_deref());
            quote! {
                crate::runtime::AuthSpec::OAuth2ClientCredentials {
                    client_id_var: #client_id_var,
                    client_secret_var: #client_secret_var,
                    token_url_var: #token_url_var,
                    default_token_url: #default_token_url,
                    scope_var: #scope_var,
                }
            }
        }
    }
}

fn injected_spec(param: &InjectedParam) -> TokenStream {
    let InjectedParam { wire_name, location, env_var, required, pattern } = param;
    let location = param_location(*location);
    let pattern = option_str(pattern.as_deref());
    quote! {
        crate::runtime::InjectedSpec { name: #wire_name, location: #location, env_var: #env_var, required: #required, pattern: #pattern }
    }
}

fn param_location(location: Location) -> TokenStream {
    match location {
        Location::Query => quote! { crate::runtime::ParamLocation::Query },
        Location::Cookie => quote! { crate::runtime::ParamLocation::Cookie },
        // Path and body values are never configured; lowering only injects headers, query
        // parameters and cookies.
        Location::Header | Location::Path | Location::Body => quote! { crate::runtime::ParamLocation::Header },
    }
}

/// `src/main.rs`: the binary, which hands the API and its tools to the runtime.
pub fn main_module(api: &Api) -> TokenStream {
    let library = ident(&crate::naming::snake_ident(&api.crate_name));
    quote! {
        //! The server binary.

        fn main() -> ::std::process::ExitCode {
            #library::runtime::main(&#library::api::API, #library::tools::TOOLS)
        }
    }
}

/// `src/tools/mod.rs`: the tool modules (one per tag, or its parts) and the table of every tool.
pub fn tools_module(groups: &[&ToolGroup]) -> TokenStream {
    let modules: Vec<Ident> = groups.iter().map(|group| ident(&group.module)).collect();
    let docs = groups.iter().map(|group| doc_attrs(&format!("Tools of the `{}` tag.", group.tag)));
    quote! {
        //! The tools, one module per tag of the API description.

        #(#docs pub mod #modules;)*

        /// Every tool of the server, by module.
        pub static TOOLS: &[&[crate::runtime::ToolSpec]] = &[#(#modules::TOOLS),*];
    }
}

/// `src/schemas/mod.rs`: the table of schema text the tools share, from its `parts`.
pub fn schemas_module(parts: usize) -> TokenStream {
    let modules: Vec<Ident> = (1..=parts).map(|n| ident(&format!("part{n}"))).collect();
    quote! {
        //! Schema text the tools share, stored once: `{"$shared": N}` in a tool's schema stands for
        //! the N-th text, counted across the parts in order.

        #(mod #modules;)*

        /// The shared texts, in parts.
        pub static SHARED: &[&[&str]] = &[#(#modules::SHARED),*];
    }
}

/// `src/schemas/partN.rs`: some of the shared schema texts.
pub fn schemas_part(texts: &[String]) -> TokenStream {
    quote! {
        //! Part of the schema text the tools share.

        /// These texts, in order.
        pub static SHARED: &[&str] = &[#(#texts),*];
    }
}

/// `src/tools/<module>.rs`: the argument structs and tool table of one tag.
pub fn group_module(group: &ToolGroup) -> TokenStream {
    let structs = group.tools.iter().map(args_struct);
    let specs = group.tools.iter().map(|tool| tool_spec(tool, &group.tag));
    let doc = format!(" Tools of the `{}` tag.", group.tag);
    quote! {
        #![doc = #doc]

        #(#structs)*

        /// The tools of this module.
        pub static TOOLS: &[crate::runtime::ToolSpec] = &[#(#specs),*];
    }
}

fn args_struct(tool: &Tool) -> TokenStream {
    let name = ident(&tool.args_type);
    let origin = match &tool.operation_id {
        Some(id) => {
            format!("Arguments of `{}`: `{} {}` (operationId `{id}`).", tool.name, tool.method.as_str(), tool.path)
        }
        None => format!("Arguments of `{}`: `{} {}`.", tool.name, tool.method.as_str(), tool.path),
    };
    let doc = doc_attrs(&origin);
    let fields = tool.fields.iter().map(struct_field);
    let request = to_request(tool);
    quote! {
        #doc
        #[derive(Debug, ::serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct #name {
            #(#fields)*
        }

        impl crate::runtime::ToolArgs for #name {
            fn to_request(&self) -> crate::runtime::UpstreamRequest {
                #request
            }
        }
    }
}

fn struct_field(field: &Field) -> TokenStream {
    let name = ident(&field.rust_name);
    let ty = rust_type(&field.ty);
    let plain_name = field.rust_name.trim_start_matches("r#");
    let rename = (plain_name != field.input_name).then(|| {
        let input = &field.input_name;
        quote! { #[serde(rename = #input)] }
    });
    let where_ = format!("{} `{}`.", field.location.label(), field.wire_name);
    let text = match &field.description {
        Some(description) => format!("{description}\n\n{where_}"),
        None => where_,
    };
    let doc = doc_attrs(&text);
    if field.required {
        quote! { #doc #rename pub #name: #ty, }
    } else if field.nullable {
        // Left out: not sent; `null`: sent as null, which clears the field.
        quote! {
            #doc #rename
            #[serde(default, deserialize_with = "crate::runtime::present")]
            pub #name: ::std::option::Option<::std::option::Option<#ty>>,
        }
    } else {
        quote! { #doc #rename #[serde(default)] pub #name: ::std::option::Option<#ty>, }
    }
}

fn rust_type(ty: &FieldType) -> TokenStream {
    match ty {
        FieldType::String => quote! { ::std::string::String },
        FieldType::Integer => quote! { i64 },
        FieldType::Number => quote! { f64 },
        FieldType::Boolean => quote! { bool },
        FieldType::Array(inner) => {
            let inner = rust_type(inner);
            quote! { ::std::vec::Vec<#inner> }
        }
        FieldType::Json => quote! { ::serde_json::Value },
        FieldType::File => quote! { crate::runtime::FileInput },
    }
}

fn to_request(tool: &Tool) -> TokenStream {
    let method = ident(tool.method.as_str());
    let path = tool.path_parts.iter().map(|part| match part {
        PathPart::Literal(text) => quote! { request.push_literal(#text); },
        PathPart::Param(rust_name) => {
            let name = ident(rust_name);
            let field = tool.fields.iter().find(|f| &f.rust_name == rust_name);
            let wire = field.map_or(rust_name.as_str(), |f| &f.wire_name);
            match field.filter(|f| !f.required).and_then(|f| f.default.as_ref()).and_then(literal) {
                Some(default) => quote! {
                    match &self.#name {
                        ::std::option::Option::Some(value) => request.push_segment(#wire, value),
                        ::std::option::Option::None => request.push_segment(#wire, #default),
                    }
                },
                None => quote! { request.push_segment(#wire, &self.#name); },
            }
        }
    });
    let media = tool.body.as_ref().map_or(BodyMedia::Json, |body| body.media);
    let whole_body = match tool.body.as_ref().map(|body| &body.shape) {
        Some(BodyShape::Whole(name)) => Some(name.as_str()),
        _ => None,
    };
    let fields = tool.fields.iter().filter(|f| f.location != Location::Path).map(|field| {
        let name = ident(&field.rust_name);
        let wire = &field.wire_name;
        let send = |value: TokenStream| match field.location {
            Location::Query => {
                let explode = field.explode;
                quote! { request.query(#wire, #value, #explode); }
            }
            Location::Header => quote! { request.header(#wire, #value); },
            Location::Cookie => quote! { request.cookie(#wire, #value); },
            Location::Body if whole_body == Some(field.rust_name.as_str()) => whole_body_call(media, wire, &value),
            Location::Body => body_field_call(media, field, &value),
            Location::Path => quote! { request.json_field(#wire, #value); },
        };
        if field.required {
            send(quote! { &self.#name })
        } else {
            let present = send(quote! { value });
            match field.default.as_ref().and_then(literal) {
                Some(default) => {
                    let absent = send(default);
                    quote! { match &self.#name { ::std::option::Option::Some(value) => { #present } ::std::option::Option::None => { #absent } } }
                }
                None => quote! { if let ::std::option::Option::Some(value) = &self.#name { #present } },
            }
        }
    });
    let constants = tool.constants.iter().map(|constant| {
        let (name, value) = (&constant.wire_name, &constant.value);
        match constant.location {
            Location::Query => quote! { request.query(#name, #value, true); },
            Location::Cookie => quote! { request.cookie(#name, #value); },
            _ => quote! { request.header(#name, #value); },
        }
    });
    let content_type = tool.body.as_ref().map(|body| {
        let content_type = &body.content_type;
        let xml = body.xml_root.as_ref().map(|root| quote! { request.json_to_xml(#root); });
        quote! { #xml request.set_content_type(#content_type); }
    });
    quote! {
        let mut request = crate::runtime::UpstreamRequest::new(::reqwest::Method::#method);
        #(#path)*
        #(#fields)*
        #(#constants)*
        #content_type
        request
    }
}

/// The call that sends a tool's one body field as the whole body.
fn whole_body_call(media: BodyMedia, wire: &str, value: &TokenStream) -> TokenStream {
    match media {
        BodyMedia::Json => quote! { request.json_body(#value); },
        BodyMedia::Form => quote! { request.form_body(#value); },
        BodyMedia::Multipart => quote! { request.multipart_body(#value); },
        BodyMedia::Xml | BodyMedia::Text => quote! { request.text_body(#value); },
        BodyMedia::Binary => quote! { request.file_body(#wire, #value); },
    }
}

/// The call that sends one body field (XML fields gather as JSON, written out as XML at the end).
fn body_field_call(media: BodyMedia, field: &Field, value: &TokenStream) -> TokenStream {
    let wire = &field.wire_name;
    match (media, &field.ty) {
        (BodyMedia::Form, _) => {
            let style = match field.form_style.unwrap_or(FormStyle::Form) {
                FormStyle::Form => quote! { Form { explode: true } },
                FormStyle::FormJoined => quote! { Form { explode: false } },
                FormStyle::SpaceDelimited => quote! { SpaceDelimited },
                FormStyle::PipeDelimited => quote! { PipeDelimited },
                FormStyle::DeepObject => quote! { DeepObject },
            };
            quote! { request.form_value(#wire, #value, crate::runtime::FormStyle::#style); }
        }
        (BodyMedia::Multipart, FieldType::File) => quote! { request.multipart_file(#wire, #value); },
        (BodyMedia::Multipart, FieldType::Array(item)) if **item == FieldType::File => {
            quote! { for file in #value { request.multipart_file(#wire, file); } }
        }
        (BodyMedia::Multipart, _) => quote! { request.multipart_value(#wire, #value); },
        _ => quote! { request.json_field(#wire, #value); },
    }
}

/// A scalar default as a Rust literal reference (`"2024-08-13"`, `&10i64`).
fn literal(value: &serde_json::Value) -> Option<TokenStream> {
    match value {
        serde_json::Value::String(text) => Some(quote! { #text }),
        serde_json::Value::Bool(b) => Some(quote! { &#b }),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => {
                let lit = Literal::i64_suffixed(i);
                Some(quote! { &#lit })
            }
            None => n.as_f64().map(|f| {
                let lit = Literal::f64_suffixed(f);
                quote! { &#lit }
            }),
        },
        _ => None,
    }
}

fn tool_spec(tool: &Tool, tag: &str) -> TokenStream {
    let name = &tool.name;
    let title = option_str(tool.title.as_deref());
    let description = &tool.description;
    let schema = serde_json::to_string(&tool.input_schema).unwrap_or_else(|_| "{}".into());
    let validation = serde_json::to_string(&tool.validation_schema).unwrap_or_else(|_| "{}".into());
    let method = tool.method.as_str();
    let path = &tool.path;
    let (read_only, destructive, idempotent) =
        (tool.annotations.read_only, tool.annotations.destructive, tool.annotations.idempotent);
    let args = ident(&tool.args_type);
    let idempotency_key = option_str(tool.idempotency_key.as_deref());
    let cacheable = tool.cacheable;
    let defaults = tool.defaults.iter().map(|(input, var)| quote! { (#input, #var) });
    quote! {
        crate::runtime::ToolSpec {
            name: #name,
            title: #title,
            description: #description,
            input_schema: #schema,
            validation: #validation,
            method: #method,
            path: #path,
            tags: &[#tag],
            read_only: #read_only,
            destructive: #destructive,
            idempotent: #idempotent,
            idempotency_key: #idempotency_key,
            cacheable: #cacheable,
            defaults: &[#(#defaults),*],
            build: crate::runtime::build::<#args>,
        }
    }
}

fn option_str(value: Option<&str>) -> TokenStream {
    match value {
        Some(value) => quote! { ::std::option::Option::Some(#value) },
        None => quote! { ::std::option::Option::None },
    }
}

/// An identifier made by `naming` (raw identifiers keep their `r#`).
fn ident(name: &str) -> Ident {
    match name.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(name, Span::call_site()),
    }
}

/// `tests/tools.rs`: the crate's table of argument rules and the random-arguments property, both
/// through a real MCP session against a recording fake upstream.
pub fn tests_module(
    api: &Api,
    cases: &[crate::emit::cases::Case],
    valid: &[(String, serde_json::Value)],
) -> TokenStream {
    let library = ident(&crate::naming::snake_ident(&api.crate_name));
    let rows = cases.iter().map(|case| {
        let (rule, tool) = (&case.rule, &case.tool);
        let arguments = case.arguments.to_string();
        let expect = match &case.expect {
            crate::emit::cases::Expect::Refused(fragments) => quote! { support::Expect::Refused(&[#(#fragments),*]) },
            crate::emit::cases::Expect::Sent(text) => quote! { support::Expect::Sent(#text) },
        };
        quote! { support::Case { rule: #rule, tool: #tool, arguments: #arguments, expect: #expect } }
    });
    let valid = valid.iter().map(|(tool, arguments)| {
        let arguments = arguments.to_string();
        quote! { (#tool, #arguments) }
    });
    quote! {
        //! Argument rules and random arguments, through a real MCP session against a recording fake
        //! upstream: refused calls say what to fix and never reach the API.

        mod support;

        use #library as server;

        /// One call per rule, on the first tool that has the feature.
        const CASES: &[support::Case] = &[#(#rows),*];

        /// Minimal valid arguments of every tool that has them.
        const VALID: &[(&str, &str)] = &[#(#valid),*];

        #[tokio::test]
        async fn argument_rules_through_mcp() {
            support::run_cases(CASES).await;
        }

        #[test]
        fn random_arguments_are_checked_before_the_upstream() {
            support::fuzz(VALID, 256);
        }

        #[test]
        fn every_tool_is_listable_with_a_valid_unique_name_and_a_strict_schema() {
            support::check_tool_table();
        }
    }
}

/// `tests/resilience.rs`: the fault-injection scenarios of the runtime, on this API's tools.
pub fn resilience_module(api: &Api, valid: &[(String, serde_json::Value)]) -> Option<TokenStream> {
    let library = ident(&crate::naming::snake_ident(&api.crate_name));
    let call = |tool: &Tool| {
        let (name, arguments) = valid.iter().find(|(name, _)| *name == tool.name)?;
        let arguments = arguments.to_string();
        Some(quote! { (#name, #arguments) })
    };
    let first = |pick: &dyn Fn(&Tool) -> bool| api.tools().filter(|tool| pick(tool)).find_map(call);
    let read = first(&|tool| tool.method == crate::ir::Method::Get)?;
    let write = first(&|tool| {
        matches!(tool.method, crate::ir::Method::Post | crate::ir::Method::Patch) && tool.idempotency_key.is_none()
    })?;
    let keyed = api.tools().find(|tool| tool.idempotency_key.is_some() && call(tool).is_some()).map(|tool| {
        let keyed = call(tool);
        let header = tool.idempotency_key.as_deref().unwrap_or_default();
        quote! {
            #[tokio::test]
            async fn a_post_with_an_idempotency_key_is_retried_with_the_same_key() {
                faults::idempotency_key_makes_a_post_retryable(READ, #keyed, #header).await;
            }
        }
    });
    let cached = first(&|tool| tool.cacheable).map(|cached| {
        quote! {
            #[tokio::test]
            async fn cached_gets_are_answered_until_a_write() {
                faults::cached_gets_until_a_write(READ, #cached, WRITE).await;
            }
        }
    });
    let oauth = api.auth.iter().any(|auth| matches!(auth, Auth::OAuth2ClientCredentials { .. })).then(|| {
        quote! {
            #[tokio::test]
            async fn fifty_concurrent_calls_fetch_one_token() {
                faults::concurrent_calls_fetch_one_token(READ).await;
            }

            #[tokio::test]
            async fn a_401_refreshes_the_token_once_and_retries_once() {
                faults::unauthorized_refreshes_the_token_once(READ).await;
            }
        }
    });
    Some(quote! {
        //! Resilience through `tools/call` against a scripted upstream: what is retried and what is
        //! not, Retry-After, the circuit breaker, the rate limit and tokens.

        mod support;

        use #library as server;
        use support::faults;

        /// A read tool and valid arguments.
        const READ: faults::Call = #read;

        /// A write tool (not idempotent) and valid arguments.
        const WRITE: faults::Call = #write;

        #[tokio::test]
        async fn a_post_that_timed_out_reached_the_upstream_once() {
            faults::post_that_timed_out_is_sent_once(READ, WRITE).await;
        }

        #[tokio::test]
        async fn a_post_that_got_a_5xx_reached_the_upstream_once() {
            faults::post_that_failed_is_sent_once(READ, WRITE).await;
        }

        #[tokio::test]
        async fn a_post_is_not_resent_after_a_reset() {
            faults::post_after_a_reset_is_not_resent(READ, WRITE).await;
        }

        #[tokio::test]
        async fn a_get_recovers_after_transient_failures() {
            faults::get_recovers_after_transient_failures(READ).await;
        }

        #[tokio::test]
        async fn retry_after_is_waited_for_in_both_forms() {
            faults::retry_after_is_waited_for(READ).await;
        }

        #[tokio::test]
        async fn retry_after_beyond_the_deadline_gives_up_early() {
            faults::retry_after_beyond_the_deadline_gives_up_early(READ).await;
        }

        #[tokio::test]
        async fn the_breaker_opens_fails_fast_and_closes_after_a_good_probe() {
            faults::breaker_opens_fails_fast_and_closes(READ).await;
        }

        #[tokio::test]
        async fn the_rate_limit_holds() {
            faults::rate_limit_holds(READ).await;
        }

        #keyed
        #cached
        #oauth
    })
}
