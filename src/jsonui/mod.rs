//! Typed JSON-UI / JSON-ACTION model and validator.
