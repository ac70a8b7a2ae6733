//! Rules for staff accounts: usernames, passwords, and the back-off after failed logins.

use chrono::{DateTime, Duration, Utc};

/// The shortest password any policy may allow (GB/T 22239-2019 practice: at least 8).
pub const PASSWORD_FLOOR_CHARS: usize = 8;
pub const PASSWORD_MAX_CHARS: usize = 128;
/// Failed logins in a row that are tolerated before the account backs off.
pub const FAILURES_BEFORE_LOCK: i32 = 5;
/// The longest an account stays locked after repeated failures.
pub const MAX_LOCK_MINUTES: i64 = 60;
/// The most earlier passwords a policy may remember.
pub const MAX_PASSWORD_HISTORY: u8 = 24;

/// What a password must be, set by the deployment. The default suits a county office; the
/// values of [`PasswordPolicy::LEVEL_THREE`] are the ones usually asked for at 等级保护 level 3
/// (GB/T 22239-2019 8.1.4.1: complexity, periodic change, no reuse).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// At least this many characters.
    pub min_chars: usize,
    /// At least this many of the four classes: lower-case, upper-case, digits, other characters.
    pub min_classes: u8,
    /// A password older than this many days must be changed before the next login; 0: never.
    pub max_age_days: u32,
    /// A new password may not repeat the current one or the last `history - 1` before it; 0: no check.
    pub history: u8,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy { min_chars: 10, min_classes: 2, max_age_days: 0, history: 0 }
    }
}

impl PasswordPolicy {
    pub const LEVEL_THREE: PasswordPolicy =
        PasswordPolicy { min_chars: 8, min_classes: 3, max_age_days: 90, history: 5 };

    /// The password must be changed before it is used to log in again.
    pub fn is_expired(&self, changed_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        self.max_age_days > 0 && now - changed_at >= Duration::days(i64::from(self.max_age_days))
    }
}

/// The longest an access token lives; with the verifier's 30 s leeway, also the longest a
/// deactivated account's token keeps working.
pub const ACCESS_TOKEN_MAX_SECONDS: i64 = 15 * 60;

/// How long a login session lasts without use and at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session whose refresh token was issued longer ago than this ends; 0: no idle limit.
    pub idle_minutes: u32,
    /// A refresh token expires this many days after it was issued, used or not.
    pub refresh_days: u32,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy { idle_minutes: 30, refresh_days: 7 }
    }
}

impl SessionPolicy {
    /// Access tokens live at most half the idle limit: a client that stops holds nothing usable
    /// long after it, and one that refreshes only when its token has expired (plus the
    /// verifier's 30 s leeway and a slow network) still refreshes within the limit.
    pub fn access_token_seconds(&self) -> i64 {
        match self.idle_minutes {
            0 => ACCESS_TOKEN_MAX_SECONDS,
            idle => ACCESS_TOKEN_MAX_SECONDS.min(i64::from(idle) * 30),
        }
    }

    /// The session has been idle too long: its last refresh token was issued at `issued_at`.
    pub fn is_idle(&self, issued_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        self.idle_minutes > 0 && now - issued_at > Duration::minutes(i64::from(self.idle_minutes))
    }
}

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

/// How many of the four classes `password` uses: lower-case letters, upper-case letters, digits,
/// and everything else (symbols, spaces, Chinese characters).
pub fn character_classes(password: &str) -> u8 {
    let lower = password.chars().any(|c| c.is_lowercase());
    let upper = password.chars().any(|c| c.is_uppercase());
    let digits = password.chars().any(|c| c.is_ascii_digit());
    let others = password.chars().any(|c| !(c.is_lowercase() || c.is_uppercase() || c.is_ascii_digit()));
    [lower, upper, digits, others].iter().filter(|x| **x).count() as u8
}

/// A password must be long enough, not the username, and mix enough character classes.
pub fn check_password(policy: &PasswordPolicy, username: &str, password: &str) -> Result<(), PasswordProblem> {
    let chars = password.chars().count();
    if chars < policy.min_chars.max(PASSWORD_FLOOR_CHARS) {
        return Err(PasswordProblem::TooShort);
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err(PasswordProblem::TooLong);
    }
    if password.eq_ignore_ascii_case(username) {
        return Err(PasswordProblem::EqualsUsername);
    }
    if character_classes(password) < policy.min_classes {
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

    const DEFAULT: PasswordPolicy = PasswordPolicy { min_chars: 10, min_classes: 2, max_age_days: 0, history: 0 };

    #[test]
    fn accepts_a_reasonable_password() {
        assert_eq!(PasswordPolicy::default(), DEFAULT);
        assert_eq!(check_password(&DEFAULT, "admin", "correct horse 42"), Ok(()));
    }

    #[test]
    fn refuses_weak_passwords() {
        assert_eq!(check_password(&DEFAULT, "admin", "short1"), Err(PasswordProblem::TooShort));
        assert_eq!(check_password(&DEFAULT, "administrator1", "Administrator1"), Err(PasswordProblem::EqualsUsername));
        assert_eq!(check_password(&DEFAULT, "admin", "onlyletterslong"), Err(PasswordProblem::TooSimple));
        assert_eq!(check_password(&DEFAULT, "admin", &"a1".repeat(65)), Err(PasswordProblem::TooLong));
    }

    #[test]
    fn counts_four_character_classes() {
        assert_eq!(character_classes("abcdef"), 1);
        assert_eq!(character_classes("abcDEF"), 2);
        assert_eq!(character_classes("abcDEF12"), 3);
        assert_eq!(character_classes("abcDEF12-"), 4);
        assert_eq!(character_classes("公开公开1234"), 2, "Chinese characters count as other characters");
    }

    #[test]
    fn level_three_asks_for_three_classes_and_eight_characters() {
        let policy = PasswordPolicy::LEVEL_THREE;
        assert_eq!(check_password(&policy, "admin", "abcdefg1"), Err(PasswordProblem::TooSimple));
        assert_eq!(check_password(&policy, "admin", "Abcdef1"), Err(PasswordProblem::TooShort));
        assert_eq!(check_password(&policy, "admin", "Abcdefg1"), Ok(()));
        let lax = PasswordPolicy { min_chars: 4, ..DEFAULT };
        assert_eq!(check_password(&lax, "admin", "ab12cd"), Err(PasswordProblem::TooShort), "never below the floor");
    }

    #[test]
    fn a_password_expires_after_its_maximum_age() {
        let now = Utc::now();
        let policy = PasswordPolicy::LEVEL_THREE;
        assert!(!policy.is_expired(now - Duration::days(89), now));
        assert!(policy.is_expired(now - Duration::days(90), now));
        assert!(!DEFAULT.is_expired(now - Duration::days(9000), now), "0 means never");
    }

    #[test]
    fn access_tokens_never_outlive_the_idle_limit() {
        let now = Utc::now();
        let default = SessionPolicy::default();
        assert_eq!(default.access_token_seconds(), 900);
        assert!(!default.is_idle(now - Duration::minutes(30), now));
        assert!(default.is_idle(now - Duration::minutes(31), now));
        let strict = SessionPolicy { idle_minutes: 10, refresh_days: 1 };
        assert_eq!(strict.access_token_seconds(), 300, "half the idle limit");
        let fifteen = SessionPolicy { idle_minutes: 15, refresh_days: 1 };
        assert_eq!(fifteen.access_token_seconds(), 450);
        let none = SessionPolicy { idle_minutes: 0, refresh_days: 30 };
        assert_eq!(none.access_token_seconds(), 900);
        assert!(!none.is_idle(now - Duration::days(29), now));
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
