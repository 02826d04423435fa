//! Inviting people by e-mail, and their answers.

use super::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Invite {
    email: String,
    role: RoleInput,
    #[serde(default)]
    organization_id: Option<String>,
    #[serde(default)]
    resend: Option<bool>,
}

pub async fn invite(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: Invite = read_json(&mut req, DEFAULT_LIMIT).await?;
    let email = validate::normalize_email(&body.email);
    if !validate::email(&email) {
        return Err(invalid("email", "email is not a valid address").with_reason("INVALID_EMAIL"));
    }
    let role = body.role.single()?.to_string();
    let c = start(&req, env, ctx).await?;
    // The e-mail carries words the inviter chose (the tenant's name): only someone
    // whose own address is proven may make NNO send it.
    if !c.me.user.email_verified && c.me.user.role != perms::PLATFORM_ADMIN {
        return Err(err(
            ErrorCode::Forbidden,
            "EMAIL_NOT_VERIFIED",
            "verify your e-mail address before inviting anyone",
        ));
    }
    let org_id = target_org(body.organization_id.as_deref(), &c.me)?.to_string();
    let access = access(&c, &org_id).await?;
    access
        .require(IAM_MANAGE_MEMBERS)
        .map_err(|e| e.with_reason("YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION"))?;
    if !c.me.user.role.eq(perms::PLATFORM_ADMIN) && !perms::may_manage_role(access.role(), &role) {
        return Err(err(
            ErrorCode::Forbidden,
            "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE",
            "only owners invite owners",
        ));
    }
    let org = store::org(&c.db, &org_id)
        .await?
        .ok_or_else(org_not_found)?;
    if store::member_by_id_or_email(&c.db, &org_id, &email)
        .await?
        .is_some()
    {
        return Err(err(
            ErrorCode::Conflict,
            "USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION",
            "this user is already a member",
        ));
    }
    let now = now_ms();
    let existing = store::pending_invitation(&c.db, &org_id, &email, now).await?;
    match existing {
        Some(_) if !body.resend.unwrap_or(false) => {
            return Err(err(
                ErrorCode::Conflict,
                "USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION",
                "this user is already invited",
            ));
        }
        // A resend replaces the old invitation with a fresh one.
        Some(old) => {
            store::close_invitation(&c.db, &old.id, "canceled").await?;
        }
        None => {}
    }
    let pending = store::invitations(&c.db, &org_id)
        .await?
        .iter()
        .filter(|i| i.status == "pending" && i.expires_at > now)
        .count();
    if pending >= MAX_PENDING_INVITATIONS {
        return Err(err(
            ErrorCode::Forbidden,
            "INVITATION_LIMIT_REACHED",
            "too many pending invitations",
        ));
    }
    let inv = InvitationRow {
        id: id(),
        organization_id: org_id.clone(),
        email: email.clone(),
        role,
        status: "pending".into(),
        expires_at: now + INVITATION_TTL_MS,
        inviter_id: c.me.user.id.clone(),
        created_at: now,
    };
    store::create_invitation(&c.db, &inv).await?;
    let cfg = IamConfig::load(env)?;
    let link = format!("{}/accept-invitation/{}", cfg.app_url, inv.id);
    let line = format!(
        "{} invited you to join {} as {}.",
        c.me.user.name, org.name, inv.role
    );
    mailer::send(
        env,
        ctx,
        &mailer::Mail {
            to: &[&email],
            subject: &format!("You are invited to {}", org.name),
            text: format!("{line}\nInvitation id: {}\nAccept: {link}\n", inv.id),
            html: mailer::html(&line, &format!("Accept (invitation {})", inv.id), &link),
        },
    )
    .await?;
    ok(&inv.to_json(), ctx)
}

fn invitation_not_found() -> ApiError {
    err(
        ErrorCode::NotFound,
        "INVITATION_NOT_FOUND",
        "invitation not found or no longer valid",
    )
}

/// A live pending invitation addressed to the caller.
async fn my_invitation(c: &Ctx, id: &str) -> Result<InvitationRow, ApiError> {
    let inv = store::invitation(&c.db, id)
        .await?
        .ok_or_else(invitation_not_found)?;
    if inv.email != c.me.user.email {
        return Err(err(
            ErrorCode::Forbidden,
            "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION",
            "this invitation is for someone else",
        ));
    }
    if inv.status != "pending" || inv.expires_at <= now_ms() {
        return Err(invitation_not_found());
    }
    Ok(inv)
}

pub async fn get_invitation(req: &Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let q = query::of(req);
    let id = q
        .get("id")
        .ok_or_else(|| invalid("id", "id is required"))?
        .to_string();
    let c = start(req, env, ctx).await?;
    let inv = my_invitation(&c, &id).await?;
    let org = store::org(&c.db, &inv.organization_id)
        .await?
        .ok_or_else(invitation_not_found)?;
    let inviter = store::user_by_id(&c.db, &inv.inviter_id).await?;
    let mut v = inv.to_json();
    v["organizationName"] = json!(org.name);
    v["organizationSlug"] = json!(org.slug);
    v["inviterEmail"] = json!(inviter.map(|u| u.email));
    ok(&v, ctx)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InvitationId {
    invitation_id: String,
}

pub async fn accept_invitation(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: InvitationId = read_json(&mut req, DEFAULT_LIMIT).await?;
    let c = start(&req, env, ctx).await?;
    let inv = my_invitation(&c, &body.invitation_id).await?;
    // An unverified account only claims to own its address: the invitation is for
    // whoever proves it (following a verification link, which also claims the account).
    if !c.me.user.email_verified {
        return Err(err(
            ErrorCode::Forbidden,
            "EMAIL_NOT_VERIFIED",
            "verify your e-mail address to accept this invitation",
        ));
    }
    let now = now_ms();
    if !store::accept_invitation(&c.db, &inv, &id(), &c.me.user.id, now).await? {
        return Err(invitation_not_found());
    }
    store::set_active(&c.db, &c.me.session.id, Some(&inv.organization_id), now).await?;
    let member = store::member_of(&c.db, &inv.organization_id, &c.me.user.id)
        .await?
        .ok_or_else(ApiError::internal)?;
    let mut i = inv.to_json();
    i["status"] = json!("accepted");
    ok(&json!({ "invitation": i, "member": member.to_json() }), ctx)
}

pub async fn reject_invitation(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: InvitationId = read_json(&mut req, DEFAULT_LIMIT).await?;
    let c = start(&req, env, ctx).await?;
    let inv = my_invitation(&c, &body.invitation_id).await?;
    if !store::close_invitation(&c.db, &inv.id, "rejected").await? {
        return Err(invitation_not_found());
    }
    let mut i = inv.to_json();
    i["status"] = json!("rejected");
    ok(&json!({ "invitation": i, "member": null }), ctx)
}

pub async fn cancel_invitation(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: InvitationId = read_json(&mut req, DEFAULT_LIMIT).await?;
    let c = start(&req, env, ctx).await?;
    let inv = store::invitation(&c.db, &body.invitation_id)
        .await?
        .ok_or_else(invitation_not_found)?;
    access(&c, &inv.organization_id)
        .await?
        .require(IAM_MANAGE_MEMBERS)
        .map_err(|e| e.with_reason("YOU_ARE_NOT_ALLOWED_TO_CANCEL_THIS_INVITATION"))?;
    if !store::close_invitation(&c.db, &inv.id, "canceled").await? {
        return Err(invitation_not_found());
    }
    let mut i = inv.to_json();
    i["status"] = json!("canceled");
    ok(&i, ctx)
}

pub async fn list_invitations(req: &Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let q = query::of(req);
    let c = start(req, env, ctx).await?;
    let org_id = target_org(q.get("organizationId"), &c.me)?.to_string();
    access(&c, &org_id)
        .await?
        .require(IAM_MANAGE_MEMBERS)
        .map_err(|e| e.with_reason("YOU_ARE_NOT_ALLOWED_TO_LIST_INVITATIONS"))?;
    let list: Vec<Value> = store::invitations(&c.db, &org_id)
        .await?
        .iter()
        .map(InvitationRow::to_json)
        .collect();
    ok(&list, ctx)
}
