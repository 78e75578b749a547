//! Federation rows: actor keys, remote followers, inbound activities and
//! messages, the outbound activities and their durable delivery queue, blocks,
//! reports and reaction counts. Plain SQL over both backends, like the rest.

mod actors;
mod blocks;
mod followers;
mod inbound;
mod mentions;
mod outbound;
mod reactions;
mod shares;

pub use actors::{actor_key, force_id_by_domain, insert_actor_key, set_force_domain, ActorKey};
pub use blocks::{blocked_domains, blocks, insert_block, is_actor_blocked, Block};
pub use followers::{
    follower_count, followers, force_followers, remove_follow_by_id, remove_follower,
    upsert_follower, Follower,
};
pub use inbound::{
    delete_message, insert_message, messages, record_inbound, update_message, InboundMessage,
    NewInboundMessage,
};
pub use mentions::{insert_post_mention, post_mentions, PostMention};
pub use outbound::{
    claim_deliveries, deliveries_of, delivery_counts, delivery_targets, enqueue_delivery,
    insert_outbound, outbound, record_delivery, release_delivery_leases, set_outbound_body,
    set_outbound_share, Delivery, DeliveryResult, NewOutbound, Outbound,
};
pub use reactions::{
    add_reaction, insert_report, reaction_counts, remove_reaction, remove_reaction_to, reports,
    Report,
};
pub use shares::{active_share, insert_share, share, shares_of_post, undo_share, Share};
