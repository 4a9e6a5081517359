//! An MCP server for one HTTP API: `api` describes the API, `tools` holds one typed tool per
//! operation, `runtime` serves them (the same in every generated server).

pub mod api;
pub mod runtime;
pub mod tools;
