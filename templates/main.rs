//! The server binary.

mod api;
mod runtime;
mod tools;

fn main() -> std::process::ExitCode {
    runtime::main(&api::API, tools::TOOLS)
}
