//! Unit tests of the terminal's wire behaviour.
#![allow(clippy::unwrap_used)]
