//! The server runtime: the same in every generated crate; only `api.rs` and `tools/` differ.

mod cli;
mod config;
mod descriptor;
mod request;
mod results;
mod server;
mod upstream;

pub use cli::main;
pub use descriptor::{ApiDescriptor, AuthSpec, InjectedSpec, ParamLocation, ToolArgs, ToolSpec, build};
pub use request::UpstreamRequest;
