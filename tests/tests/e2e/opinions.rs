//! Public-opinion response over HTTP (DOMAIN.md §6; seed §3): the responsible party and its rule,
//! the workflow with each handling class's public output, releases and referrals, and the
//! wall-clock deadlines on a manual clock — a breach recorded once, at the moment it happens, also
//! across a restart.

use chrono::{DateTime, Duration, Utc};
use e2e::{expect_problem, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// 09:00 in Yuanmou (UTC+8) on Friday 20 November 2026.
const NINE: &str = "2026-11-20T01:00:00Z";

struct Desk {
    app: TestApp,
    admin: String,
    officer: String,
    county: Uuid,
    water: Uuid,
    health: Uuid,
}

impl Desk {
    async fn open(app: TestApp) -> Desk {
        let admin = app.admin_token().await;
        let county = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
        let water = app.create_organization(&admin, "元谋县水务局", "department", Some(county)).await;
        let health = app.create_organization(&admin, "元谋县卫生健康局", "department", Some(county)).await;
        app.create_user(&admin, "yq.officer", Some(county), &["opinion_officer"]).await;
        Desk { officer: app.token_of("yq.officer").await, app, admin, county, water, health }
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> reqwest::Response {
        self.app.http.post(self.app.url(path)).bearer_auth(token).json(&body).send().await.unwrap()
    }

    async fn ok(&self, token: &str, path: &str, body: Value) -> Value {
        let response = self.post(token, path, body).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }

    async fn incident(&self, summary: &str, level: Option<&str>, extra: Value) -> Value {
        let mut body = json!({"source": "online_platform", "summary": summary, "detected_at": NINE,
            "event_level": level, "involved_organization_ids": [self.water]});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.ok(&self.officer, "/api/v1/opinion-incidents", body).await
    }

    async fn release(&self, incident: &Value, kind: &str) -> reqwest::Response {
        let path = format!("/api/v1/opinion-incidents/{}/releases", incident["id"].as_str().unwrap());
        let body = json!({"kind": kind, "channel": "县人民政府门户网站", "title": "情况通报", "content": "经核查……"});
        self.post(&self.officer, &path, body).await
    }

    /// (kind, incident, occurred at, charged organization) of every opinion breach.
    async fn charged(&self) -> Vec<(String, String, String, String)> {
        let mut conn = persistence::connection(&self.app.pool).await.unwrap();
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            kind: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            entity: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            occurred: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            charged: String,
        }
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT kind, entity_id::text AS entity, to_char(occurred_at AT TIME ZONE 'UTC', \
             'YYYY-MM-DD\"T\"HH24:MI:SS') AS occurred, organization_id::text AS charged FROM breaches \
             WHERE entity_type = 'opinion_incident' \
             ORDER BY occurred_at, kind",
        )
        .load(&mut conn)
        .await
        .unwrap();
        rows.into_iter().map(|r| (r.kind, r.entity, r.occurred, r.charged)).collect()
    }

    async fn breaches(&self) -> Vec<(String, String, String)> {
        self.charged().await.into_iter().map(|(kind, entity, occurred, _)| (kind, entity, occurred)).collect()
    }
}

/// Lets the sweeper (polling every 20 ms) see the clock just set.
async fn settle() {
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
}

#[actix_web::test]
async fn a_release_at_13_59_is_in_time_one_at_14_01_is_one_breach_even_across_a_restart() {
    let clock = api::clock::Clock::manual(at(NINE));
    let mut desk = Desk::open(TestApp::spawn_with_clock(clock.clone()).await).await;
    let on_time = desk.incident("某镇山体滑坡致道路中断（在时限内发布）", Some("major"), json!({})).await;
    let late = desk.incident("某镇山体滑坡伤亡情况（迟发）", Some("major"), json!({})).await;
    let kinds: Vec<&str> = on_time["clocks"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["opinion_release_late", "opinion_press_conference_late"]);
    assert_eq!(on_time["clocks"][0]["due_at"], "2026-11-20T06:00:00Z", "five wall-clock hours: 14:00");

    // The service restarts at 13:00; the clocks live in the database.
    clock.set(at("2026-11-20T05:00:00Z"));
    desk.app.restart(clock.clone()).await;
    let clocks = desk.app.get_ok(&desk.officer, "/api/v1/opinion-clocks").await;
    let release_clock = &clocks["items"][0];
    assert_eq!(
        (release_clock["state"].as_str(), release_clock["seconds_left"].as_i64()),
        (Some("running"), Some(3600))
    );
    assert_eq!(clocks["items"].as_array().unwrap().len(), 4);

    clock.set(at("2026-11-20T05:59:00Z"));
    assert_eq!(desk.release(&on_time, "authoritative_information").await.status(), 201);
    clock.set(at("2026-11-20T06:00:00Z"));
    settle().await;
    assert_eq!(desk.breaches().await, [], "14:00 itself is still in time");
    clock.set(at("2026-11-20T06:00:30Z"));
    settle().await;
    let late_id = late["id"].as_str().unwrap().to_owned();
    let expected = [("opinion_release_late".to_owned(), late_id.clone(), "2026-11-20T06:00:00".to_owned())];
    assert_eq!(desk.breaches().await, expected, "recorded the moment it ran out, nobody looking");
    clock.set(at("2026-11-20T06:01:00Z"));
    assert_eq!(desk.release(&late, "authoritative_information").await.status(), 201);

    // Press conferences the next morning at 08:59, inside 24 hours.
    clock.set(at("2026-11-21T00:59:00Z"));
    for incident in [&on_time, &late] {
        assert_eq!(desk.release(incident, "press_conference").await.status(), 201);
    }
    clock.set(at("2026-11-21T03:00:00Z"));
    settle().await;
    assert_eq!(desk.breaches().await, expected, "exactly one breach in all");
    assert_eq!(desk.charged().await[0].3, desk.water.to_string(), "charged to the responding department");
    let viewed = desk.app.get_ok(&desk.officer, &format!("/api/v1/opinion-incidents/{late_id}")).await;
    let states: Vec<&str> = viewed["clocks"].as_array().unwrap().iter().map(|c| c["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["breached", "met"]);
    assert_eq!(desk.app.get_ok(&desk.officer, "/api/v1/opinion-clocks").await["items"], json!([]), "none running");
    // Every release is public at once, and one change in the feed.
    let feed = desk.app.get_ok(&desk.admin, "/api/v1/sync/changes").await;
    let releases: Vec<&Value> =
        feed["items"].as_array().unwrap().iter().filter(|c| c["entity_type"] == "opinion_release").collect();
    assert_eq!(releases.len(), 4);
    assert!(releases.iter().all(|c| c["event"] == "published" && c["url"] == "/api/v1/public/opinion-releases"));
}

#[actix_web::test]
async fn a_clock_that_ran_out_while_the_service_was_down_is_recorded_at_its_due_instant() {
    let clock = api::clock::Clock::manual(at(NINE));
    let mut desk = Desk::open(TestApp::spawn_with_clock(clock.clone()).await).await;
    let quiet = desk.incident("网传县城某小区供水异常", None, json!({"source": "hotline"})).await;
    assert_eq!(quiet["clocks"][0]["kind"], "opinion_response_late");
    assert_eq!(quiet["clocks"][0]["due_at"], "2026-11-22T01:00:00Z", "48 hours, the weekend included");
    // Down from 13:00 on Friday until Monday morning: the old process never saw the due instant.
    clock.set(at("2026-11-20T05:00:00Z"));
    settle().await;
    assert_eq!(desk.breaches().await, []);
    desk.app.restart(api::clock::Clock::manual(at("2026-11-23T00:30:00Z"))).await;
    settle().await;
    let breaches = desk.breaches().await;
    let id = quiet["id"].as_str().unwrap().to_owned();
    assert_eq!(breaches, [("opinion_response_late".to_owned(), id.clone(), "2026-11-22T01:00:00".to_owned())]);

    // A release logged now but dated before the due instant does not undo the breach.
    let backdated = json!({"kind": "response", "channel": "县政府门户网站", "title": "情况说明",
        "content": "供水已恢复正常", "released_at": "2026-11-21T02:00:00Z"});
    let response = desk.post(&desk.officer, &format!("/api/v1/opinion-incidents/{id}/releases"), backdated).await;
    assert_eq!(response.status(), 201);
    let viewed = desk.app.get_ok(&desk.officer, &format!("/api/v1/opinion-incidents/{id}")).await;
    assert_eq!(viewed["clocks"][0]["state"], "breached");
    assert_eq!(desk.app.get_ok(&desk.officer, "/api/v1/opinion-clocks").await["items"], json!([]), "answered");
    assert_eq!(desk.breaches().await.len(), 1);
}

#[actix_web::test]
async fn a_correction_cannot_take_away_a_running_clock_and_a_deleted_responder_does_not_stop_the_sweep() {
    let clock = api::clock::Clock::manual(at(NINE));
    let desk = Desk::open(TestApp::spawn_with_clock(clock.clone()).await).await;
    let hamlet = desk.app.create_organization(&desk.admin, "某临时机构", "department", Some(desk.county)).await;
    let grave = desk.incident("某镇山洪灾害", Some("major"), json!({"involved_organization_ids": [hamlet]})).await;
    let id = grave["id"].as_str().unwrap().to_owned();
    clock.set(at("2026-11-20T04:00:00Z"));
    let downgraded = json!({"source": "online_platform", "summary": "某镇山洪灾害（经核实影响较小）",
        "detected_at": "2026-11-20T03:00:00Z", "event_level": "general", "involved_organization_ids": [hamlet]});
    let response = desk
        .app
        .http
        .put(desk.app.url(&format!("/api/v1/opinion-incidents/{id}")))
        .bearer_auth(&desk.officer)
        .json(&downgraded)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let corrected: Value = response.json().await.unwrap();
    let clocks: Vec<(&str, &str)> = corrected["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["kind"].as_str().unwrap(), c["due_at"].as_str().unwrap()))
        .collect();
    assert_eq!(
        clocks,
        [
            ("opinion_release_late", "2026-11-20T06:00:00Z"),
            ("opinion_press_conference_late", "2026-11-21T01:00:00Z"),
            ("opinion_response_late", "2026-11-22T03:00:00Z")
        ],
        "the five- and 24-hour clocks stay where they were"
    );
    let audited = "SELECT count(*) AS n FROM audit_log WHERE action = 'opinion.update' \
        AND changed_fields @> ARRAY['event_level', 'detected_at', 'summary']";
    assert_eq!(desk.app.scalar(audited).await, 1, "the correction names what it changed");

    // The responding organization goes away; the sweep still records the breach (on the collector).
    let deleted = desk
        .app
        .http
        .delete(desk.app.url(&format!("/api/v1/organizations/{hamlet}")))
        .bearer_auth(&desk.admin)
        .send()
        .await
        .unwrap();
    assert!(deleted.status().is_success(), "{}", deleted.status());
    clock.set(at("2026-11-20T06:00:01Z"));
    settle().await;
    let charged = desk.charged().await;
    assert_eq!(charged.len(), 1);
    assert_eq!((charged[0].0.as_str(), charged[0].3.clone()), ("opinion_release_late", desk.county.to_string()));
}

#[actix_web::test]
async fn the_responsible_party_is_named_with_the_rule_that_decided() {
    let desk = Desk::open(TestApp::spawn().await).await;
    let policy = desk
        .incident(
            "对县政府新出台的农村饮水安全政策存在误读",
            None,
            json!({"county_policy": true, "policy_department_id": desk.water, "involved_organization_ids": [desk.health]}),
        )
        .await;
    let r = &policy["responsibility"];
    assert_eq!((r["rule"].as_str(), r["responder_ids"].clone()), (Some("county_policy"), json!([desk.water])));
    assert!(r["explanation"].as_str().unwrap().contains("县级有关部门是回应主体"));
    let unnamed = desk
        .post(
            &desk.officer,
            "/api/v1/opinion-incidents",
            json!({"source": "media", "summary": "政策误读", "detected_at": NINE, "county_policy": true}),
        )
        .await;
    assert_eq!(expect_problem(unnamed, 422, "rules_failed").await["rules"], json!(["policy_department_missing"]));

    let regions = desk.incident("两镇交界处河道污染", None, json!({"regions": ["元马镇", "黄瓜园镇"]})).await;
    let r = &regions["responsibility"];
    assert_eq!((r["rule"].as_str(), r["escalated"].as_bool()), (Some("several_regions"), Some(true)));
    let escalations = "SELECT count(*) AS n FROM audit_log WHERE action = 'opinion.escalate'";
    assert_eq!(desk.app.scalar(escalations).await, 1, "recorded as an escalation");

    let several =
        desk.incident("医院周边排水问题", None, json!({"involved_organization_ids": [desk.water, desk.health]})).await;
    assert_eq!(several["responsibility"]["rule"], "several_departments");
    assert_eq!(several["responsibility"]["lead_organization_id"], Value::Null);
    let id = several["id"].as_str().unwrap();
    let lead = format!("/api/v1/opinion-incidents/{id}/name-lead");
    expect_problem(
        desk.post(&desk.officer, &lead, json!({"lead_organization_id": desk.water})).await,
        403,
        "forbidden",
    )
    .await;
    desk.app.create_user(&desk.admin, "xf.office", Some(desk.county), &["gov_office"]).await;
    let office = desk.app.token_of("xf.office").await;
    let outside = desk.post(&office, &lead, json!({"lead_organization_id": desk.county})).await;
    assert_eq!(expect_problem(outside, 422, "rules_failed").await["rules"], json!(["lead_not_involved"]));
    let named = desk.ok(&office, &lead, json!({"lead_organization_id": desk.water})).await;
    assert_eq!(named["responsibility"]["lead_organization_id"], json!(desk.water));
    let single = format!("/api/v1/opinion-incidents/{}/name-lead", policy["id"].as_str().unwrap());
    let not_applicable = desk.post(&office, &single, json!({"lead_organization_id": desk.water})).await;
    assert_eq!(expect_problem(not_applicable, 422, "rules_failed").await["rules"], json!(["lead_not_applicable"]));

    let nothing = desk
        .post(
            &desk.officer,
            "/api/v1/opinion-incidents",
            json!({"source": "media", "summary": "无涉事单位", "detected_at": NINE}),
        )
        .await;
    assert_eq!(expect_problem(nothing, 422, "rules_failed").await["rules"], json!(["no_organization_involved"]));
    let english: Value = desk
        .app
        .http
        .get(desk.app.url(&format!("/api/v1/opinion-incidents/{id}")))
        .bearer_auth(&desk.officer)
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(english["responsibility"]["explanation"].as_str().unwrap().starts_with("Several departments"));
    let ancient = json!({"source": "media", "summary": "日期录错", "detected_at": "0999-12-31T00:00:00Z",
        "involved_organization_ids": [desk.water]});
    let problem =
        expect_problem(desk.post(&desk.officer, "/api/v1/opinion-incidents", ancient).await, 422, "validation_failed")
            .await;
    assert_eq!(problem["errors"]["detected_at"][0]["code"], "date_too_early");
    assert_eq!(desk.app.scalar("SELECT count(*) AS n FROM opinion_incidents").await, 3, "refusals wrote nothing");
}

#[actix_web::test]
async fn false_information_is_answered_in_public_and_referred_before_it_counts_as_responded() {
    let desk = Desk::open(TestApp::spawn().await).await;
    let admin = &desk.admin;
    let other = desk.app.create_organization(admin, "武定县人民政府", "county_government", None).await;
    desk.app.create_user(admin, "wd.officer", Some(other), &["opinion_officer"]).await;
    let stranger = desk.app.token_of("wd.officer").await;
    let rumor = desk.incident("网传县城自来水被投毒", None, json!({"focus": "harmful_false_information"})).await;
    let id = rumor["id"].as_str().unwrap().to_owned();
    let path = |act: &str| format!("/api/v1/opinion-incidents/{id}/{act}");

    expect_problem(desk.post(&desk.officer, &path("respond"), json!({})).await, 409, "incident_state_conflict").await;
    expect_problem(
        desk.post(&stranger, &path("consult"), json!({"participants": "x", "minutes": "x"})).await,
        404,
        "not_found",
    )
    .await;
    let minutes = json!({"participants": "县委宣传部、县公安局、县水务局", "minutes": "经会商，该信息不实。"});
    desk.ok(&desk.officer, &path("consult"), minutes).await;
    let assessment = json!({"handling_class": "false_information", "notes": "水质检测全部合格，系谣言"});
    desk.ok(&desk.officer, &path("assess"), assessment).await;
    let refused = desk.post(&desk.officer, &path("respond"), json!({})).await;
    assert_eq!(
        expect_problem(refused, 422, "rules_failed").await["rules"],
        json!(["false_information_response_missing", "referral_missing"])
    );
    assert_eq!(desk.app.get_ok(&desk.officer, &format!("/api/v1/opinion-incidents/{id}")).await["status"], "assessed");

    let early = json!({"kind": "response", "channel": "元谋发布", "title": "辟谣", "content": "经检测水质合格",
        "released_at": "2026-11-20T00:59:00Z"});
    let problem =
        expect_problem(desk.post(&desk.officer, &path("releases"), early).await, 422, "validation_failed").await;
    assert!(problem["errors"]["released_at"].is_array());
    let future = json!({"kind": "response", "channel": "元谋发布", "title": "辟谣", "content": "经检测水质合格",
        "released_at": Utc::now() + Duration::hours(2)});
    expect_problem(desk.post(&desk.officer, &path("releases"), future).await, 422, "validation_failed").await;
    assert_eq!(desk.release(&rumor, "response").await.status(), 201);
    let refused = desk.post(&desk.officer, &path("respond"), json!({})).await;
    assert_eq!(expect_problem(refused, 422, "rules_failed").await["rules"], json!(["referral_missing"]));
    let referral =
        json!({"authority": "police", "reference": "元公（网）受字〔2026〕18号", "notes": "移交造谣账号线索"});
    desk.ok(&desk.officer, &path("referrals"), referral).await;
    assert_eq!(desk.ok(&desk.officer, &path("respond"), json!({})).await["status"], "responded");
    let evaluated = desk.ok(&desk.officer, &path("evaluate"), json!({"notes": "谣言传播得到遏制"})).await;
    assert_eq!(evaluated["status"], "evaluated");

    let public = desk.app.http.get(desk.app.url("/api/v1/public/opinion-releases")).send().await.unwrap();
    assert_eq!(public.status(), 200);
    let text = public.text().await.unwrap();
    let page: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["kind"], "response");
    assert!(!text.contains("元公（网）") && !text.contains("造谣账号"), "referrals stay internal");
    let hidden = desk.app.http.get(desk.app.url(&path("referrals"))).bearer_auth(&stranger).send().await.unwrap();
    expect_problem(hidden, 404, "not_found").await;
    let listed = desk.app.get_ok(&stranger, "/api/v1/opinion-incidents").await;
    assert_eq!(listed["items"], json!([]), "another county sees none");
}

#[actix_web::test]
async fn each_handling_class_waits_for_its_own_public_output() {
    let desk = Desk::open(TestApp::spawn().await).await;
    for (class, wrong, right, rule) in [
        ("constructive_suggestion", "follow_up", "adoption_published", "adoption_not_published"),
        ("real_difficulty", "correction", "solution_published", "solution_not_published"),
        ("major_problem", "follow_up", "investigation_published", "investigation_not_published"),
        ("public_unaware", "follow_up", "authoritative_information", "authoritative_information_missing"),
        ("wrong_view", "follow_up", "correction", "correction_missing"),
    ] {
        let incident = desk.incident(&format!("{class} 类舆情"), None, json!({})).await;
        let id = incident["id"].as_str().unwrap();
        let path = |act: &str| format!("/api/v1/opinion-incidents/{id}/{act}");
        desk.ok(&desk.officer, &path("consult"), json!({"participants": "县政府办", "minutes": "会商"})).await;
        desk.ok(&desk.officer, &path("assess"), json!({"handling_class": class, "notes": "研判"})).await;
        assert_eq!(desk.release(&incident, wrong).await.status(), 201);
        let refused = desk.post(&desk.officer, &path("respond"), json!({})).await;
        assert_eq!(expect_problem(refused, 422, "rules_failed").await["rules"], json!([rule]), "{class}");
        assert_eq!(desk.release(&incident, right).await.status(), 201);
        assert_eq!(desk.ok(&desk.officer, &path("respond"), json!({})).await["status"], "responded", "{class}");
    }
}

#[actix_web::test]
async fn townships_are_regions_and_organizations_come_from_the_collectors_county() {
    let desk = Desk::open(TestApp::spawn().await).await;
    let admin = &desk.admin;
    let yuanma = desk.app.create_organization(admin, "元马镇人民政府", "township", Some(desk.county)).await;
    let huangguayuan = desk.app.create_organization(admin, "黄瓜园镇人民政府", "township", Some(desk.county)).await;
    let other = desk.app.create_organization(admin, "武定县人民政府", "county_government", None).await;
    let foreign = desk.app.create_organization(admin, "武定县水务局", "department", Some(other)).await;

    let one = desk.incident("元马镇集镇积水", None, json!({"involved_organization_ids": [yuanma]})).await;
    assert_eq!(
        (one["responsibility"]["rule"].as_str(), one["responsibility"]["responder_ids"].clone()),
        (Some("single_organization"), json!([yuanma]))
    );
    let both = desk
        .incident(
            "两镇交界河道污染",
            None,
            json!({"involved_organization_ids": [yuanma, huangguayuan], "higher_authority_id": desk.water}),
        )
        .await;
    let r = &both["responsibility"];
    assert_eq!(
        (r["rule"].as_str(), r["escalated"].as_bool(), r["responder_ids"].clone()),
        (Some("several_regions"), Some(true), json!([desk.water])),
        "two townships are two regions; the county department above them responds"
    );

    for (field, body) in [
        ("involved_organization_ids", json!({"involved_organization_ids": [foreign]})),
        ("policy_department_id", json!({"county_policy": true, "policy_department_id": foreign})),
        ("higher_authority_id", json!({"regions": ["甲", "乙"], "higher_authority_id": foreign})),
    ] {
        let mut input = json!({"source": "media", "summary": "跨县", "detected_at": NINE});
        for (k, v) in body.as_object().unwrap() {
            input[k] = v.clone();
        }
        let refused = desk.post(&desk.officer, "/api/v1/opinion-incidents", input).await;
        let problem = expect_problem(refused, 422, "validation_failed").await;
        assert_eq!(problem["errors"][field][0]["code"], "not_found", "another county's organization: {problem}");
    }
    let township_policy = json!({"source": "media", "summary": "政策", "detected_at": NINE, "county_policy": true,
        "policy_department_id": yuanma});
    let refused = desk.post(&desk.officer, "/api/v1/opinion-incidents", township_policy).await;
    let problem = expect_problem(refused, 422, "validation_failed").await;
    assert_eq!(problem["errors"]["policy_department_id"][0]["code"], "not_a_department");
    assert_eq!(desk.app.scalar("SELECT count(*) AS n FROM opinion_incidents").await, 2);
}
