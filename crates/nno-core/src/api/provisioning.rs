//! Provisioning's operations, as gateway paths under `/api/v1/provisioning`
//! (provisioning serves them under `/api/v1/provision`).

use super::endpoint as e;
use super::Access::Authenticated as Auth;
use super::{Endpoint, Method};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    ProvisionPlatform,
    ListJobs,
    GetJob,
    RetryJob,
    Deprovision,
    Drift,
    Reconcile,
}

use Method::{Get, Post};
use Op::*;

#[rustfmt::skip]
pub const ENDPOINTS: [Endpoint<Op>; 7] = [
    e(Post, "platform", "provisionPlatform", ProvisionPlatform, Auth, None),
    e(Get, "jobs", "listProvisioningJobs", ListJobs, Auth, None),
    e(Get, "jobs/{jobId}", "getProvisioningJob", GetJob, Auth, None),
    e(Post, "jobs/{jobId}/retry", "retryProvisioningJob", RetryJob, Auth, None),
    e(Post, "platforms/{id}/deprovision", "deprovisionPlatform", Deprovision, Auth, None),
    e(Get, "platforms/{id}/drift", "getPlatformDrift", Drift, Auth, None),
    e(Post, "platforms/{id}/reconcile", "reconcilePlatform", Reconcile, Auth, None),
];
