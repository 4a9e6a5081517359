//! An MCP server for one HTTP API: `api` describes the API, `tools` holds one typed tool per
//! operation, `schemas` the schema text its tools share, `runtime` serves them (the crate in
//! `runtime/`, the same in every generated server).

pub mod api;
pub mod schemas;
pub mod tools;

pub use mcpgen_runtime as runtime;
