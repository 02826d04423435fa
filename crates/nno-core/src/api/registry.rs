//! Registry's platform operations, as gateway paths under `/api/v1/platforms` (registry
//! serves them under the same path). `""` is the collection itself.

use super::endpoint as e;
use super::Access::Authenticated as Auth;
use super::{Endpoint, Method};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    ListPlatforms,
    CreatePlatform,
    GetPlatform,
    UpdatePlatform,
    DeletePlatform,
    SuspendPlatform,
    RestorePlatform,
    CancelPlatform,
    ListTenants,
    CreateTenant,
    GetTenant,
    UpdateTenant,
    DeleteTenant,
    ListStacks,
    ListResources,
    ListDns,
    ListAudit,
    ListLifecycle,
    GetConfig,
    PutConfig,
}

use Method::{Delete, Get, Patch, Post, Put};
use Op::*;

/// Every registry platform operation; all need credentials, and each checks who the
/// caller is against the platform's owning tenant.
#[rustfmt::skip]
pub const ENDPOINTS: [Endpoint<Op>; 20] = [
    e(Get, "", "listPlatforms", ListPlatforms, Auth, None),
    e(Post, "", "createPlatform", CreatePlatform, Auth, None),
    e(Get, "{id}", "getPlatform", GetPlatform, Auth, None),
    e(Patch, "{id}", "updatePlatform", UpdatePlatform, Auth, None),
    e(Delete, "{id}", "deletePlatform", DeletePlatform, Auth, None),
    e(Post, "{id}/suspend", "suspendPlatform", SuspendPlatform, Auth, None),
    e(Post, "{id}/restore", "restorePlatform", RestorePlatform, Auth, None),
    e(Post, "{id}/cancel", "cancelPlatform", CancelPlatform, Auth, None),
    e(Get, "{id}/tenants", "listPlatformTenants", ListTenants, Auth, None),
    e(Post, "{id}/tenants", "createPlatformTenant", CreateTenant, Auth, None),
    e(Get, "{id}/tenants/{tenantId}", "getPlatformTenant", GetTenant, Auth, None),
    e(Patch, "{id}/tenants/{tenantId}", "updatePlatformTenant", UpdateTenant, Auth, None),
    e(Delete, "{id}/tenants/{tenantId}", "deletePlatformTenant", DeleteTenant, Auth, None),
    e(Get, "{id}/stacks", "listPlatformStacks", ListStacks, Auth, None),
    e(Get, "{id}/resources", "listPlatformResources", ListResources, Auth, None),
    e(Get, "{id}/dns", "listPlatformDns", ListDns, Auth, None),
    e(Get, "{id}/audit", "listPlatformAudit", ListAudit, Auth, None),
    e(Get, "{id}/lifecycle", "listPlatformLifecycle", ListLifecycle, Auth, None),
    e(Get, "{id}/config", "getPlatformConfig", GetConfig, Auth, None),
    e(Put, "{id}/config", "putPlatformConfig", PutConfig, Auth, None),
];

/// Writes the gateway lets through on a suspended, cancelled or deleted platform: what
/// a customer needs to recover (restore, or cancel for good) and deletion.
pub fn recovery_path(rest: &str) -> bool {
    matches!(rest.split_once('/'), Some((_, "restore" | "cancel")))
}
