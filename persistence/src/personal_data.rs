//! Personal data at rest (DOMAIN.md §10): identity numbers and contact data are sealed with
//! XChaCha20-Poly1305 under a key kept outside the database, and a keyed hash (HMAC-SHA256) stands
//! in for the identity number wherever requests must be matched by applicant. A database dump
//! alone reveals neither.

use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::error::StoreError;

/// The format byte in front of every sealed value, so that the scheme can change later.
const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 24;

/// Seals and opens personal data; derived from one 32-byte master key.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
    index_key: [u8; 32],
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer(<key>)")
    }
}

fn derive(master: &[u8; 32], purpose: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master).expect("HMAC takes any key length");
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().into()
}

impl Sealer {
    pub fn new(master: &[u8; 32]) -> Sealer {
        let cipher_key = derive(master, "gongkai personal data encryption v1");
        Sealer {
            cipher: XChaCha20Poly1305::new((&cipher_key).into()),
            index_key: derive(master, "gongkai personal data index v1"),
        }
    }

    /// A fresh random master key, hex-encoded for a key file.
    pub fn generate_key_hex() -> String {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        hex::encode(key)
    }

    /// Reads the hex text of a key file.
    pub fn from_hex(text: &str) -> Result<Sealer, String> {
        let bytes = hex::decode(text.trim()).map_err(|e| format!("not hexadecimal: {e}"))?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| "the key must be 32 bytes (64 hex digits)".to_owned())?;
        Ok(Sealer::new(&key))
    }

    /// Seals `plain`, bound to `context` (the column and the record id): a sealed value copied to
    /// another record or column does not open there.
    pub fn seal(&self, context: &str, plain: &str) -> Vec<u8> {
        self.seal_bytes(context, plain.as_bytes())
    }

    /// Seals arbitrary bytes, bound to `context`.
    pub fn seal_bytes(&self, context: &str, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(&XNonce::from(nonce), Payload { msg: plain, aad: context.as_bytes() })
            .expect("encryption of a bounded text cannot fail");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens a value sealed with [`seal`](Self::seal) under the same context.
    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<String, StoreError> {
        let plain = self.open_bytes(context, sealed)?;
        String::from_utf8(plain).map_err(|_| StoreError::Other(format!("a sealed value of {context} is not text")))
    }

    /// Opens bytes sealed with [`seal_bytes`](Self::seal_bytes) under the same context.
    pub fn open_bytes(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        let broken = || StoreError::Other(format!("a sealed value of {context} does not open with this key"));
        if sealed.len() < 1 + NONCE_LEN || sealed[0] != FORMAT_V1 {
            return Err(broken());
        }
        let (nonce, body) = sealed[1..].split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| broken())?;
        let plain = self
            .cipher
            .decrypt(&XNonce::from(nonce), Payload { msg: body, aad: context.as_bytes() })
            .map_err(|_| broken())?;
        Ok(plain)
    }

    /// Records this key's fingerprint on first use and refuses a different key afterwards: data
    /// sealed under the old key would be unreadable and applicants would no longer match.
    pub async fn check_against(&self, conn: &mut diesel_async::AsyncPgConnection) -> Result<(), String> {
        use crate::schema::personal_data_key_check as check;
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        let fingerprint = self.index("key check", "gongkai");
        diesel::insert_into(check::table)
            .values(check::fingerprint.eq(&fingerprint))
            .on_conflict_do_nothing()
            .execute(conn)
            .await
            .map_err(|e| e.to_string())?;
        let stored: String = check::table.select(check::fingerprint).first(conn).await.map_err(|e| e.to_string())?;
        if stored == fingerprint {
            Ok(())
        } else {
            Err("the personal-data key is not the one this database was sealed with \
                 (GONGKAI_PERSONAL_DATA_KEY_FILE or $GONGKAI_DATA_DIR/keys/personal-data.key); \
                 restore the original key file"
                .into())
        }
    }

    /// A stable keyed hash of `value` under `purpose`, for equality matching without the value.
    pub fn index(&self, purpose: &str, value: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer() -> Sealer {
        Sealer::from_hex(&Sealer::generate_key_hex()).unwrap()
    }

    #[test]
    fn sealed_values_open_only_in_their_context_and_never_show_the_text() {
        let s = sealer();
        let sealed = s.seal("identity_number:1", "11010519491231002X");
        assert!(!String::from_utf8_lossy(&sealed).contains("19491231"));
        assert_eq!(s.open("identity_number:1", &sealed).unwrap(), "11010519491231002X");
        assert!(s.open("identity_number:2", &sealed).is_err());
        assert!(sealer().open("identity_number:1", &sealed).is_err(), "another key cannot open it");
        assert_ne!(sealed, s.seal("identity_number:1", "11010519491231002X"), "every seal has its own nonce");
    }

    #[test]
    fn the_index_is_stable_per_key_and_purpose() {
        let s = sealer();
        assert_eq!(s.index("applicant", "X"), s.index("applicant", "X"));
        assert_ne!(s.index("applicant", "X"), s.index("other", "X"));
        assert_ne!(s.index("applicant", "X"), sealer().index("applicant", "X"));
    }

    #[test]
    fn keys_must_be_thirty_two_bytes() {
        assert!(Sealer::from_hex("abcd").is_err());
        assert!(Sealer::from_hex("zz").is_err());
    }
}
