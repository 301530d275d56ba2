//! The HTTP tests, as one test binary so the server is linked once: the real
//! server on a free port, driven like a browser (see `common`). Every
//! `on_both_backends!` scenario runs on SQLite and, when
//! `WARDEN_TEST_POSTGRES_URL` is set, on PostgreSQL.

#[macro_use]
mod common;
mod api;
mod api_client;
mod api_contract;
mod api_data;
mod api_resources;
mod api_schema;
mod api_tokens;
mod api_tokens_page;
mod bursts;
mod hardening;
mod instances;
mod key_check;
mod mail;
mod password;
mod promises;
mod protection;
mod reports_data;
mod reset_links;
mod security_key_pages;
mod security_keys;
mod sessions;
mod sign_in;
mod sign_up;
mod step_up;
mod stops;
mod storage;
mod time_zones;
mod token_life_cycle;
mod token_networks;
mod two_factor;
mod was_this_you;
mod webhooks;
