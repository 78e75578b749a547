//! Federation use cases: what a post's publication, edit and deletion queue for
//! the fediverse, what an inbound activity changes, staff blocks, and the
//! delivery queue's bookkeeping. No HTTP here: the web layer verifies signatures,
//! fetches remote documents and sends; this module only decides and stores, each
//! time in one transaction.

mod delivery;
mod inbound;
mod mentions;
mod outbound;
pub(crate) mod shares;
mod staff;
mod urls;

pub use delivery::{
    claim_deliveries, record_deliveries, recover_deliveries_after_restart, save_actor_key,
    save_outbound_body,
};
pub use inbound::{
    reaction_counts, receive, receive_batch, InboundItem, Received, RemoteActorInfo,
};
pub use mentions::{
    resolve_mentions_for_job, BoxFuture, MentionRequest, MentionResolver, NoResolver, MAX_MENTIONS,
};
pub use outbound::{fan_out, on_deleted, on_edited, on_published};
pub use shares::{share, share_options, unshare, Shared};
pub use staff::{block, inbox, InboxView};
pub use urls::host_of;
pub(crate) use urls::local_post;

/// The job that expands one outbound activity into deliveries, one per inbox.
pub const FANOUT_JOB: &str = "federation_fanout";
