//! The string formats the server's validator knows. The generator reads this file too (as a module
//! of its own), so that it warns about exactly the formats no generated server checks.

/// Formats the validator checks, or deliberately accepts as free text (`binary`, `password`).
pub const CHECKED_FORMATS: &[&str] = &[
    "date-time",
    "date",
    "time",
    "email",
    "uuid",
    "uri",
    "ipv4",
    "int64",
    "int32",
    "decimal",
    "byte",
    "binary",
    "password",
];
