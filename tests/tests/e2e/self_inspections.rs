//! The yearly self-inspection end to end: the undisclosed documents and the most requested
//! information listed, a `not_public` document converted to `proactive` through its audited path
//! (history with the change, the reason and who made it; its publication clock starting that day;
//! a new secrecy review before publication), and the report submitted to the government office.

use e2e::{expect_problem, resident_id};
use serde_json::{json, Value};

use crate::requests::{today, County};

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(actual, status, "{body}");
    body
}

async fn post(c: &County, token: &str, path: &str, body: Value) -> reqwest::Response {
    c.app.http.post(c.app.url(path)).bearer_auth(token).json(&body).send().await.unwrap()
}

/// A filed document of the civil-affairs bureau with the given withheld attribute.
async fn filed_document(c: &County, principal: &str, disclosure: &str, number: u32) -> String {
    let draft = json!({
        "doc_number": format!("元民发〔2026〕{number}号"),
        "title": format!("元谋县民政局关于低保审核工作的内部通知（{number}）"),
        "body": "各乡（镇）民政办：为规范低保审核，现将内部工作安排通知如下……",
        "issuing_org_id": c.civil_affairs,
        "issuing_authority": "department",
        "is_policy": false,
        "category": "management",
        "doc_kind": "other",
        "disclosure": disclosure,
        "disclosure_reason": "内部工作安排，不对外公开",
        "legal_basis": "《中华人民共和国政府信息公开条例》第十六条",
        "exemption": if disclosure == "not_public" { json!("internal_affairs") } else { Value::Null },
    });
    let created = json_of(post(c, &c.drafter, "/api/v1/documents", draft).await, 201).await;
    let id = created["id"].as_str().unwrap().to_owned();
    json_of(
        post(c, &c.officer, &format!("/api/v1/documents/{id}/openness-review"), json!({"passed": true})).await,
        200,
    )
    .await;
    let submitted = json_of(post(c, &c.drafter, &format!("/api/v1/documents/{id}/submit"), json!({})).await, 200).await;
    assert_eq!(submitted["outcome"], "submitted", "{submitted}");
    json_of(post(c, principal, &format!("/api/v1/documents/{id}/approve"), json!({})).await, 200).await;
    let filed = json_of(post(c, &c.officer, &format!("/api/v1/documents/{id}/file"), json!({})).await, 200).await;
    assert_eq!(filed["status"], "filed");
    id
}

#[actix_web::test]
async fn a_self_inspection_converts_a_not_public_document_to_proactive_through_its_audited_path() {
    let c = County::new().await;
    c.app.create_user(&c.admin, "mz.principal", Some(c.civil_affairs), &["principal"]).await;
    let principal = c.app.token_of("mz.principal").await;
    let withheld = filed_document(&c, &principal, "not_public", 1).await;
    let on_request = filed_document(&c, &principal, "on_request", 2).await;
    // Three requests for the same information, one for other information.
    for serial in 1..=3 {
        let mut body = c.application(&resident_id(serial));
        body["description"] = json!("2026年元谋县城乡低保资金发放明细");
        c.file_online(body).await;
    }
    c.file_online(c.application(&resident_id(9))).await;

    let year = today().format("%Y").to_string().parse::<i32>().unwrap();
    expect_problem(post(&c, &c.drafter, "/api/v1/self-inspections", json!({"year": year})).await, 403, "forbidden")
        .await;
    let future = expect_problem(
        post(&c, &c.officer, "/api/v1/self-inspections", json!({"year": year + 1})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(future["errors"]["year"][0]["code"], "range");
    let opened = json_of(post(&c, &c.officer, "/api/v1/self-inspections", json!({"year": year})).await, 201).await;
    let id = opened["id"].as_str().unwrap().to_owned();
    expect_problem(
        post(&c, &c.officer, "/api/v1/self-inspections", json!({"year": year})).await,
        409,
        "self_inspection_exists",
    )
    .await;
    let items = opened["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{opened}");
    let document_item =
        |doc: &str| items.iter().find(|i| i["document_id"] == json!(doc)).unwrap()["id"].as_str().unwrap().to_owned();
    let withheld_item = document_item(&withheld);
    let on_request_item = document_item(&on_request);
    let requested = items.iter().find(|i| i["kind"] == "requested_information").unwrap();
    assert_eq!(requested["request_count"], 3);
    assert_eq!(requested["subject"], "2026年元谋县城乡低保资金发放明细");
    assert_eq!(opened["undecided"], 3);
    let requested_item = requested["id"].as_str().unwrap().to_owned();

    // Nothing goes to the government office while items are undecided.
    let early = expect_problem(
        post(&c, &c.officer, &format!("/api/v1/self-inspections/{id}/submit"), json!({"summary": "已完成自查"})).await,
        422,
        "rules_failed",
    )
    .await;
    assert_eq!(early["rules"], json!(["undecided_items"]));

    let reason = "经自查，该文件不涉及国家秘密、商业秘密和个人隐私，可转为主动公开";
    let decide = |item: String, decision: &'static str, why: &'static str| {
        let c = &c;
        let id = id.clone();
        async move {
            post(
                c,
                &c.officer,
                &format!("/api/v1/self-inspections/{id}/decide"),
                json!({"item_id": item, "decision": decision, "reason": why}),
            )
            .await
        }
    };
    expect_problem(
        post(
            &c,
            &c.stranger,
            &format!("/api/v1/self-inspections/{id}/decide"),
            json!({"item_id": withheld_item, "decision": "convert", "reason": reason}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let decided = json_of(decide(withheld_item.clone(), "convert", reason).await, 200).await;
    assert_eq!(decided["converted"], 1);
    expect_problem(decide(withheld_item.clone(), "keep", "重复").await, 409, "item_already_decided").await;

    // The document changed through its audited path: attribute, reason, who, and the clock.
    let document = c.app.get_ok(&c.officer, &format!("/api/v1/documents/{withheld}")).await;
    assert_eq!(document["disclosure"], "proactive");
    assert_eq!(document["status"], "filed");
    assert_eq!(document["publish_clock_from"], json!(today()));
    let deadline = c.app.get_ok(&c.officer, &format!("/api/v1/documents/{withheld}/publish-deadline")).await;
    assert_eq!(deadline["start"], json!(today()), "{deadline}");
    assert_eq!(document["publish_due_on"], deadline["due_on"]);
    assert!(document["publish_due_on"].as_str().unwrap() > today().to_string().as_str());
    let history = c.app.get_ok(&c.officer, &format!("/api/v1/documents/{withheld}/history")).await;
    let conversion =
        history["items"].as_array().unwrap().iter().find(|h| h["action"] == "document.convert_to_proactive").unwrap();
    assert_eq!(conversion["details"]["from"], "not_public");
    assert_eq!(conversion["details"]["to"], "proactive");
    assert_eq!(conversion["details"]["reason"], reason);
    assert_eq!(conversion["details"]["self_inspection_id"], json!(id));
    let officer_id = c.app.get_ok(&c.officer, "/api/v1/me").await["id"].clone();
    assert_eq!(conversion["actor_id"], officer_id);
    assert!(conversion["changed_fields"].as_array().unwrap().contains(&json!("disclosure")));

    // Its clock is a real one: once past, the converted (still filed) document is on the overdue list.
    c.app
        .execute_batch(&format!("UPDATE documents SET publish_due_on = DATE '2026-01-05' WHERE id = '{withheld}'"))
        .await;
    let overdue = c.app.get_ok(&c.officer, "/api/v1/documents?overdue=true").await;
    let listed: Vec<&Value> = overdue["items"].as_array().unwrap().iter().map(|d| &d["id"]).collect();
    assert_eq!(listed, vec![&json!(withheld)], "{overdue}");
    c.app
        .execute_batch(&format!(
            "UPDATE documents SET publish_due_on = {} WHERE id = '{withheld}'",
            deadline["due_on"].as_str().map(|d| format!("DATE '{d}'")).unwrap()
        ))
        .await;

    // Publication needs a new secrecy review of the converted document, then goes out.
    let refused = expect_problem(
        post(&c, &c.officer, &format!("/api/v1/documents/{withheld}/publish"), json!({})).await,
        422,
        "rules_failed",
    )
    .await;
    assert_eq!(refused["rules"], json!(["secrecy_review_missing"]));
    json_of(
        post(&c, &c.officer, &format!("/api/v1/documents/{withheld}/secrecy-review"), json!({"passed": true})).await,
        200,
    )
    .await;
    let published =
        json_of(post(&c, &c.officer, &format!("/api/v1/documents/{withheld}/publish"), json!({})).await, 200).await;
    assert_eq!(published["status"], "published");
    let public = c.app.http.get(c.app.url(&format!("/api/v1/public/documents/{withheld}"))).send().await.unwrap();
    assert_eq!(public.status(), 200);

    // The rest decided, the report goes to the government office and is final.
    json_of(decide(on_request_item.clone(), "keep", "涉及特定低保对象的个人信息，维持依申请公开").await, 200).await;
    json_of(decide(requested_item, "convert", "拟在门户网站按季度主动公开低保资金发放汇总情况").await, 200).await;
    let on_request_doc = c.app.get_ok(&c.officer, &format!("/api/v1/documents/{on_request}")).await;
    assert_eq!(on_request_doc["disclosure"], "on_request", "keeping changes nothing");
    let submitted = json_of(
        post(
            &c,
            &c.officer,
            &format!("/api/v1/self-inspections/{id}/submit"),
            json!({"summary": "共自查文件2件，转为主动公开1件"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(submitted["status"], "submitted");
    assert_eq!(submitted["undecided"], 0);
    expect_problem(
        post(&c, &c.officer, &format!("/api/v1/self-inspections/{id}/submit"), json!({"summary": "再次"})).await,
        409,
        "self_inspection_submitted",
    )
    .await;
    let for_office = c.app.get_ok(&c.gov_office, "/api/v1/self-inspections?status=submitted").await;
    assert_eq!(for_office["items"].as_array().unwrap().len(), 1);
    assert_eq!(for_office["items"][0]["id"], json!(id));
    let stranger = c.app.get_ok(&c.stranger, "/api/v1/self-inspections").await;
    assert_eq!(stranger["items"], json!([]));
}

#[actix_web::test]
async fn a_document_changed_since_the_listing_cannot_be_converted() {
    let c = County::new().await;
    c.app.create_user(&c.admin, "mz.principal", Some(c.civil_affairs), &["principal"]).await;
    let principal = c.app.token_of("mz.principal").await;
    let withheld = filed_document(&c, &principal, "not_public", 7).await;
    let year = today().format("%Y").to_string().parse::<i32>().unwrap();
    let opened = json_of(post(&c, &c.officer, "/api/v1/self-inspections", json!({"year": year})).await, 201).await;
    let id = opened["id"].as_str().unwrap();
    let item = opened["items"][0]["id"].as_str().unwrap();
    // Repealed meanwhile: no longer a valid undisclosed document.
    let repealed = post(
        &c,
        &c.officer,
        &format!("/api/v1/documents/{withheld}/repeal"),
        json!({"validity": "repealed", "on": today(), "reason": "已被新文件替代"}),
    )
    .await;
    assert_eq!(repealed.status(), 200, "{:?}", repealed.text().await);
    let refused = post(
        &c,
        &c.officer,
        &format!("/api/v1/self-inspections/{id}/decide"),
        json!({"item_id": item, "decision": "convert", "reason": "可公开"}),
    )
    .await;
    expect_problem(refused, 409, "document_not_convertible").await;
    let document = c.app.get_ok(&c.officer, &format!("/api/v1/documents/{withheld}")).await;
    assert_eq!(document["disclosure"], "not_public", "nothing written");
    let unknown = post(
        &c,
        &c.officer,
        &format!("/api/v1/self-inspections/{id}/decide"),
        json!({"item_id": uuid::Uuid::now_v7(), "decision": "keep", "reason": "x"}),
    )
    .await;
    let problem = expect_problem(unknown, 422, "validation_failed").await;
    assert_eq!(problem["errors"]["item_id"][0]["code"], "not_found");
}
