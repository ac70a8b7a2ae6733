//! An applicant's identity document (条例第二十九条 "身份证明"): validation of the numbers that
//! carry a check character, and the masks under which personal data is shown to everyone but the
//! handling officers.

use chrono::{Datelike, NaiveDate};

use crate::labeled_enum;
use crate::requests::ApplicantType;

labeled_enum! {
    /// The kind of identity document an applicant gives.
    pub enum IdentityDocumentType as "identity_document_type" {
        ResidentIdentityCard = "resident_identity_card", "居民身份证", "Resident identity card";
        Passport = "passport", "护照", "Passport";
        HkMacaoTaiwanPermit = "hk_macao_taiwan_permit", "港澳台居民居住证或通行证", "Hong Kong, Macao or Taiwan permit";
        ForeignPermanentResidentCard = "foreign_permanent_resident_card", "外国人永久居留身份证", "Foreign permanent resident ID card";
        UnifiedSocialCreditCode = "unified_social_credit_code", "统一社会信用代码", "Unified social credit code";
    }
}

impl IdentityDocumentType {
    /// Whether this document identifies an organization rather than a person.
    pub fn identifies_organization(self) -> bool {
        self == IdentityDocumentType::UnifiedSocialCreditCode
    }
}

/// Why an identity number was refused; the code is stable, for `errors[].code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityProblem {
    /// Wrong length or characters for its kind.
    Malformed,
    /// The check character does not match the rest.
    CheckDigit,
    /// The birth date inside a resident identity number is not a real past date.
    BirthDate,
    /// A natural person with an organization's code, or an organization with a person's document.
    WrongKindForApplicant,
}

impl IdentityProblem {
    pub fn code(self) -> &'static str {
        match self {
            IdentityProblem::Malformed => "malformed",
            IdentityProblem::CheckDigit => "check_digit",
            IdentityProblem::BirthDate => "birth_date",
            IdentityProblem::WrongKindForApplicant => "wrong_kind_for_applicant",
        }
    }
}

/// The number as it is stored and compared: upper case, without spaces.
pub fn normalize(number: &str) -> String {
    number.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_uppercase).collect()
}

/// Validates `number` (already normalized) as a document of `kind` held by an applicant of
/// `applicant`, on `today` (a birth date may not lie in the future).
pub fn check(
    kind: IdentityDocumentType,
    number: &str,
    applicant: ApplicantType,
    today: NaiveDate,
) -> Result<(), IdentityProblem> {
    let is_person = applicant == ApplicantType::NaturalPerson;
    if is_person == kind.identifies_organization() {
        return Err(IdentityProblem::WrongKindForApplicant);
    }
    match kind {
        IdentityDocumentType::ResidentIdentityCard => check_resident_identity_number(number, today),
        IdentityDocumentType::UnifiedSocialCreditCode => check_social_credit_code(number),
        _ => {
            let plausible = (5..=30).contains(&number.len()) && number.chars().all(|c| c.is_ascii_alphanumeric());
            if plausible {
                Ok(())
            } else {
                Err(IdentityProblem::Malformed)
            }
        }
    }
}

/// GB 11643-1999: 17 digits (area, birth date YYYYMMDD, sequence) and an ISO 7064 MOD 11-2 check
/// character, `X` standing for 10.
pub fn check_resident_identity_number(number: &str, today: NaiveDate) -> Result<(), IdentityProblem> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let bytes = number.as_bytes();
    if bytes.len() != 18 || !bytes[..17].iter().all(u8::is_ascii_digit) {
        return Err(IdentityProblem::Malformed);
    }
    let sum: u32 = bytes[..17].iter().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    if CHECK[(sum % 11) as usize] != bytes[17] {
        return Err(IdentityProblem::CheckDigit);
    }
    match NaiveDate::parse_from_str(&number[6..14], "%Y%m%d") {
        Ok(born) if born <= today && born.year() >= 1850 => Ok(()),
        _ => Err(IdentityProblem::BirthDate),
    }
}

/// GB 32100-2015: 18 characters over the 31-character alphabet without I, O, Z, S, V; the last is
/// a check character, 31 minus the weighted sum modulo 31.
pub fn check_social_credit_code(code: &str) -> Result<(), IdentityProblem> {
    const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    let bytes = code.as_bytes();
    if bytes.len() != 18 {
        return Err(IdentityProblem::Malformed);
    }
    let values: Option<Vec<u32>> =
        bytes.iter().map(|b| ALPHABET.iter().position(|a| a == b).map(|p| p as u32)).collect();
    let Some(values) = values else {
        return Err(IdentityProblem::Malformed);
    };
    let sum: u32 = values[..17].iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let expected = (31 - sum % 31) % 31;
    if values[17] == expected {
        Ok(())
    } else {
        Err(IdentityProblem::CheckDigit)
    }
}

/// Keeps the first `head` and last `tail` characters and hides the rest.
fn mask(value: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let hidden = chars.len() - head - tail;
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(hidden));
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// An identity number as everyone but the handling officers sees it: `532328**********1X` keeps
/// the area code and the last two characters.
pub fn mask_identity_number(number: &str) -> String {
    let chars = number.chars().count();
    if chars >= 12 {
        mask(number, 6, 2)
    } else {
        mask(number, 1, 1)
    }
}

/// A phone number as everyone but the handling officers sees it: `138****5678`.
pub fn mask_phone(phone: &str) -> String {
    let chars = phone.chars().count();
    if chars >= 7 {
        mask(phone, 3, 4)
    } else {
        mask(phone, 0, 0)
    }
}

/// Mainland mobile numbers and fixed lines with an area code, optionally with `+86`, dashes or spaces.
pub fn is_plausible_phone(phone: &str) -> bool {
    let digits: String = phone.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = digits.strip_prefix("+86").unwrap_or(&digits);
    (7..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
    }

    #[test]
    fn resident_identity_numbers_carry_a_check_character() {
        // The specimen number printed in GB 11643-1999.
        assert_eq!(check_resident_identity_number("11010519491231002X", today()), Ok(()));
        assert_eq!(check_resident_identity_number("110105194912310021", today()), Err(IdentityProblem::CheckDigit));
        assert_eq!(check_resident_identity_number("440524188001010014", today()), Ok(()));
        assert_eq!(check_resident_identity_number("11010519491231002", today()), Err(IdentityProblem::Malformed));
        assert_eq!(check_resident_identity_number("1101051949123100XX", today()), Err(IdentityProblem::Malformed));
    }

    #[test]
    fn an_impossible_birth_date_is_refused_even_with_a_matching_check_character() {
        // 2026-02-30 does not exist; the check character is right for the digits.
        let number = with_check_character("53232820260230001");
        assert_eq!(check_resident_identity_number(&number, today()), Err(IdentityProblem::BirthDate));
        let future = with_check_character("53232820271201001");
        assert_eq!(check_resident_identity_number(&future, today()), Err(IdentityProblem::BirthDate));
        let fine = with_check_character("53232819800101001");
        assert_eq!(check_resident_identity_number(&fine, today()), Ok(()));
    }

    fn with_check_character(first17: &str) -> String {
        for c in "0123456789X".chars() {
            let candidate = format!("{first17}{c}");
            if check_resident_identity_number(&candidate, NaiveDate::MAX) != Err(IdentityProblem::CheckDigit) {
                return candidate;
            }
        }
        unreachable!("one of the eleven characters matches")
    }

    #[test]
    fn unified_social_credit_codes_carry_a_check_character() {
        // The specimen code commonly printed with GB 32100-2015.
        assert_eq!(check_social_credit_code("91350100M000100Y43"), Ok(()));
        assert_eq!(check_social_credit_code("91350100M000100Y44"), Err(IdentityProblem::CheckDigit));
        assert_eq!(check_social_credit_code("91350100M000100Y4"), Err(IdentityProblem::Malformed));
        assert_eq!(check_social_credit_code("91350100I000100Y43"), Err(IdentityProblem::Malformed));
    }

    #[test]
    fn the_document_must_fit_the_applicant() {
        let t = today();
        assert_eq!(
            check(IdentityDocumentType::UnifiedSocialCreditCode, "91350100M000100Y43", ApplicantType::NaturalPerson, t),
            Err(IdentityProblem::WrongKindForApplicant)
        );
        assert_eq!(
            check(IdentityDocumentType::ResidentIdentityCard, "11010519491231002X", ApplicantType::Commercial, t),
            Err(IdentityProblem::WrongKindForApplicant)
        );
        assert_eq!(check(IdentityDocumentType::Passport, "E12345678", ApplicantType::NaturalPerson, t), Ok(()));
        assert_eq!(
            check(IdentityDocumentType::Passport, "E1234<>", ApplicantType::NaturalPerson, t),
            Err(IdentityProblem::Malformed)
        );
    }

    #[test]
    fn masks_hide_the_middle() {
        assert_eq!(mask_identity_number("11010519491231002X"), "110105**********2X");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("0878-1234567"), "087*****4567");
        assert_eq!(mask_identity_number("E1234"), "E***4");
        assert!(!mask_identity_number("11010519491231002X").contains("19491231"));
    }

    #[test]
    fn phones_are_checked_loosely_but_not_blindly() {
        assert!(is_plausible_phone("13812345678"));
        assert!(is_plausible_phone("+86 138-1234-5678"));
        assert!(is_plausible_phone("0878-8211234"));
        assert!(!is_plausible_phone("call me"));
        assert!(!is_plausible_phone("123"));
    }

    #[test]
    fn normalization_removes_spaces_and_upper_cases() {
        assert_eq!(normalize(" 11010519491231002x "), "11010519491231002X");
    }
}
