//! Reporting: the account's campaigns and calls, counted by the person's
//! days. `days` is the day arithmetic in the account's zone, `entities` what
//! is stored and how it is validated, `store` the tables and the report
//! query, `csv` calls as a spreadsheet reads them, `sample` the sample data
//! a new account can start from, `manage` campaigns and calls as the REST
//! API reads and writes them.

pub mod csv;
pub mod days;
pub mod entities;
pub mod manage;
pub mod sample;
mod service;
pub mod store;

pub use manage::{Call, CallId, CallPage, CallPatch, CallQuery, Campaign, CampaignId, CampaignPatch, DailyReport, NewCall, NewCampaign};
pub use service::*;
