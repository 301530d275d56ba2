//! Reporting: the account's campaigns and calls, counted by the person's
//! days (issue 9, work in progress: the day arithmetic and the validation of
//! what is stored exist; the tables, queries, sample data and page do not).

pub mod days;
pub mod entities;
