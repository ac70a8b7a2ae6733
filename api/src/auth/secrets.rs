//! Passwords (argon2id, hashed off the async threads) and random bearer secrets (refresh tokens,
//! client secrets: high-entropy, so stored as SHA-256 and compared in constant time).

use std::sync::OnceLock;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

pub async fn hash_password(password: String) -> Result<String, ApiError> {
    actix_web::web::block(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|_| ApiError::internal())?
    .map_err(|_| ApiError::internal())
}

/// A hash of nothing anyone knows, verified when the account does not exist so that the time
/// taken does not reveal which usernames exist.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(random_token(32).as_bytes(), &salt).map(|h| h.to_string()).unwrap_or_default()
    })
}

/// True only when `hash` is given and matches; always spends one argon2 verification.
pub async fn verify_password(hash: Option<String>, password: String) -> bool {
    actix_web::web::block(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
        let matches = PasswordHash::new(&hash)
            .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false);
        known && matches
    })
    .await
    .unwrap_or(false)
}

pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A password for the first administrator when none is configured: 24 random URL-safe characters.
pub fn generate_password() -> String {
    random_token(18)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn password_round_trip_and_unknown_user_never_matches() {
        let hash = hash_password("correct horse 42".into()).await.unwrap();
        assert!(verify_password(Some(hash.clone()), "correct horse 42".into()).await);
        assert!(!verify_password(Some(hash), "wrong horse 42".into()).await);
        assert!(!verify_password(None, "anything".into()).await);
    }

    #[test]
    fn constant_time_eq_compares_values() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
