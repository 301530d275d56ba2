//! Reporting: the account's campaigns and calls, counted by the person's
//! days. `days` is the day arithmetic in the account's zone, `entities` what
//! is stored and how it is validated, `store` the tables and the report
//! query, `csv` calls as a spreadsheet reads them, `sample` the sample data
//! a new account can start from.

pub mod csv;
pub mod days;
pub mod entities;
pub mod sample;
mod service;
pub mod store;

pub use service::*;
