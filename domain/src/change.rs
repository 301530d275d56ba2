//! The one write path for a change that records a security event and may
//! mail the owner: the change's statements, its event and its notice commit
//! in one transaction, or none of them does. The mail worker is woken after
//! the commit. A notice goes only to an address its account has verified:
//! an unverified one may be a typo, or someone else's.

use crate::actor::{AccountId, ClientMeta};
use crate::deps::Deps;
use crate::error::Result;
use crate::events::{self, Event};
use crate::outbox::notices::{Happened, Notice};
use crate::outbox::{self, Mail};
use sqlx::{Any, AnyConnection, Transaction};

pub struct Change<'d> {
    tx: Transaction<'static, Any>,
    deps: &'d Deps,
    at: i64,
    queued_mail: bool,
}

impl<'d> Change<'d> {
    pub async fn begin(deps: &'d Deps) -> Result<Change<'d>> {
        Ok(Change { tx: deps.pool().begin().await?, deps, at: deps.now(), queued_mail: false })
    }

    /// The change's connection: run its statements here.
    pub fn db(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// The change's moment: every time it writes is this one.
    pub fn at(&self) -> i64 {
        self.at
    }

    /// The ports and rules the change runs with.
    pub(crate) fn deps(&self) -> &'d Deps {
        self.deps
    }

    /// Where people reach Warden, for links in mail.
    pub fn public_url(&self) -> &str {
        &self.deps.public_url
    }

    /// Queues a mail about `account` with the change (the reset link, say):
    /// the account's mail log lists it.
    pub async fn queue_mail(&mut self, account: AccountId, mail: &Mail) -> Result<()> {
        outbox::enqueue(&mut *self.tx, &self.deps.secret_box, Some(account), mail, self.at).await?;
        self.queued_mail = true;
        Ok(())
    }

    /// Records `event` with the change, and hands it to the account's
    /// webhooks ([`crate::deps::Announce`]) in the same transaction.
    pub async fn record(&mut self, account: Option<AccountId>, event: &Event, meta: &ClientMeta) -> Result<()> {
        events::record(&mut *self.tx, account, event, meta, self.at).await?;
        if let Some(id) = account {
            (self.deps.announce)(&mut self.tx, id, event.kind.code(), &event.detail, meta, self.at).await?;
        }
        Ok(())
    }

    /// Records `event` (see [`Self::record`]), queues `notice` for the
    /// owner, and commits it all.
    pub async fn commit(mut self, account: Option<AccountId>, event: Event, notice: Option<Notice>, meta: &ClientMeta) -> Result<()> {
        self.record(account, &event, meta).await?;
        let zone = match (&notice, account) {
            (Some(n), Some(id)) => (self.deps.verified_address_zone)(&mut self.tx, id, &n.to).await?,
            _ => None,
        };
        if let (Some(n), Some(zone), Some(id)) = (notice, zone, account) {
            let mail = n.to_mail(&self.deps.public_url, &Happened { at: self.at, meta, zone: &zone });
            self.queue_mail(id, &mail).await?;
        }
        self.tx.commit().await?;
        if self.queued_mail {
            self.deps.outbox.queued();
        }
        Ok(())
    }
}
