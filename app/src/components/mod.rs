//! Pieces shared by several pages.
pub mod confirm_fields;
pub mod email_banner;
pub mod form_error;
pub mod header;
pub mod hydrated;
pub mod key_button;
pub mod loaded;
pub mod modal;
pub mod new_password;
pub mod recovery_codes;
pub mod second_factor_field;
pub mod sign_out_others;
pub mod submit;
pub mod switch_row;
pub mod usage_chart;
pub mod when;
