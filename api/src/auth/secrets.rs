//! Passwords (argon2id, hashed off the async threads) and random bearer secrets (refresh tokens,
//! client secrets: high-entropy, so stored as SHA-256 and compared in constant time).

use std::sync::OnceLock;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// OWASP Password Storage Cheat Sheet: argon2id with 19 MiB of memory, 2 passes, 1 lane (the
/// first of its equivalent configurations), stated here rather than left to the crate's default.
pub const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
pub const ARGON2_PASSES: u32 = 2;
pub const ARGON2_LANES: u32 = 1;

fn argon2id() -> Argon2<'static> {
    let params = Params::new(ARGON2_MEMORY_KIB, ARGON2_PASSES, ARGON2_LANES, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub async fn hash_password(password: String) -> Result<String, ApiError> {
    actix_web::web::block(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2id().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
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
        argon2id().hash_password(random_token(32).as_bytes(), &salt).map(|h| h.to_string()).unwrap_or_default()
    })
}

/// Whether `password` matches the PHC string `hash` (which carries its own parameters); blocking:
/// call it off the async threads.
pub fn verify_password_blocking(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| argon2id().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// True only when `hash` is given and matches; always spends one argon2 verification.
pub async fn verify_password(hash: Option<String>, password: String) -> bool {
    actix_web::web::block(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
        known && verify_password_blocking(&hash, &password)
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

/// A password for the first administrator when none is configured: 24 (or as many as the
/// policy asks) random URL-safe characters (drawn again in the rare case they miss a class the policy asks for).
pub fn generate_password(policy: &domain::accounts::PasswordPolicy) -> String {
    // 4 characters per 3 bytes: at least 24 characters, more when the policy asks.
    let bytes = 18.max(policy.min_chars * 3 / 4 + 1);
    loop {
        let password = random_token(bytes);
        if domain::accounts::check_password(policy, "", &password).is_ok() {
            return password;
        }
    }
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

    #[actix_web::test]
    async fn passwords_are_hashed_with_argon2id_at_the_owasp_parameters() {
        let hash = hash_password("correct horse 42".into()).await.unwrap();
        let parsed = PasswordHash::new(&hash).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id", "{hash}");
        assert_eq!(parsed.version, Some(0x13));
        let params = Params::try_from(&parsed).unwrap();
        assert_eq!((params.m_cost(), params.t_cost(), params.p_cost()), (19_456, 2, 1), "{hash}");
        assert!(parsed.salt.is_some_and(|salt| salt.len() >= 22), "a 16-byte random salt: {hash}");
        assert_ne!(hash, hash_password("correct horse 42".into()).await.unwrap(), "salted");
    }

    #[test]
    fn constant_time_eq_compares_values() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
