//! An MCP server for one HTTP API: `api` describes the API, `tools` holds one typed tool per
//! operation, `schemas` the schema text its tools share, `runtime` serves them (the same in every
//! generated server).

pub mod api;
pub mod runtime;
pub mod schemas;
pub mod tools;
