//! The server runtime: the same in every generated crate; only `api.rs` and `tools/` differ.

pub mod bodies;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod descriptor;
pub mod discovery;
pub mod formats;
pub mod http;
pub mod metrics;
pub mod request;
pub mod resilience;
pub mod results;
pub mod search;
pub mod server;
pub mod sessions;
pub mod shared;
pub mod stdio;
pub mod tls;
pub mod upstream;
pub mod validate;

pub use bodies::{FileInput, FormStyle};
pub use cli::main;
pub use descriptor::{
    ApiDescriptor, AuthSpec, InjectedSpec, ParamLocation, ProfileSpec, PromptSpec, ShardSpec, ToolArgs, ToolSpec,
    build, present,
};
pub use request::UpstreamRequest;
