//! Which organizations' internal records a member of staff reads: their own organization when they
//! hold a role there, every organization of their county for the government office, everything
//! for the system administrator. Consultations and meetings share this rule.

use domain::{Principal, Role};
use persistence::{organizations, PooledConnection};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

/// The caller's organization, for staff who hold a role there; nobody else reads internal records.
pub fn own_org(principal: &Principal) -> Option<Uuid> {
    match principal {
        Principal::User { organization_id, roles, .. } if !roles.is_empty() => *organization_id,
        _ => None,
    }
}

/// The caller is an openness officer of `org`: moderation, messages, open days, contacts.
pub fn is_openness_officer_of(principal: &Principal, org: Uuid) -> bool {
    own_org(principal) == Some(org) && principal.has_role(Role::OpennessOfficer)
}

/// The county of a machine client's organization; 403 for a client without one (or no client).
pub async fn client_county(conn: &mut PooledConnection, principal: &Principal) -> ApiResult<Uuid> {
    let client = persistence::clients::get(conn, principal.subject()).await.map_err(|_| ApiError::forbidden())?;
    let org = client.organization_id.ok_or_else(ApiError::forbidden)?;
    organizations::county_of(conn, org).await?.ok_or_else(ApiError::forbidden)
}

/// Whether the caller reads the internal records of `org`.
pub async fn sees(conn: &mut PooledConnection, principal: &Principal, org: Uuid) -> ApiResult<bool> {
    if own_org(principal) == Some(org) || principal.has_role(Role::SystemAdmin) {
        return Ok(true);
    }
    match own_org(principal).filter(|_| principal.has_role(Role::GovOffice)) {
        Some(own) => {
            let county = organizations::county_of(conn, own).await?;
            Ok(county.is_some() && county == organizations::county_of(conn, org).await?)
        }
        None => Ok(false),
    }
}

/// The organizations whose records the caller lists (`None`: all); 403 for callers without any.
pub async fn listable(conn: &mut PooledConnection, principal: &Principal) -> ApiResult<Option<Vec<Uuid>>> {
    if principal.has_role(Role::SystemAdmin) {
        return Ok(None);
    }
    let own = own_org(principal).ok_or_else(ApiError::forbidden)?;
    if principal.has_role(Role::GovOffice) {
        if let Some(county) = organizations::county_of(conn, own).await? {
            return Ok(Some(organizations::in_county(conn, county).await?));
        }
    }
    Ok(Some(vec![own]))
}
