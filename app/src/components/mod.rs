//! Pieces shared by several pages.
pub mod form_error;
pub mod header;
pub mod recovery_codes;

