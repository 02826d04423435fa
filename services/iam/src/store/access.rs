//! NNO's roles (feature permissions per tenant role) and per-user grants.

use super::iso;
use nno_auth::permissions::{Grant, Standing};
use nno_core::ApiError;
use nno_worker::d1::Db;
use serde::Deserialize;
use serde_json::{json, Value};
use wasm_bindgen::JsValue;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RolePermissionRow {
    pub role: String,
    pub permission: String,
}

/// The tenant's mapping, every role.
pub async fn role_permissions(db: &Db, org_id: &str) -> Result<Vec<RolePermissionRow>, ApiError> {
    db.all(
        "SELECT role, permission FROM role_permission WHERE organizationId = ?1
         ORDER BY role, permission",
        &[org_id.into()],
    )
    .await
}

/// Replaces one role's feature permissions (an upsert of the whole set), atomically.
pub async fn set_role_permissions(
    db: &Db,
    org_id: &str,
    role: &str,
    permissions: &[String],
    now: f64,
) -> Result<(), ApiError> {
    let mut statements = vec![db.stmt(
        "DELETE FROM role_permission WHERE organizationId = ?1 AND role = ?2",
        &[org_id.into(), role.into()],
    )?];
    for p in permissions {
        statements.push(db.stmt(
            "INSERT INTO role_permission (organizationId, role, permission, createdAt)
             VALUES (?1, ?2, ?3, ?4)",
            &[org_id.into(), role.into(), p.as_str().into(), now.into()],
        )?);
    }
    db.batch(statements).await.map(|_| ())
}

/// Removes a role's feature permissions; false if it had none.
pub async fn delete_role_permissions(db: &Db, org_id: &str, role: &str) -> Result<bool, ApiError> {
    db.exec_changed(
        "DELETE FROM role_permission WHERE organizationId = ?1 AND role = ?2",
        &[org_id.into(), role.into()],
    )
    .await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantRow {
    pub id: String,
    pub organization_id: String,
    pub user_id: String,
    pub permission: String,
    #[serde(deserialize_with = "nno_worker::d1::boolean")]
    pub granted: bool,
    pub granted_by: String,
    pub expires_at: Option<f64>,
    pub created_at: f64,
}

impl GrantRow {
    /// Whether the decision still holds at `now` (Unix ms).
    pub fn live(&self, now: f64) -> bool {
        self.expires_at.is_none_or(|e| e > now)
    }

    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "orgId": self.organization_id, "userId": self.user_id,
            "permission": self.permission, "granted": self.granted,
            "grantedBy": self.granted_by,
            "expiresAt": self.expires_at.map(|e| e as i64),
            "createdAt": iso(self.created_at),
        })
    }
}

const GRANT_COLUMNS: &str =
    "id, organizationId, userId, permission, granted, grantedBy, expiresAt, createdAt";

/// Live grants of a tenant, optionally for one user.
pub async fn grants(
    db: &Db,
    org_id: &str,
    user_id: Option<&str>,
    now: f64,
) -> Result<Vec<GrantRow>, ApiError> {
    let sql = format!(
        "SELECT {GRANT_COLUMNS} FROM permission_grant
         WHERE organizationId = ?1 AND (?2 IS NULL OR userId = ?2)
           AND (expiresAt IS NULL OR expiresAt > ?3)
         ORDER BY createdAt LIMIT 1000"
    );
    let user = user_id.map(JsValue::from).unwrap_or(JsValue::NULL);
    db.all(&sql, &[org_id.into(), user, now.into()]).await
}

/// Creates the user's grant of `permission` in the tenant, or replaces the one there
/// if it is still the decision of `replaces` (its `grantedBy`, as checked by the
/// caller; `None` when there was none): a decision changed in between is left alone
/// and `None` is answered, so the check and the write cannot be raced apart.
pub async fn upsert_grant(
    db: &Db,
    g: &GrantRow,
    replaces: Option<&str>,
) -> Result<Option<GrantRow>, ApiError> {
    let sql = format!(
        "INSERT INTO permission_grant (id, organizationId, userId, permission, granted, grantedBy, expiresAt, createdAt)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (organizationId, userId, permission) DO UPDATE SET
           granted = excluded.granted, grantedBy = excluded.grantedBy,
           expiresAt = excluded.expiresAt, createdAt = excluded.createdAt
         WHERE permission_grant.grantedBy IS ?9
         RETURNING {GRANT_COLUMNS}"
    );
    db.first(
        &sql,
        &[
            g.id.as_str().into(),
            g.organization_id.as_str().into(),
            g.user_id.as_str().into(),
            g.permission.as_str().into(),
            f64::from(u8::from(g.granted)).into(),
            g.granted_by.as_str().into(),
            g.expires_at.map(JsValue::from_f64).unwrap_or(JsValue::NULL),
            g.created_at.into(),
            replaces.map(JsValue::from).unwrap_or(JsValue::NULL),
        ],
    )
    .await
}

pub async fn grant(db: &Db, id: &str) -> Result<Option<GrantRow>, ApiError> {
    let sql = format!("SELECT {GRANT_COLUMNS} FROM permission_grant WHERE id = ?1");
    db.first(&sql, &[id.into()]).await
}

/// The user's grant or denial of `permission` in the tenant, if any (expired or not).
pub async fn grant_of(
    db: &Db,
    org_id: &str,
    user_id: &str,
    permission: &str,
) -> Result<Option<GrantRow>, ApiError> {
    let sql = format!(
        "SELECT {GRANT_COLUMNS} FROM permission_grant
         WHERE organizationId = ?1 AND userId = ?2 AND permission = ?3"
    );
    db.first(&sql, &[org_id.into(), user_id.into(), permission.into()])
        .await
}

/// Deletes a grant if it is still the decision of `granted_by`; false otherwise.
pub async fn delete_grant(db: &Db, id: &str, granted_by: &str) -> Result<bool, ApiError> {
    db.exec_changed(
        "DELETE FROM permission_grant WHERE id = ?1 AND grantedBy = ?2",
        &[id.into(), granted_by.into()],
    )
    .await
}

/// Where `user_id` stands in tenant `org_id` (platform role, else membership role),
/// in one query; `Nobody` for an unknown user who is not a member.
pub async fn standing(db: &Db, org_id: &str, user_id: &str) -> Result<Standing, ApiError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Row {
        platform_role: Option<String>,
        tenant_role: Option<String>,
    }
    let row: Option<Row> = db
        .first(
            r#"SELECT u.role AS platformRole, m.role AS tenantRole FROM "user" u
               LEFT JOIN member m ON m.userId = u.id AND m.organizationId = ?2
               WHERE u.id = ?1"#,
            &[user_id.into(), org_id.into()],
        )
        .await?;
    Ok(row
        .map(|r| Standing::of(r.platform_role.as_deref(), r.tenant_role.as_deref()))
        .unwrap_or(Standing::Nobody))
}

/// A member's tenant role, the tenant's feature mapping for it and the member's live
/// grants: what `permissions::effective` needs, in one round trip.
pub struct MemberAccess {
    pub role: String,
    pub mapped: Vec<String>,
    pub grants: Vec<Grant>,
}

pub async fn member_access(
    db: &Db,
    org_id: &str,
    user_id: &str,
    now: f64,
) -> Result<Option<MemberAccess>, ApiError> {
    #[derive(Deserialize)]
    struct Role {
        role: String,
    }
    #[derive(Deserialize)]
    struct Perm {
        permission: String,
    }
    #[derive(Deserialize)]
    struct G {
        permission: String,
        #[serde(deserialize_with = "nno_worker::d1::boolean")]
        granted: bool,
    }
    let p = [org_id.into(), user_id.into(), JsValue::from_f64(now)];
    let results = db.batch(vec![
            db.stmt("SELECT role FROM member WHERE organizationId = ?1 AND userId = ?2 AND ?3 IS NOT NULL",
                &p,
            )?,
            db.stmt("SELECT rp.permission FROM role_permission rp
                 JOIN member m ON m.organizationId = rp.organizationId AND m.role = rp.role
                 WHERE m.organizationId = ?1 AND m.userId = ?2 AND ?3 IS NOT NULL",
                &p,
            )?,
            db.stmt("SELECT permission, granted FROM permission_grant
                 WHERE organizationId = ?1 AND userId = ?2 AND (expiresAt IS NULL OR expiresAt > ?3)",
                &p,
            )?,
        ],
    )
    .await?;
    let fail = |e| db.fail(e);
    let mut it = results.into_iter();
    let (Some(r), Some(m), Some(g)) = (it.next(), it.next(), it.next()) else {
        return Err(ApiError::internal());
    };
    let Some(role) = r.results::<Role>().map_err(fail)?.into_iter().next() else {
        return Ok(None);
    };
    Ok(Some(MemberAccess {
        role: role.role,
        mapped: m
            .results::<Perm>()
            .map_err(fail)?
            .into_iter()
            .map(|p| p.permission)
            .collect(),
        grants: g
            .results::<G>()
            .map_err(fail)?
            .into_iter()
            .map(|g| Grant {
                permission: g.permission,
                granted: g.granted,
            })
            .collect(),
    }))
}

/// Whether any platform admin exists yet (for bootstrap).
pub async fn platform_admin_exists(db: &Db) -> Result<bool, ApiError> {
    #[derive(Deserialize)]
    struct One {
        #[allow(dead_code)]
        id: String,
    }
    Ok(db
        .first::<One>(
            r#"SELECT id FROM "user" WHERE role = 'platform-admin' LIMIT 1"#,
            &[],
        )
        .await?
        .is_some())
}

pub enum Bootstrapped {
    Created,
    AlreadyDone,
    EmailTaken,
}

/// The first platform admin with a credential account, and the `bootstrap` row whose
/// primary key lets this succeed exactly once; one transaction.
pub async fn bootstrap_admin(
    db: &Db,
    admin: &super::NewUser<'_>,
    now: f64,
) -> Result<Bootstrapped, ApiError> {
    let once = db.stmt(
        "INSERT INTO bootstrap (step, userId, createdAt) VALUES ('platform-admin', ?1, ?2)",
        &[admin.id.into(), now.into()],
    )?;
    let [user, account] = super::new_user_statements(db, admin, now)?;
    let written = db
        .batch_unique(vec![once, user, account], &["bootstrap.step", "user.email"])
        .await?;
    Ok(match written {
        Ok(_) => Bootstrapped::Created,
        Err("bootstrap.step") => Bootstrapped::AlreadyDone,
        Err(_) => Bootstrapped::EmailTaken,
    })
}
