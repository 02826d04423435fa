//! The platform vocabulary every service shares: status and its lifecycle, tiers,
//! resource kinds, SSL states. Registry owns a platform's status; the gateway reads it
//! (from the Platform Status KV) to refuse writes on a suspended platform.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $wire)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            pub fn parse(s: &str) -> Option<$name> {
                match s { $($wire => Some($name::$variant),)+ _ => None }
            }

            /// The wire names, for error messages and the OpenAPI document.
            pub fn names() -> Vec<&'static str> {
                Self::ALL.iter().map(|v| v.as_str()).collect()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// A platform's status (digest §5).
    PlatformStatus {
        Pending = "pending",
        Provisioning = "provisioning",
        Active = "active",
        Suspended = "suspended",
        PendingCancellation = "pending_cancellation",
        Cancelled = "cancelled",
        Deleted = "deleted",
    }
);

wire_enum!(Tier { Starter = "starter", Growth = "growth", Scale = "scale" });

wire_enum!(
    /// What a platform is (ADR-016): a console built from the builder, or an end-user
    /// project.
    PlatformClass { Platform = "platform", UserProject = "user_project" }
);

wire_enum!(
    ResourceKind {
        Worker = "worker",
        Pages = "pages",
        D1 = "d1",
        R2 = "r2",
        Kv = "kv",
        Queue = "queue",
        Hostname = "hostname",
    }
);

wire_enum!(SslStatus { Pending = "pending", Active = "active", Failed = "failed" });

wire_enum!(
    /// What may be done to a platform's status.
    Transition {
        StartProvisioning = "start_provisioning",
        Activate = "activate",
        Suspend = "suspend",
        Restore = "restore",
        Cancel = "cancel",
        CompleteCancellation = "complete_cancellation",
        Delete = "delete",
    }
);

impl PlatformStatus {
    /// Writes on a platform in these states are refused (423) by the gateway.
    pub const fn blocks_writes(self) -> bool {
        matches!(
            self,
            PlatformStatus::Suspended | PlatformStatus::Cancelled | PlatformStatus::Deleted
        )
    }

    /// The state `t` leads to from here, or `None` if it is not allowed.
    ///
    /// `pending → provisioning → active`; `active → suspended | pending_cancellation`;
    /// `suspended → active | pending_cancellation`; `pending_cancellation → cancelled`
    /// at the period's end, or back to `active` if the customer changes their mind
    /// before it; anything but `deleted` → `deleted` (soft).
    pub const fn after(self, t: Transition) -> Option<PlatformStatus> {
        use PlatformStatus as S;
        use Transition as T;
        Some(match (self, t) {
            (S::Pending, T::StartProvisioning) => S::Provisioning,
            (S::Provisioning, T::Activate) => S::Active,
            (S::Active, T::Suspend) => S::Suspended,
            (S::Active | S::Suspended, T::Cancel) => S::PendingCancellation,
            (S::Suspended | S::PendingCancellation, T::Restore) => S::Active,
            (S::PendingCancellation, T::CompleteCancellation) => S::Cancelled,
            (S::Deleted, T::Delete) => return None,
            (_, T::Delete) => S::Deleted,
            _ => return None,
        })
    }

    /// Every transition allowed from here (for a 409's `details`).
    pub fn allowed(self) -> Vec<Transition> {
        Transition::ALL
            .iter()
            .copied()
            .filter(|t| self.after(*t).is_some())
            .collect()
    }

    /// The states `t` may start from (what a conditional UPDATE's `WHERE status IN`
    /// lists, so two concurrent transitions cannot both win).
    pub fn sources(t: Transition) -> Vec<PlatformStatus> {
        PlatformStatus::ALL
            .iter()
            .copied()
            .filter(|s| s.after(t).is_some())
            .collect()
    }
}

/// A slug: 3 to 40 characters of `[a-z0-9-]`, starting with a letter, not ending
/// with `-`, no `--` (it can become part of hostnames and resource names).
pub fn validate_slug(s: &str) -> Result<(), &'static str> {
    let b = s.as_bytes();
    if b.len() < 3 || b.len() > 40 {
        return Err("must be 3 to 40 characters long");
    }
    if !b
        .iter()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
    {
        return Err("may only contain a-z, 0-9 and '-'");
    }
    if !b[0].is_ascii_lowercase() {
        return Err("must start with a letter");
    }
    if b[b.len() - 1] == b'-' || s.contains("--") {
        return Err("may not end with '-' or contain '--'");
    }
    Ok(())
}

/// Slugs no customer may take (they name NNO's own things or would confuse people).
pub const RESERVED_SLUGS: &[&str] = &[
    "nno",
    "api",
    "www",
    "admin",
    "console",
    "docs",
    "auth",
    "default",
    "gateway",
    "iam",
    "registry",
    "billing",
    "provisioning",
    "stacks",
    "status",
    "support",
    "system",
];

/// The reserved stack name every platform gets at onboarding.
pub const DEFAULT_STACK: &str = "default";

#[cfg(test)]
mod tests {
    use super::PlatformStatus as S;
    use super::Transition as T;
    use super::*;

    #[test]
    fn the_lifecycle_is_the_documented_one() {
        assert_eq!(
            S::Pending.after(T::StartProvisioning),
            Some(S::Provisioning)
        );
        assert_eq!(S::Provisioning.after(T::Activate), Some(S::Active));
        assert_eq!(S::Active.after(T::Suspend), Some(S::Suspended));
        assert_eq!(S::Active.after(T::Cancel), Some(S::PendingCancellation));
        assert_eq!(S::Suspended.after(T::Restore), Some(S::Active));
        assert_eq!(S::Suspended.after(T::Cancel), Some(S::PendingCancellation));
        assert_eq!(
            S::PendingCancellation.after(T::CompleteCancellation),
            Some(S::Cancelled)
        );
        for s in S::ALL.iter().filter(|s| **s != S::Deleted) {
            assert_eq!(s.after(T::Delete), Some(S::Deleted), "{s}");
        }
    }

    #[test]
    fn everything_else_is_refused() {
        assert_eq!(S::Pending.after(T::Activate), None);
        assert_eq!(S::Active.after(T::Activate), None);
        assert_eq!(S::Suspended.after(T::Suspend), None);
        assert_eq!(S::Cancelled.after(T::Restore), None);
        assert_eq!(S::Active.after(T::CompleteCancellation), None);
        assert_eq!(S::Deleted.after(T::Delete), None);
        assert!(S::Deleted.allowed().is_empty());
        assert_eq!(S::Cancelled.allowed(), vec![T::Delete]);
        assert_eq!(S::Active.allowed(), vec![T::Suspend, T::Cancel, T::Delete]);
        assert_eq!(
            S::sources(T::Restore),
            vec![S::Suspended, S::PendingCancellation]
        );
    }

    #[test]
    fn only_stopped_platforms_block_writes() {
        let blocked: Vec<_> = S::ALL.iter().filter(|s| s.blocks_writes()).collect();
        assert_eq!(blocked, [&S::Suspended, &S::Cancelled, &S::Deleted]);
    }

    #[test]
    fn wire_names_round_trip() {
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_string(s).unwrap(), format!("\"{s}\""));
        }
        assert_eq!(ResourceKind::parse("d1"), Some(ResourceKind::D1));
        assert_eq!(Tier::parse("enterprise"), None);
    }

    #[test]
    fn slugs() {
        assert!(validate_slug("acme").is_ok());
        assert!(validate_slug("acme-2").is_ok());
        for bad in [
            "ab",
            "Acme",
            "1acme",
            "acme-",
            "ac--me",
            "ac_me",
            &"a".repeat(41),
        ] {
            assert!(validate_slug(bad).is_err(), "{bad}");
        }
    }
}
