//! Billing's operations, as gateway paths under `/api/v1/billing` (billing serves them
//! at its root: the gateway strips the prefix).

use super::endpoint as e;
use super::Access::{Authenticated as Auth, Public};
use super::{Endpoint, Method};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    GetSubscription,
    CreateSubscription,
    PreviewTierChange,
    ChangeTier,
    Cancel,
    Resume,
    ListInvoices,
    GetQuota,
    GetUsage,
    PutResource,
    RunMetering,
    StripeWebhook,
}

use Method::{Get, Post};
use Op::*;

#[rustfmt::skip]
pub const ENDPOINTS: [Endpoint<Op>; 12] = [
    e(Get, "subscription", "getSubscription", GetSubscription, Auth, None),
    e(Post, "subscription", "createSubscription", CreateSubscription, Auth, None),
    e(Get, "subscription/proration-preview", "previewTierChange", PreviewTierChange, Auth, None),
    e(Post, "subscription/change-tier", "changeTier", ChangeTier, Auth, None),
    e(Post, "subscription/cancel", "cancelSubscription", Cancel, Auth, None),
    e(Post, "subscription/resume", "resumeSubscription", Resume, Auth, None),
    e(Get, "invoices", "listInvoices", ListInvoices, Auth, None),
    e(Get, "quota", "getQuota", GetQuota, Auth, None),
    e(Get, "usage", "getUsage", GetUsage, Auth, None),
    e(Post, "resources", "putMeteredResource", PutResource, Auth, None),
    e(Post, "metering/run", "runMetering", RunMetering, Auth, None),
    // Stripe's deliveries: no credential but the signature, checked by billing.
    e(Post, "webhooks/stripe", "stripeWebhook", StripeWebhook, Public, None),
];
