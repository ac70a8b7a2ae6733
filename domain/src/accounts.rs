//! Rules for staff accounts: usernames, passwords, and the back-off after failed logins.

use chrono::{DateTime, Duration, Utc};

pub const PASSWORD_MIN_CHARS: usize = 10;
pub const PASSWORD_MAX_CHARS: usize = 128;
/// Failed logins in a row that are tolerated before the account backs off.
pub const FAILURES_BEFORE_LOCK: i32 = 5;
/// The longest an account stays locked after repeated failures.
pub const MAX_LOCK_MINUTES: i64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error("password_too_short")]
    TooShort,
    #[error("password_too_long")]
    TooLong,
    #[error("password_equals_username")]
    EqualsUsername,
    #[error("password_too_simple")]
    TooSimple,
}

/// A password must be long, not the username, and use at least two character classes
/// (letters, digits, others), so that the generated default and a typed one are both accepted.
pub fn check_password(username: &str, password: &str) -> Result<(), PasswordProblem> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err(PasswordProblem::TooLong);
    }
    if password.eq_ignore_ascii_case(username) {
        return Err(PasswordProblem::EqualsUsername);
    }
    let letters = password.chars().any(char::is_alphabetic);
    let digits = password.chars().any(|c| c.is_ascii_digit());
    let others = password.chars().any(|c| !c.is_alphanumeric());
    if [letters, digits, others].iter().filter(|x| **x).count() < 2 {
        return Err(PasswordProblem::TooSimple);
    }
    Ok(())
}

/// Usernames: 3–64 of lower-case ASCII letters, digits, `.`, `_`, `-`, starting with a letter or digit.
pub fn is_valid_username(username: &str) -> bool {
    let len_ok = (3..=64).contains(&username.len());
    let first_ok = username.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let chars_ok =
        username.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    len_ok && first_ok && chars_ok
}

/// After `failures` failed logins in a row, the account is locked until the returned instant:
/// none for the first few, then 1, 2, 4 … minutes, at most an hour. Doubling slows a guesser to a
/// handful of tries an hour while an owner who mistyped waits a minute.
pub fn locked_until_after(failures: i32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if failures < FAILURES_BEFORE_LOCK {
        return None;
    }
    let exponent = (failures - FAILURES_BEFORE_LOCK).min(10) as u32;
    let minutes = (1i64 << exponent).min(MAX_LOCK_MINUTES);
    Some(now + Duration::minutes(minutes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_a_reasonable_password() {
        assert_eq!(check_password("admin", "correct horse 42"), Ok(()));
    }

    #[test]
    fn refuses_weak_passwords() {
        assert_eq!(check_password("admin", "short1"), Err(PasswordProblem::TooShort));
        assert_eq!(check_password("administrator1", "Administrator1"), Err(PasswordProblem::EqualsUsername));
        assert_eq!(check_password("admin", "onlyletterslong"), Err(PasswordProblem::TooSimple));
        assert_eq!(check_password("admin", &"a1".repeat(65)), Err(PasswordProblem::TooLong));
    }

    #[test]
    fn usernames() {
        assert!(is_valid_username("zhang.san"));
        assert!(is_valid_username("admin"));
        assert!(!is_valid_username("ab"));
        assert!(!is_valid_username("Admin"));
        assert!(!is_valid_username("-admin"));
        assert!(!is_valid_username("张三"));
    }

    #[test]
    fn no_lock_before_the_threshold_then_doubling() {
        let now = Utc::now();
        assert_eq!(locked_until_after(4, now), None);
        assert_eq!(locked_until_after(5, now), Some(now + Duration::minutes(1)));
        assert_eq!(locked_until_after(6, now), Some(now + Duration::minutes(2)));
        assert_eq!(locked_until_after(50, now), Some(now + Duration::minutes(MAX_LOCK_MINUTES)));
    }

    proptest! {
        #[test]
        fn lock_never_shrinks_with_more_failures(n in 0i32..1000) {
            let now = Utc::now();
            let a = locked_until_after(n, now);
            let b = locked_until_after(n + 1, now);
            prop_assert!(b >= a);
            if let Some(until) = b {
                prop_assert!(until <= now + Duration::minutes(MAX_LOCK_MINUTES));
            }
        }
    }
}
