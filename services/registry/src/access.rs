//! Who may do what to a platform. A platform belongs to the NNO tenant whose member
//! onboarded it: NNO's platform admins (and the service key, and NNO's own services)
//! see and manage everything; the owning tenant's owners and admins
//! (`platforms:manage`) manage it; its members (`platforms:read`) read it; anyone else
//! gets the answer a platform that does not exist gets, so ids cannot be probed.

use crate::store::platforms::Platform;
use nno_core::identity::Identity;
use nno_core::ApiError;
use nno_worker::RequestContext;

pub use nno_worker::platform_access::{authenticated, caller_tenant, is_operator, Need};

/// Whether the caller may `need` on `platform`: 404 when they may not even read it.
pub fn check(ctx: &RequestContext, platform: &Platform, need: Need) -> Result<(), ApiError> {
    nno_worker::platform_access::check(ctx, &platform.owner_tenant_id, need, "platform")
}

/// Who did it, for the audit log: never a secret, always enough to find them.
pub fn actor(id: &Identity) -> String {
    match id {
        Identity::Session { user_id, .. } => format!("user:{user_id}"),
        Identity::Apikey {
            key_id, user_id, ..
        } => format!("apikey:{key_id}:user:{user_id}"),
        Identity::Service => "service-key".into(),
        Identity::Internal => "nno-internal".into(),
        Identity::None => "anonymous".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_name_who_did_it() {
        assert_eq!(actor(&Identity::Service), "service-key");
        assert_eq!(actor(&Identity::None), "anonymous");
    }
}
