//! Onboarding, served by registry, as gateway paths under `/api/v1/onboarding`.

use super::endpoint as e;
use super::Access::Authenticated as Auth;
use super::{Endpoint, Method};

/// The gateway prefix (registry serves two).
pub const PREFIX: &str = "/api/v1/onboarding";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    CreateSession,
    GetSession,
    RetrySession,
    SlugAvailability,
}

use Method::{Get, Post};
use Op::*;

#[rustfmt::skip]
pub const ENDPOINTS: [Endpoint<Op>; 4] = [
    e(Post, "sessions", "createOnboardingSession", CreateSession, Auth, None),
    e(Get, "sessions/{id}", "getOnboardingSession", GetSession, Auth, None),
    e(Post, "sessions/{id}/retry", "retryOnboardingSession", RetrySession, Auth, None),
    e(Get, "slug-availability", "onboardingSlugAvailability", SlugAvailability, Auth, None),
];
