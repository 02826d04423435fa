//! Tenants: Better Auth's organization, member and invitation tables.

use super::iso;
use nno_core::ApiError;
use nno_worker::d1::{changes, opt, Db};
use serde::Deserialize;
use serde_json::{json, Value};
use wasm_bindgen::JsValue;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgRow {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub logo: Option<String>,
    pub metadata: Option<String>,
    pub org_type: String,
    pub created_at: f64,
}

impl OrgRow {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "name": self.name, "slug": self.slug, "logo": self.logo,
            "metadata": self.metadata.as_deref().and_then(|m| serde_json::from_str::<Value>(m).ok()),
            "orgType": self.org_type, "createdAt": iso(self.created_at),
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberRow {
    pub id: String,
    pub organization_id: String,
    pub user_id: String,
    pub role: String,
    pub created_at: f64,
    #[serde(default)]
    pub user_name: Option<String>,
    #[serde(default)]
    pub user_email: Option<String>,
    #[serde(default)]
    pub user_image: Option<String>,
}

impl MemberRow {
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id, "organizationId": self.organization_id, "userId": self.user_id,
            "role": self.role, "createdAt": iso(self.created_at),
        });
        if let Some(email) = &self.user_email {
            v["user"] = json!({ "id": self.user_id, "name": self.user_name,
                                "email": email, "image": self.user_image });
        }
        v
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationRow {
    pub id: String,
    pub organization_id: String,
    pub email: String,
    pub role: String,
    pub status: String,
    pub expires_at: f64,
    pub inviter_id: String,
    pub created_at: f64,
}

impl InvitationRow {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "organizationId": self.organization_id, "email": self.email,
            "role": self.role, "status": self.status, "expiresAt": iso(self.expires_at),
            "inviterId": self.inviter_id, "createdAt": iso(self.created_at),
        })
    }
}

const ORG_COLUMNS: &str = "o.id, o.name, o.slug, o.logo, o.metadata, o.orgType, o.createdAt";
const MEMBER_COLUMNS: &str = r#"m.id, m.organizationId, m.userId, m.role, m.createdAt,
    u.name AS userName, u.email AS userEmail, u.image AS userImage"#;

pub struct NewOrg<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub slug: &'a str,
    pub logo: Option<&'a str>,
    pub metadata: Option<&'a str>,
    pub org_type: &'a str,
    pub owner_member_id: &'a str,
    pub owner_id: &'a str,
    pub now: f64,
}

/// The organization and its owner's membership in one transaction; false when the slug
/// is taken.
pub async fn create_org(db: &Db, o: &NewOrg<'_>) -> Result<bool, ApiError> {
    let org = db.stmt(
        "INSERT INTO organization (id, name, slug, logo, metadata, orgType, createdAt)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        &[
            o.id.into(),
            o.name.into(),
            o.slug.into(),
            opt(o.logo),
            opt(o.metadata),
            o.org_type.into(),
            o.now.into(),
        ],
    )?;
    let owner = db.stmt("INSERT INTO member (id, organizationId, userId, role, createdAt) VALUES (?1, ?2, ?3, 'owner', ?4)",
        &[o.owner_member_id.into(), o.id.into(), o.owner_id.into(), o.now.into()],
    )?;
    let written = db
        .batch_unique(vec![org, owner], &["organization.slug"])
        .await?;
    Ok(written.is_ok())
}

pub async fn slug_taken(db: &Db, slug: &str) -> Result<bool, ApiError> {
    #[derive(Deserialize)]
    struct One {
        #[allow(dead_code)]
        id: String,
    }
    Ok(db
        .first::<One>(
            "SELECT id FROM organization WHERE slug = ?1",
            &[slug.into()],
        )
        .await?
        .is_some())
}

pub async fn org(db: &Db, id: &str) -> Result<Option<OrgRow>, ApiError> {
    let sql = format!("SELECT {ORG_COLUMNS} FROM organization o WHERE o.id = ?1");
    db.first(&sql, &[id.into()]).await
}

pub async fn org_by_slug(db: &Db, slug: &str) -> Result<Option<OrgRow>, ApiError> {
    let sql = format!("SELECT {ORG_COLUMNS} FROM organization o WHERE o.slug = ?1");
    db.first(&sql, &[slug.into()]).await
}

/// The organizations a user belongs to, oldest membership first.
pub async fn orgs_of(db: &Db, user_id: &str) -> Result<Vec<OrgRow>, ApiError> {
    let sql = format!(
        "SELECT {ORG_COLUMNS} FROM organization o JOIN member m ON m.organizationId = o.id
         WHERE m.userId = ?1 ORDER BY m.createdAt LIMIT 500"
    );
    db.all(&sql, &[user_id.into()]).await
}

pub async fn update_org(
    db: &Db,
    id: &str,
    name: Option<&str>,
    slug: Option<&str>,
    logo: Option<Option<&str>>,
    metadata: Option<&str>,
) -> Result<bool, ApiError> {
    let sql = "UPDATE organization SET name = COALESCE(?2, name), slug = COALESCE(?3, slug),
               logo = CASE WHEN ?4 THEN ?5 ELSE logo END, metadata = COALESCE(?6, metadata)
               WHERE id = ?1";
    let params = [
        id.into(),
        opt(name),
        opt(slug),
        JsValue::from_bool(logo.is_some()),
        opt(logo.flatten()),
        opt(metadata),
    ];
    // The slug was checked just before; a concurrent rename to the same slug fails the
    // UNIQUE constraint and is reported as taken.
    let written = db.exec_unique(sql, &params, &["organization.slug"]).await?;
    Ok(written.is_ok())
}

/// Deletes the organization (members, invitations, roles, grants and its keys go with
/// it) and clears it as anyone's active organization.
pub async fn delete_org(db: &Db, id: &str) -> Result<(), ApiError> {
    db.batch(vec![
        db.stmt(
            "UPDATE session SET activeOrganizationId = NULL WHERE activeOrganizationId = ?1",
            &[id.into()],
        )?,
        db.stmt("DELETE FROM organization WHERE id = ?1", &[id.into()])?,
    ])
    .await
    .map(|_| ())
}

pub async fn member_of(
    db: &Db,
    org_id: &str,
    user_id: &str,
) -> Result<Option<MemberRow>, ApiError> {
    let sql = format!(
        r#"SELECT {MEMBER_COLUMNS} FROM member m JOIN "user" u ON u.id = m.userId
           WHERE m.organizationId = ?1 AND m.userId = ?2"#
    );
    db.first(&sql, &[org_id.into(), user_id.into()]).await
}

/// A member of the organization by member id or by the member's e-mail.
pub async fn member_by_id_or_email(
    db: &Db,
    org_id: &str,
    id_or_email: &str,
) -> Result<Option<MemberRow>, ApiError> {
    let sql = format!(
        r#"SELECT {MEMBER_COLUMNS} FROM member m JOIN "user" u ON u.id = m.userId
           WHERE m.organizationId = ?1 AND (m.id = ?2 OR u.email = ?3)"#
    );
    let email = nno_auth::validate::normalize_email(id_or_email);
    db.first(&sql, &[org_id.into(), id_or_email.into(), email.into()])
        .await
}

pub async fn members(db: &Db, org_id: &str) -> Result<Vec<MemberRow>, ApiError> {
    let sql = format!(
        r#"SELECT {MEMBER_COLUMNS} FROM member m JOIN "user" u ON u.id = m.userId
           WHERE m.organizationId = ?1 ORDER BY m.createdAt LIMIT 1000"#
    );
    db.all(&sql, &[org_id.into()]).await
}

/// The tenant's owners, oldest first.
pub async fn owners(db: &Db, org_id: &str) -> Result<Vec<MemberRow>, ApiError> {
    let sql = format!(
        r#"SELECT {MEMBER_COLUMNS} FROM member m JOIN "user" u ON u.id = m.userId
           WHERE m.organizationId = ?1 AND m.role = 'owner' ORDER BY m.createdAt LIMIT 1000"#
    );
    db.all(&sql, &[org_id.into()]).await
}

/// The guard that keeps a tenant from losing its last owner, checked inside the same
/// statement as the change (two owners demoting or removing each other at once cannot
/// both pass a separate check). `member` is the row being changed.
const NOT_LAST_OWNER: &str = "(member.role <> 'owner' OR (SELECT COUNT(*) FROM member AS o
     WHERE o.organizationId = member.organizationId AND o.role = 'owner') > 1)";

/// Sets a member's role; false (nothing changed) if that would demote the last owner.
pub async fn set_member_role(db: &Db, member_id: &str, role: &str) -> Result<bool, ApiError> {
    db.exec_changed(
        &format!(
            "UPDATE member SET role = ?2 WHERE id = ?1 AND (?2 = 'owner' OR {NOT_LAST_OWNER})"
        ),
        &[member_id.into(), role.into()],
    )
    .await
}

/// Removes a membership and everything that hung on it: the user's grants and API
/// keys in that tenant, and the tenant as their sessions' active one. One transaction;
/// false (nothing changed) if the member is the tenant's last owner.
pub async fn remove_member(db: &Db, m: &MemberRow) -> Result<bool, ApiError> {
    let p = [m.organization_id.as_str().into(), m.user_id.as_str().into()];
    // The statements after the first run only if the membership is really gone.
    let gone = "NOT EXISTS (SELECT 1 FROM member WHERE organizationId = ?1 AND userId = ?2)";
    let results = db.batch(vec![
            db.stmt(&format!(
                    "DELETE FROM member WHERE organizationId = ?1 AND userId = ?2 AND {NOT_LAST_OWNER}"
                ),
                &p,
            )?,
            db.stmt(&format!("DELETE FROM permission_grant WHERE organizationId = ?1 AND userId = ?2 AND {gone}"),
                &p,
            )?,
            db.stmt(&format!("DELETE FROM apikey WHERE organizationId = ?1 AND userId = ?2 AND {gone}"),
                &p,
            )?,
            db.stmt(&format!(
                    "UPDATE session SET activeOrganizationId = NULL WHERE activeOrganizationId = ?1 AND userId = ?2 AND {gone}"
                ),
                &p,
            )?,
        ],
    )
    .await?;
    Ok(results.first().map(changes).unwrap_or(0) > 0)
}

pub async fn set_active(
    db: &Db,
    session_id: &str,
    org_id: Option<&str>,
    now: f64,
) -> Result<(), ApiError> {
    db.exec(
        "UPDATE session SET activeOrganizationId = ?2, updatedAt = ?3 WHERE id = ?1",
        &[session_id.into(), opt(org_id), now.into()],
    )
    .await
    .map(|_| ())
}

const INVITATION_COLUMNS: &str =
    "id, organizationId, email, role, status, expiresAt, inviterId, createdAt";

pub async fn create_invitation(db: &Db, i: &InvitationRow) -> Result<(), ApiError> {
    db.exec("INSERT INTO invitation (id, organizationId, email, role, status, expiresAt, inviterId, createdAt)
         VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?7)",
        &[
            i.id.as_str().into(),
            i.organization_id.as_str().into(),
            i.email.as_str().into(),
            i.role.as_str().into(),
            i.expires_at.into(),
            i.inviter_id.as_str().into(),
            i.created_at.into(),
        ],
    )
    .await
    .map(|_| ())
}

pub async fn invitation(db: &Db, id: &str) -> Result<Option<InvitationRow>, ApiError> {
    let sql = format!("SELECT {INVITATION_COLUMNS} FROM invitation WHERE id = ?1");
    db.first(&sql, &[id.into()]).await
}

/// A live pending invitation of `email` to the organization, if one exists.
pub async fn pending_invitation(
    db: &Db,
    org_id: &str,
    email: &str,
    now: f64,
) -> Result<Option<InvitationRow>, ApiError> {
    let sql = format!(
        "SELECT {INVITATION_COLUMNS} FROM invitation
         WHERE organizationId = ?1 AND email = ?2 AND status = 'pending' AND expiresAt > ?3"
    );
    db.first(&sql, &[org_id.into(), email.into(), now.into()])
        .await
}

pub async fn invitations(db: &Db, org_id: &str) -> Result<Vec<InvitationRow>, ApiError> {
    let sql = format!(
        "SELECT {INVITATION_COLUMNS} FROM invitation WHERE organizationId = ?1
         ORDER BY createdAt DESC LIMIT 500"
    );
    db.all(&sql, &[org_id.into()]).await
}

/// Moves a pending invitation to `status`; false if it was no longer pending.
pub async fn close_invitation(db: &Db, id: &str, status: &str) -> Result<bool, ApiError> {
    db.exec_changed(
        "UPDATE invitation SET status = ?2 WHERE id = ?1 AND status = 'pending'",
        &[id.into(), status.into()],
    )
    .await
}

/// Accepts: the invitation turns accepted and the membership appears, in one
/// transaction, only if the invitation was still pending (a second accept adds nothing).
pub async fn accept_invitation(
    db: &Db,
    inv: &InvitationRow,
    member_id: &str,
    user_id: &str,
    now: f64,
) -> Result<bool, ApiError> {
    let close = db.stmt(
        "UPDATE invitation SET status = 'accepted' WHERE id = ?1 AND status = 'pending'",
        &[inv.id.as_str().into()],
    )?;
    let join = db.stmt(
        "INSERT INTO member (id, organizationId, userId, role, createdAt)
         SELECT ?1, ?2, ?3, ?4, ?5 WHERE changes() > 0
         ON CONFLICT (organizationId, userId) DO NOTHING",
        &[
            member_id.into(),
            inv.organization_id.as_str().into(),
            user_id.into(),
            inv.role.as_str().into(),
            now.into(),
        ],
    )?;
    let r = db.batch(vec![close, join]).await?;
    Ok(r.first().map(changes).unwrap_or(0) > 0)
}
