//! One module per page.
pub mod api_tokens;
pub mod email_verify;
pub mod home;
pub mod log_out_all;
pub mod not_found;
pub mod password;
pub mod password_forgot;
pub mod password_reset;
pub mod protection;
pub mod reports;
pub mod second_factor;
pub mod security;
pub mod sessions;
pub mod sign_in;
pub mod sign_up;
pub mod time_zone;
pub mod two_factor;
