//! Receipt codes handed to the public for what they sent (comments, messages, registrations):
//! a prefix naming the kind, the day, and 40 random bits, e.g. `LY20261126-3F9A0C12B7`.

use chrono::NaiveDate;
use rand::RngCore;

pub fn receipt_code(prefix: &str, day: NaiveDate) -> String {
    let mut random = [0u8; 5];
    rand::rngs::OsRng.fill_bytes(&mut random);
    format!("{prefix}{}-{}", day.format("%Y%m%d"), hex::encode_upper(random))
}
