//! Token signing: one Ed25519 key with a `kid`, published as a JWKS so integrating systems can
//! verify our tokens themselves. The key is loaded from a file or generated on first start.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::{Principal, Role, Scope};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::SigningKey;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub const ISSUER: &str = "gongkai";
pub const AUDIENCE: &str = "gongkai-api";
/// Access tokens live at most this long; it is also the longest a disabled account's token works
/// (shorter when the session idle limit is shorter, see `SessionPolicy::access_token_seconds`).
pub const ACCESS_TOKEN_SECONDS: i64 = domain::accounts::ACCESS_TOKEN_MAX_SECONDS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    User,
    Client,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: Uuid,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub jti: Uuid,
    pub kind: TokenKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Role>,
    /// Space-separated scopes (RFC 8693 style), for client tokens.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    /// The county of `org` when the token was issued, so that staff requests need not look it
    /// up (it is as current as `org` and `roles`: until the token expires). Absent in tokens of
    /// users without an organization or one outside any county.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cty: Option<Uuid>,
}

impl Claims {
    pub fn for_principal(principal: &Principal, now: i64) -> Claims {
        let (kind, org, roles, scope) = match principal {
            Principal::User { organization_id, roles, .. } => {
                (TokenKind::User, *organization_id, roles.clone(), String::new())
            }
            Principal::Client { scopes, .. } => {
                (TokenKind::Client, None, Vec::new(), scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "))
            }
        };
        Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: principal.subject(),
            exp: now + ACCESS_TOKEN_SECONDS,
            iat: now,
            nbf: now,
            jti: Uuid::now_v7(),
            kind,
            org,
            roles,
            scope,
            cty: None,
        }
    }

    /// The same claims carrying the county of the user's organization.
    pub fn in_county(mut self, county_id: Option<Uuid>) -> Claims {
        self.cty = county_id;
        self
    }

    /// The same claims expiring `seconds` after they were issued.
    pub fn lasting(mut self, seconds: i64) -> Claims {
        self.exp = self.iat + seconds;
        self
    }

    pub fn principal(&self) -> Principal {
        match self.kind {
            TokenKind::User => {
                Principal::User { user_id: self.sub, organization_id: self.org, roles: self.roles.clone() }
            }
            TokenKind::Client => Principal::Client {
                client_id: self.sub,
                // Unknown scopes in a token we signed can only come from an older release: ignore them.
                scopes: self.scope.split_whitespace().filter_map(|s| s.parse::<Scope>().ok()).collect(),
            },
        }
    }
}

pub struct TokenKeys {
    kid: String,
    encoding: EncodingKey,
    decoding: HashMap<String, DecodingKey>,
    validation: Validation,
    jwks: serde_json::Value,
    verified: VerifiedTokens,
}

/// How many verified tokens are kept (about 1 KB each): more than the staff and clients active
/// within a token's lifetime in a county.
const VERIFIED_TOKENS_KEPT: usize = 1024;

/// Tokens whose signature and claims this server has checked, so that the next request with the
/// same token is not checked again: a client sends one token until it expires, and the Ed25519
/// check was about 8% of the server's CPU under the lifecycle load, done twice for a request with
/// an `Idempotency-Key` (issue 11). Keyed by the whole token, so only the same bytes are found; a
/// token found is checked against the clock again. Emptied when full, so it stays bounded.
#[derive(Default)]
struct VerifiedTokens {
    // Shared, so that a request holds the lock for a reference count, not a copy of the claims.
    claims: Mutex<HashMap<Box<str>, Arc<Claims>>>,
}

impl VerifiedTokens {
    fn get(&self, token: &str) -> Option<Arc<Claims>> {
        self.claims.lock().ok()?.get(token).cloned()
    }

    fn keep(&self, token: &str, claims: &Claims) {
        let kept_claims = Arc::new(claims.clone());
        if let Ok(mut kept) = self.claims.lock() {
            if kept.len() >= VERIFIED_TOKENS_KEPT {
                kept.clear();
            }
            kept.insert(token.into(), kept_claims);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.claims.lock().map(|kept| kept.len()).unwrap_or_default()
    }
}

impl TokenKeys {
    /// Loads the key from `key_file` if given, else from (or newly into) `data_dir/keys/`.
    pub fn load_or_generate(key_file: Option<&Path>, data_dir: &Path) -> Result<TokenKeys, String> {
        let path: PathBuf = match key_file {
            Some(path) => path.to_owned(),
            None => data_dir.join("keys").join("jwt-ed25519.pem"),
        };
        if !path.exists() {
            if key_file.is_some() {
                return Err(format!("GONGKAI_JWT_KEY_FILE: {} does not exist", path.display()));
            }
            generate_key_file(&path)?;
            tracing::info!(path = %path.display(), "generated a new token signing key");
        }
        let pem =
            fs::read_to_string(&path).map_err(|e| format!("cannot read the signing key {}: {e}", path.display()))?;
        TokenKeys::from_pkcs8_pem(&pem)
            .map_err(|e| format!("the signing key {} is not a PKCS#8 Ed25519 key: {e}", path.display()))
    }

    pub fn from_pkcs8_pem(pem: &str) -> Result<TokenKeys, String> {
        let signing = SigningKey::from_pkcs8_pem(pem).map_err(|e| e.to_string())?;
        let public = signing.verifying_key().to_bytes();
        let kid = hex::encode(&Sha256::digest(public)[..8]);
        let encoding = EncodingKey::from_ed_pem(pem.as_bytes()).map_err(|e| e.to_string())?;
        let mut decoding = HashMap::new();
        decoding.insert(kid.clone(), DecodingKey::from_ed_der(&public));
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        let jwks = serde_json::json!({
            "keys": [{
                "kty": "OKP",
                "crv": "Ed25519",
                "x": URL_SAFE_NO_PAD.encode(public),
                "kid": kid,
                "alg": "EdDSA",
                "use": "sig",
            }]
        });
        Ok(TokenKeys { kid, encoding, decoding, validation, jwks, verified: VerifiedTokens::default() })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn jwks(&self) -> &serde_json::Value {
        &self.jwks
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
    }

    /// Verifies signature, algorithm, `kid`, issuer, audience and time; anything else is refused.
    /// A token verified before is checked for its time alone, with the same leeway.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        if let Some(claims) = self.verified.get(token) {
            return self.in_time(&claims).then(|| Claims::clone(&claims));
        }
        let claims = self.verify_signed(token)?;
        self.verified.keep(token, &claims);
        Some(claims)
    }

    /// `jsonwebtoken`'s time rule, with the same settings: not expired and not before `nbf`,
    /// both within the leeway.
    fn in_time(&self, claims: &Claims) -> bool {
        let now = jsonwebtoken::get_current_timestamp() as i64;
        let validation = &self.validation;
        let leeway = validation.leeway as i64;
        let early = validation.reject_tokens_expiring_in_less_than as i64;
        (!validation.validate_exp || claims.exp - early >= now - leeway)
            && (!validation.validate_nbf || claims.nbf <= now + leeway)
    }

    fn verify_signed(&self, token: &str) -> Option<Claims> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        if header.alg != Algorithm::EdDSA {
            return None;
        }
        let key = self.decoding.get(header.kid.as_deref()?)?;
        jsonwebtoken::decode::<Claims>(token, key, &self.validation).ok().map(|data| data.claims)
    }
}

fn generate_key_file(path: &Path) -> Result<(), String> {
    let dir = path.parent().ok_or("the key path has no directory")?;
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let pem = key.to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF).map_err(|e| e.to_string())?;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    file.write_all(pem.as_bytes()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies_and_refuses_other_keys() {
        let dir = tempfile::tempdir().unwrap();
        let keys = TokenKeys::load_or_generate(None, dir.path()).unwrap();
        let again = TokenKeys::load_or_generate(None, dir.path()).unwrap();
        assert_eq!(keys.kid(), again.kid(), "the generated key is reused");
        let principal =
            Principal::User { user_id: Uuid::now_v7(), organization_id: None, roles: vec![Role::SystemAdmin] };
        let now = chrono::Utc::now().timestamp();
        let token = keys.sign(&Claims::for_principal(&principal, now)).unwrap();
        assert_eq!(keys.verify(&token).unwrap().principal(), principal);

        let other_dir = tempfile::tempdir().unwrap();
        let other = TokenKeys::load_or_generate(None, other_dir.path()).unwrap();
        assert!(other.verify(&token).is_none());

        let mut expired = Claims::for_principal(&principal, now - 3600);
        expired.exp = now - 1800;
        assert!(keys.verify(&keys.sign(&expired).unwrap()).is_none());
    }

    #[test]
    fn a_verified_token_is_kept_by_its_bytes_and_still_expires() {
        let dir = tempfile::tempdir().unwrap();
        let keys = TokenKeys::load_or_generate(None, dir.path()).unwrap();
        let principal = Principal::User { user_id: Uuid::now_v7(), organization_id: None, roles: vec![Role::Drafter] };
        let now = chrono::Utc::now().timestamp();
        let token = keys.sign(&Claims::for_principal(&principal, now)).unwrap();
        assert_eq!(keys.verify(&token).unwrap().principal(), principal);
        assert_eq!(keys.verified.len(), 1, "kept once verified");
        assert_eq!(keys.verify(&token).unwrap().principal(), principal);
        assert_eq!(keys.verified.len(), 1);

        // Other bytes are not the kept token: a changed signature is checked, refused, not kept.
        let mut forged = token.clone().into_bytes();
        let at = forged.len() - 10;
        forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
        assert!(keys.verify(std::str::from_utf8(&forged).unwrap()).is_none());
        assert_eq!(keys.verified.len(), 1);

        // A kept token is not checked again: what is kept is what is answered.
        let mut other = Claims::for_principal(&principal, now);
        other.sub = Uuid::now_v7();
        keys.verified.keep("kept.without.check", &other);
        assert_eq!(keys.verify("kept.without.check").unwrap().sub, other.sub);

        // But its time is: once expired, it is refused like any other, and one not yet valid too.
        let mut early = other.clone();
        early.nbf = now + 30 + 60;
        keys.verified.keep("kept.but.early", &early);
        assert!(keys.verify("kept.but.early").is_none(), "not before nbf, beyond the leeway");
        // Expiry is judged with the 30 s leeway, on the clock of each call (no sleep: the kept
        // claims carry the times).
        let mut expired = other.clone();
        expired.exp = now - 30 - 1;
        keys.verified.keep("kept.but.expired", &expired);
        assert!(keys.verify("kept.but.expired").is_none(), "a kept token expires");
        let mut in_leeway = other.clone();
        in_leeway.exp = now - 20;
        keys.verified.keep("kept.in.leeway", &in_leeway);
        assert!(keys.verify("kept.in.leeway").is_some(), "expired by the clock, within the leeway");
    }

    #[test]
    fn the_verified_tokens_stay_bounded() {
        let kept = VerifiedTokens::default();
        let principal = Principal::Client { client_id: Uuid::now_v7(), scopes: vec![] };
        let claims = Claims::for_principal(&principal, 0);
        for n in 0..VERIFIED_TOKENS_KEPT + 10 {
            kept.keep(&format!("token-{n}"), &claims);
            assert!(kept.len() <= VERIFIED_TOKENS_KEPT);
        }
        assert_eq!(kept.len(), 10, "emptied when full, then filled again");
        assert!(kept.get(&format!("token-{}", VERIFIED_TOKENS_KEPT + 9)).is_some());
    }
}
