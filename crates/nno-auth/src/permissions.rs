//! Roles and permissions. A user has a platform role (`platform-admin`, `user`) and, in
//! each tenant they belong to, a tenant role (`owner`, `admin`, `member`). What a role
//! may do in a tenant is its built-in IAM permissions plus the feature permissions the
//! tenant mapped to it (`/api/nno/roles`); per-user grants add to that and per-user
//! denials take away (`/api/nno/grants`). A denial wins over everything but the
//! platform-admin role.

use std::collections::BTreeSet;

pub const PLATFORM_ADMIN: &str = "platform-admin";
pub const PLATFORM_USER: &str = "user";

/// Tenant roles, most powerful first.
pub const TENANT_ROLES: [&str; 3] = ["owner", "admin", "member"];

/// IAM's own permissions.
pub const IAM_READ: &str = "iam:read";
pub const IAM_MANAGE_MEMBERS: &str = "iam:manage-members";
pub const IAM_MANAGE_ROLES: &str = "iam:manage-roles";
pub const IAM_MANAGE_GRANTS: &str = "iam:manage-grants";
pub const IAM_MANAGE_KEYS: &str = "iam:manage-keys";
pub const IAM_MANAGE_TENANT: &str = "iam:manage-tenant";
pub const IAM_DELETE_TENANT: &str = "iam:delete-tenant";

/// Registry's: see a tenant's platforms; onboard, change, suspend, cancel and delete
/// them (and read and retry their provisioning jobs).
pub const PLATFORMS_READ: &str = "platforms:read";
pub const PLATFORMS_MANAGE: &str = "platforms:manage";

const OWNER: [&str; 9] = [
    IAM_READ,
    IAM_MANAGE_MEMBERS,
    IAM_MANAGE_ROLES,
    IAM_MANAGE_GRANTS,
    IAM_MANAGE_KEYS,
    IAM_MANAGE_TENANT,
    IAM_DELETE_TENANT,
    PLATFORMS_READ,
    PLATFORMS_MANAGE,
];
const ADMIN: [&str; 8] = [
    IAM_READ,
    IAM_MANAGE_MEMBERS,
    IAM_MANAGE_ROLES,
    IAM_MANAGE_GRANTS,
    IAM_MANAGE_KEYS,
    IAM_MANAGE_TENANT,
    PLATFORMS_READ,
    PLATFORMS_MANAGE,
];
const MEMBER: [&str; 2] = [IAM_READ, PLATFORMS_READ];

/// The built-in permissions of a tenant role (none for an unknown role).
pub fn builtin(role: &str) -> &'static [&'static str] {
    match role {
        "owner" => &OWNER,
        "admin" => &ADMIN,
        "member" => &MEMBER,
        _ => &[],
    }
}

pub fn is_tenant_role(role: &str) -> bool {
    TENANT_ROLES.contains(&role)
}

/// Rank of a tenant role: lower is more powerful.
pub fn rank(role: &str) -> usize {
    TENANT_ROLES
        .iter()
        .position(|r| *r == role)
        .unwrap_or(TENANT_ROLES.len())
}

/// A feature id: lowercase letters, digits and hyphens, starting with a letter, at
/// most 63 characters (it becomes part of resource names).
pub fn is_feature_id(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// A permission key, `^{featureId}:[a-z-]+$` (check V06), at most 128 characters.
pub fn is_permission(s: &str) -> bool {
    let Some((feature, action)) = s.split_once(':') else {
        return false;
    };
    s.len() <= 128
        && is_feature_id(feature)
        && !action.is_empty()
        && action.bytes().all(|c| c.is_ascii_lowercase() || c == b'-')
}

/// One per-user grant (`granted`) or denial, already filtered to live ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub permission: String,
    pub granted: bool,
}

/// The effective permissions of a member with `role`, given the tenant's feature
/// mapping for that role and the member's live grants.
pub fn effective(role: &str, mapped: &[String], grants: &[Grant]) -> BTreeSet<String> {
    let mut set: BTreeSet<String> = builtin(role).iter().map(|p| p.to_string()).collect();
    set.extend(mapped.iter().cloned());
    set.extend(
        grants
            .iter()
            .filter(|g| g.granted)
            .map(|g| g.permission.clone()),
    );
    for g in grants.iter().filter(|g| !g.granted) {
        set.remove(&g.permission);
    }
    set
}

/// Whether a holder of `held` may do what `required` names (`*`, a platform admin's
/// set, allows everything).
pub use nno_core::identity::holds as allows;

/// Whether an actor with tenant role `actor` may give or take `target` (a role someone
/// has or would get): owners manage everyone; admins manage admins and members but
/// cannot touch owners or make anyone one; members manage nobody.
pub fn may_manage_role(actor: &str, target: &str) -> bool {
    match actor {
        "owner" => true,
        "admin" => target != "owner",
        _ => false,
    }
}

/// Where someone stands in one tenant, for deciding what they may change: a platform
/// admin above every tenant role, then owner, admin, member, and nobody (not a member).
/// Ordered, so `a > b` reads "a outranks b".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    Nobody,
    Member,
    Admin,
    Owner,
    PlatformAdmin,
}

impl Standing {
    /// The standing of a tenant role (`Nobody` for none or an unknown one).
    pub fn of_role(tenant_role: Option<&str>) -> Standing {
        match tenant_role {
            Some("owner") => Standing::Owner,
            Some("admin") => Standing::Admin,
            Some("member") => Standing::Member,
            _ => Standing::Nobody,
        }
    }

    /// A person's standing: a platform admin's wherever they are, else their tenant
    /// role's.
    pub fn of(platform_role: Option<&str>, tenant_role: Option<&str>) -> Standing {
        if platform_role == Some(PLATFORM_ADMIN) {
            Standing::PlatformAdmin
        } else {
            Standing::of_role(tenant_role)
        }
    }

    /// Owners and platform admins: nobody in the tenant stands above them.
    fn at_the_top(self) -> bool {
        self >= Standing::Owner
    }
}

/// Whether `actor` may change the feature mapping of tenant role `role`. Nobody changes
/// the mapping of a role they hold or one above it: admins map only the member role,
/// and only owners (and platform admins) map the admin role. Owners may map every role,
/// their own included: nobody stands above them to decide it, and they may grant
/// themselves anything anyway.
pub fn may_map_role(actor: Standing, role: &str) -> bool {
    actor.at_the_top() || Standing::of_role(Some(role)) < actor
}

/// Whether `actor` may grant or deny a permission to a member standing at `target`
/// (themselves included): owners decide for everyone, admins only for members, so an
/// admin can raise neither themselves nor another admin (who could return the favour).
pub fn may_decide_for(actor: Standing, target: Standing) -> bool {
    actor.at_the_top() || (actor >= Standing::Admin && target < actor)
}

/// Whether `actor` may change or remove a decision (a grant or denial, say) made by
/// someone standing at `decider`: not if the decider outranks them, so an admin cannot
/// lift an owner's denial.
pub fn may_undo(actor: Standing, decider: Standing) -> bool {
    actor >= decider
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_keys_follow_v06() {
        for ok in [
            "billing:read",
            "analytics:write-export",
            "iam:read",
            "a1-b:x",
        ] {
            assert!(is_permission(ok), "{ok}");
        }
        for bad in [
            "billing",
            "billing:",
            ":read",
            "Billing:read",
            "billing:Read",
            "billing:read2",
            "billing:read:more",
            "1billing:read",
            "bill_ing:read",
            "billing: read",
        ] {
            assert!(!is_permission(bad), "{bad}");
        }
        assert!(!is_permission(&format!("a:{}", "b".repeat(200))));
    }

    #[test]
    fn effective_adds_mapping_and_grants_and_removes_denials() {
        let mapped = vec!["billing:read".to_string(), "billing:write".to_string()];
        let grants = vec![
            Grant {
                permission: "analytics:export".into(),
                granted: true,
            },
            Grant {
                permission: "billing:write".into(),
                granted: false,
            },
            Grant {
                permission: IAM_READ.into(),
                granted: false,
            },
        ];
        let set = effective("member", &mapped, &grants);
        let got: Vec<&str> = set.iter().map(String::as_str).collect();
        assert_eq!(got, ["analytics:export", "billing:read", PLATFORMS_READ]);
        assert!(effective("owner", &[], &[]).contains(IAM_DELETE_TENANT));
        assert!(!effective("admin", &[], &[]).contains(IAM_DELETE_TENANT));
        assert!(effective("stranger", &[], &[]).is_empty());
    }

    #[test]
    fn allows_exact_or_star() {
        assert!(allows(&["iam:read"], "iam:read"));
        assert!(!allows(&["iam:read"], "iam:manage-roles"));
        assert!(allows(&["*"], "anything:at-all"));
        assert!(!allows::<&str>(&[], "iam:read"));
    }

    #[test]
    fn standing_orders_platform_admin_owner_admin_member_nobody() {
        use Standing::*;
        assert!(PlatformAdmin > Owner && Owner > Admin && Admin > Member && Member > Nobody);
        assert_eq!(Standing::of(Some(PLATFORM_ADMIN), None), PlatformAdmin);
        assert_eq!(
            Standing::of(Some(PLATFORM_ADMIN), Some("member")),
            PlatformAdmin
        );
        assert_eq!(Standing::of(Some(PLATFORM_USER), Some("owner")), Owner);
        assert_eq!(Standing::of(None, Some("admin")), Admin);
        assert_eq!(Standing::of(None, Some("member")), Member);
        assert_eq!(Standing::of(None, Some("emperor")), Nobody);
        assert_eq!(Standing::of(None, None), Nobody);
    }

    #[test]
    fn nobody_maps_a_role_they_hold_except_at_the_top() {
        use Standing::*;
        // The finding: an admin rewriting the admin role's mapping raised every admin.
        assert!(!may_map_role(Admin, "admin"));
        assert!(!may_map_role(Admin, "owner"));
        assert!(may_map_role(Admin, "member"));
        for role in TENANT_ROLES {
            assert!(may_map_role(Owner, role), "{role}");
            assert!(may_map_role(PlatformAdmin, role), "{role}");
            assert!(!may_map_role(Member, role), "{role}");
            assert!(!may_map_role(Nobody, role), "{role}");
        }
    }

    #[test]
    fn owners_decide_for_admins_and_admins_for_members() {
        use Standing::*;
        assert!(may_decide_for(Owner, Owner), "owners, themselves included");
        assert!(may_decide_for(Owner, Admin));
        assert!(may_decide_for(PlatformAdmin, Owner));
        assert!(may_decide_for(Admin, Member));
        // An admin cannot raise itself, nor another admin who could return the favour.
        assert!(!may_decide_for(Admin, Admin));
        assert!(!may_decide_for(Admin, Owner));
        assert!(!may_decide_for(Member, Member));
        assert!(!may_decide_for(Member, Nobody));
    }

    #[test]
    fn nobody_undoes_a_decision_of_someone_above_them() {
        use Standing::*;
        // The finding: a second admin deleted the owner's denial on the first admin.
        assert!(!may_undo(Admin, Owner));
        assert!(!may_undo(Owner, PlatformAdmin));
        assert!(!may_undo(Member, Admin));
        assert!(may_undo(Admin, Admin));
        assert!(may_undo(Admin, Member));
        assert!(may_undo(Owner, Owner));
        assert!(may_undo(PlatformAdmin, Owner));
        // A decider who has left the tenant binds nobody.
        assert!(may_undo(Admin, Nobody));
    }

    #[test]
    fn role_management_rules() {
        assert!(may_manage_role("owner", "owner"));
        assert!(may_manage_role("admin", "member"));
        assert!(may_manage_role("admin", "admin"));
        assert!(!may_manage_role("admin", "owner"));
        assert!(!may_manage_role("member", "member"));
        assert!(rank("owner") < rank("admin") && rank("admin") < rank("member"));
    }
}
