//! The rules that keep a disclosure request's clock honest and its personal data private, beyond
//! the happy paths of `requests`: no back-dated pauses, settings that do not move running clocks,
//! fees that pause exactly their days, the views of every kind of reader, and the key check.

use chrono::Duration;
use e2e::{expect_problem, resident_id};
use serde_json::{json, Value};

use crate::requests::{id_of, today, County};

#[actix_web::test]
async fn a_consultation_cannot_be_back_dated_nor_started_after_the_due_date() {
    let county = County::new().await;
    let receipt = county.file_online(county.application(&resident_id(101))).await;
    let id = id_of(&receipt);
    county.act_ok(&county.officer, &id, "accept", json!({})).await;
    let before_receipt =
        json!({"party": "third_party", "party_name": "某公司", "sent_on": today() - Duration::days(3)});
    let problem =
        expect_problem(county.act(&county.officer, &id, "consult", before_receipt).await, 422, "validation_failed")
            .await;
    assert_eq!(problem["errors"]["sent_on"][0]["code"], "date_too_early");

    // An overdue request cannot be made punctual by a consultation dated inside its period.
    let late = county.register_in_person(&resident_id(102), 45).await;
    let late_id = id_of(&late);
    county.act_ok(&county.officer, &late_id, "accept", json!({})).await;
    let inside_period =
        json!({"party": "co_producing_agency", "party_name": "元谋县财政局", "sent_on": today() - Duration::days(40)});
    let refused = county.act(&county.officer, &late_id, "consult", inside_period).await;
    expect_problem(refused, 422, "validation_failed").await;
    let today_consult = json!({"party": "co_producing_agency", "party_name": "元谋县财政局"});
    let refused = county.act(&county.officer, &late_id, "consult", today_consult).await;
    expect_problem(refused, 409, "consultation_after_due_date").await;
    let unchanged = county.get_json(&county.officer, &format!("/api/v1/disclosure-requests/{late_id}")).await;
    assert_eq!(unchanged["due_on"], late["due_on"]);
    assert_eq!(unchanged["consultations"].as_array().unwrap().len(), 0, "nothing half-stored");

    // Nothing happened on a running request for a week: a letter is still recorded within days of
    // its date, not a week later.
    let quiet = county.register_in_person(&resident_id(108), 10).await;
    let quiet_id = id_of(&quiet);
    county.act_ok(&county.officer, &quiet_id, "accept", json!({})).await;
    county
        .app
        .execute_batch(&format!(
            "UPDATE disclosure_requests SET updated_at = now() - interval '8 days' WHERE id = '{quiet_id}'"
        ))
        .await;
    let week_old = json!({"party": "third_party", "party_name": "某公司", "sent_on": today() - Duration::days(7)});
    let problem =
        expect_problem(county.act(&county.officer, &quiet_id, "consult", week_old).await, 422, "validation_failed")
            .await;
    assert_eq!(problem["errors"]["sent_on"][0]["code"], "date_too_early");
    let recent = json!({"party": "third_party", "party_name": "某公司", "sent_on": today() - Duration::days(2)});
    county.act_ok(&county.officer, &quiet_id, "consult", recent).await;
}

#[actix_web::test]
async fn an_unpaid_fee_pauses_exactly_the_days_until_payment() {
    let county = County::new().await;
    let receipt = county.file_online(county.application(&resident_id(103))).await;
    let id = id_of(&receipt);
    county.act_ok(&county.officer, &id, "accept", json!({})).await;
    let noticed = county.act_ok(&county.officer, &id, "fee-notice", json!({"method": "per_page", "pages": 35})).await;
    assert_eq!(noticed["fee_notice"]["amount_fen"], 5 * 10 * 100);
    // The notice went out three days ago (as if time had passed); the payment arrives today.
    county
        .app
        .execute_batch(&format!(
            "UPDATE request_fee_notices SET notified_on = '{}' WHERE request_id = '{id}';",
            today() - Duration::days(3)
        ))
        .await;
    let paid = county.act_ok(&county.officer, &id, "record-payment", json!({"paid_on": today()})).await;
    let explained = county.get_json(&county.officer, &format!("/api/v1/disclosure-requests/{id}/deadline")).await;
    assert_eq!(paid["due_on"], explained["due_on"]);
    let pause = &explained["pauses"][0];
    assert_eq!(pause["from"], (today() - Duration::days(2)).to_string(), "the day after the notice");
    assert_eq!(pause["to"], today().to_string(), "through the payment");
    let received = receipt["received_on"].as_str().unwrap();
    let unpaused_due = county.working_days_after(received, 20).await;
    assert!(paid["due_on"].as_str().unwrap() >= unpaused_due.as_str(), "paused days are added, never taken");
    let history = county.get_json(&county.officer, &format!("/api/v1/disclosure-requests/{id}/history")).await;
    let payment = history.as_array().unwrap().iter().find(|e| e["action"] == "record-payment").unwrap().clone();
    assert_eq!(payment["details"]["reason"], "fee_paid");
}

#[actix_web::test]
async fn changing_the_fee_settings_does_not_move_a_running_clock() {
    let county = County::new().await;
    let receipt = county.file_online(county.application(&resident_id(104))).await;
    let id = id_of(&receipt);
    county.act_ok(&county.officer, &id, "accept", json!({})).await;
    let noticed = county.act_ok(&county.officer, &id, "fee-notice", json!({"method": "per_page", "pages": 40})).await;
    let settings = json!({"fee_payment_working_days": 5, "pause_while_fee_unpaid": false,
        "submissions_per_address_per_hour": 10, "submissions_per_applicant_per_day": 5});
    let response = county
        .app
        .http
        .put(county.app.url("/api/v1/disclosure-request-settings"))
        .bearer_auth(&county.admin)
        .json(&settings)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let after = county.get_json(&county.officer, &format!("/api/v1/disclosure-requests/{id}")).await;
    assert_eq!(after["due_on"], noticed["due_on"]);
    assert_eq!(after["fee_notice"]["payment_due_on"], noticed["fee_notice"]["payment_due_on"]);

    // A notice issued under the new settings does not pause, and its payment period ends with the
    // answer period at the latest.
    let other = county.file_online(county.application(&resident_id(105))).await;
    let other_id = id_of(&other);
    county.act_ok(&county.officer, &other_id, "accept", json!({})).await;
    let new_notice =
        county.act_ok(&county.officer, &other_id, "fee-notice", json!({"method": "per_page", "pages": 40})).await;
    assert_eq!(new_notice["due_on"], other["due_on"], "no pause under the new settings");
    assert_eq!(new_notice["fee_notice"]["payment_due_on"], county.working_days_after(&today().to_string(), 5).await);
}

#[actix_web::test]
async fn every_reader_sees_the_request_as_the_rules_say_and_clear_data_is_never_cached_or_kept() {
    let county = County::new().await;
    let mut application = county.application(&resident_id(106));
    application["email"] = json!("zhang.san@example.cn");
    application["address"] = json!("元谋县元马镇龙川街1号");
    let receipt = county.file_online(application).await;
    let id = id_of(&receipt);
    let path = format!("/api/v1/disclosure-requests/{id}");

    let officer = county.get(&county.officer, &path).await;
    assert_eq!(officer.headers()["cache-control"], "private, no-store");
    assert!(officer.headers().get("x-gongkai-seal-for-replay").is_none(), "the internal marker never leaves");
    let officer: Value = officer.json().await.unwrap();
    assert_eq!(
        (officer["email"].as_str(), officer["address"].as_str()),
        (Some("zhang.san@example.cn"), Some("元谋县元马镇龙川街1号"))
    );
    for reader in [&county.admin, &county.gov_office] {
        let response = county.get(reader, &path).await;
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        for secret in [resident_id(106).as_str(), "13812345678", "zhang.san@example.cn", "龙川街"] {
            assert!(!text.contains(secret), "{secret} shown masked-view reader: {text}");
        }
        let masked: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(masked["email"], "z***@example.cn");
        assert!(masked["address"].is_null());
        assert_eq!(masked["personal_data_masked"], true);
    }

    // An officer's act retried with its Idempotency-Key: the replay copy is sealed.
    let key = uuid::Uuid::now_v7().to_string();
    let accept_with_key = || {
        let url = county.app.url(&format!("{path}/accept"));
        county.app.http.post(url).bearer_auth(&county.officer).header("Idempotency-Key", &key).send()
    };
    let accept = accept_with_key().await.unwrap();
    assert_eq!(accept.status(), 200);
    assert!(accept.headers().get("x-gongkai-seal-for-replay").is_none());
    let kept = "SELECT count(*) AS n FROM idempotency_keys WHERE response_body IS NOT NULL";
    assert_eq!(county.app.scalar(kept).await, 1);
    let number = resident_id(106);
    let in_clear = format!(
        "SELECT count(*) AS n FROM idempotency_keys WHERE position(convert_to('{number}', 'UTF8') in response_body) > 0"
    );
    assert_eq!(county.app.scalar(&in_clear).await, 0);
    let replay = accept_with_key().await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.json::<Value>().await.unwrap()["identity_number"], number);
}

#[actix_web::test]
async fn requests_go_only_to_bodies_that_take_them() {
    let county = County::new().await;
    let province = county.app.create_organization(&county.admin, "云南省人民政府", "higher_level", None).await;
    let mut application = county.application(&resident_id(107));
    application["organization_id"] = json!(province);
    let response = county
        .app
        .http
        .post(county.app.url("/api/v1/public/disclosure-requests"))
        .json(&application)
        .send()
        .await
        .unwrap();
    let problem = expect_problem(response, 422, "validation_failed").await;
    assert_eq!(problem["errors"]["organization_id"][0]["code"], "takes_no_requests");
    assert_eq!(county.app.scalar("SELECT count(*) AS n FROM disclosure_requests").await, 0);
}

#[actix_web::test]
async fn another_personal_data_key_is_refused_by_a_database_sealed_with_the_first() {
    let county = County::new().await;
    let dir = tempfile::tempdir().unwrap();
    let first = api::bootstrap::personal_data_sealer(None, dir.path()).unwrap();
    let again = api::bootstrap::personal_data_sealer(None, dir.path()).unwrap();
    let other =
        persistence::personal_data::Sealer::from_hex(&persistence::personal_data::Sealer::generate_key_hex()).unwrap();
    let mut conn = persistence::connection(&county.app.pool).await.unwrap();
    first.check_against(&mut conn).await.unwrap();
    again.check_against(&mut conn).await.expect("the same key file is accepted again");
    let refused = other.check_against(&mut conn).await.unwrap_err();
    assert!(refused.contains("personal-data key"), "{refused}");
    let key_file = dir.path().join("keys").join("personal-data.key");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(key_file).unwrap().permissions().mode() & 0o777, 0o600);
}
