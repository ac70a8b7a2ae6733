//! The `Authorization: Bearer` extractor. It yields the caller as a domain [`Principal`]; what the
//! caller may do is decided by `Principal::may` in the domain, the one place for that.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use domain::{Action, Principal};
use persistence::{Actor, ActorKind};
use uuid::Uuid;

use crate::error::ApiError;
use crate::http::context::{Caller, RequestId};
use crate::state::AppState;

/// An authenticated caller. Missing or invalid credentials are 401 before the handler runs.
#[derive(Debug, Clone)]
pub struct Auth {
    pub principal: Principal,
    pub request_id: Option<String>,
    /// The county of the user's organization as the token states it (its `cty` claim).
    pub county_id: Option<Uuid>,
}

impl Auth {
    /// 403 unless the caller's roles or scopes allow `action`.
    pub fn authorize(&self, action: Action) -> Result<(), ApiError> {
        if self.principal.may(action) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    /// The audit identity of this caller for changes made in this request.
    pub fn actor(&self) -> Actor {
        let kind = match self.principal {
            Principal::User { .. } => ActorKind::User,
            Principal::Client { .. } => ActorKind::Client,
        };
        Actor { kind, id: Some(self.principal.subject()), request_id: self.request_id.clone() }
    }
}

pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

pub fn request_id(req: &HttpRequest) -> Option<String> {
    req.extensions().get::<RequestId>().map(|id| id.0.clone())
}

fn authenticate(req: &HttpRequest) -> Result<Auth, ApiError> {
    let state = req.app_data::<web::Data<AppState>>().ok_or_else(ApiError::internal)?;
    let token = bearer_token(req).ok_or_else(|| ApiError::unauthenticated("unauthenticated"))?;
    let claims = state.keys.verify(token).ok_or_else(|| ApiError::unauthenticated("invalid_token"))?;
    let principal = claims.principal();
    let kind = match principal {
        Principal::User { .. } => "user",
        Principal::Client { .. } => "client",
    };
    req.extensions_mut().insert(Caller(format!("{kind}:{}", principal.subject())));
    Ok(Auth { principal, request_id: request_id(req), county_id: claims.cty })
}

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}
