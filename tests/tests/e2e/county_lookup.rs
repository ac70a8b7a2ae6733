//! `organization_county()` (issue 11: a PL/pgSQL walk up the parent links, prepared once per
//! connection) answers what the recursive query it replaced answered, for every shape of tree.

use e2e::TestApp;

/// The query `persistence::organizations::county_of` sent before the function replaced it.
const RECURSIVE: &str = "WITH RECURSIVE up(id, parent_id, kind, depth) AS ( \
     SELECT id, parent_id, kind, 0 FROM organizations WHERE id = o.id \
     UNION ALL SELECT p.id, p.parent_id, p.kind, up.depth + 1 FROM organizations p \
     JOIN up ON p.id = up.parent_id WHERE up.depth < 32) \
     SELECT id FROM up WHERE kind = 'county_government' ORDER BY depth LIMIT 1";

#[actix_web::test]
async fn the_county_function_answers_as_the_recursive_query_did_for_deep_chains_cycles_and_orphans() {
    let app = TestApp::spawn().await;
    // A county with a chain of 40 organizations below it: levels 1–32 reach it, 33–37 are past the
    // 32-level limit, 38 is a county of its own and 39–40 find it first. An orphan department, and
    // two departments in a cycle.
    app.execute_batch(
        "INSERT INTO organizations (id, name, kind, parent_id) VALUES \
             ('00000000-0000-0000-0000-000000000001', '甲县人民政府', 'county_government', NULL), \
             ('00000000-0000-0000-0000-0000000000a1', '孤立部门', 'department', NULL), \
             ('00000000-0000-0000-0000-0000000000c1', '环甲', 'department', NULL), \
             ('00000000-0000-0000-0000-0000000000c2', '环乙', 'department', '00000000-0000-0000-0000-0000000000c1'); \
         UPDATE organizations SET parent_id = '00000000-0000-0000-0000-0000000000c2' \
             WHERE id = '00000000-0000-0000-0000-0000000000c1'; \
         DO $$ DECLARE parent uuid := '00000000-0000-0000-0000-000000000001'; child uuid; BEGIN \
             FOR level IN 1..40 LOOP \
                 child := gen_random_uuid(); \
                 INSERT INTO organizations (id, name, kind, parent_id) VALUES \
                     (child, '第' || level || '级', CASE WHEN level = 38 THEN 'county_government' ELSE 'department' END, parent); \
                 parent := child; \
             END LOOP; END $$;",
    )
    .await;
    let organizations = app.scalar("SELECT count(*) AS n FROM organizations").await;
    assert_eq!(organizations, 44);
    let differing = app
        .scalar(&format!(
            "SELECT count(*) AS n FROM organizations o WHERE organization_county(o.id) IS DISTINCT FROM ({RECURSIVE})"
        ))
        .await;
    assert_eq!(differing, 0);
    // The shapes the comparison must have covered: a county found, none found past 32 levels,
    // none for the orphan and the cycle, and none for an unknown id.
    let found = app.scalar("SELECT count(*) AS n FROM organizations WHERE organization_county(id) IS NOT NULL").await;
    let beyond = app
        .scalar(&format!("SELECT count(*) AS n FROM organizations o WHERE o.name LIKE '第%' AND ({RECURSIVE}) IS NULL"))
        .await;
    assert_eq!((found, beyond), (1 + 32 + 3, 5), "found (the county, levels 1–32, 38–40), beyond the limit");
    let unknown = app
        .scalar("SELECT count(*) AS n FROM (SELECT organization_county(gen_random_uuid()) AS c) x WHERE c IS NULL")
        .await;
    assert_eq!(unknown, 1);
}

/// The claims of a compact JWS, unchecked.
fn claims_of(token: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("base64url claims");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// The ids of the documents `token` lists.
async fn listed(app: &TestApp, token: &str) -> Vec<String> {
    let page = app.get_ok(token, "/api/v1/documents?limit=100").await;
    page["items"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect()
}

/// Issue 11: a staff token states the county of the user's organization (`cty`), so that the
/// document routes need not look it up on every request. The signed claim decides, as the
/// token's organization and roles do; a token without it (issued before the claim existed) is
/// served as before, the county looked up.
#[actix_web::test]
async fn staff_tokens_state_their_county_and_tokens_without_it_look_it_up() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let county = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
    let office = app.create_organization(&admin, "元谋县人民政府办公室", "government_office", Some(county)).await;
    let bureau = app.create_organization(&admin, "元谋县民政局", "department", Some(county)).await;
    let other_county = app.create_organization(&admin, "武定县人民政府", "county_government", None).await;
    let other_bureau = app.create_organization(&admin, "武定县民政局", "department", Some(other_county)).await;
    app.create_user(&admin, "ym.office", Some(office), &["gov_office"]).await;
    app.create_user(&admin, "ym.drafter", Some(bureau), &["drafter"]).await;
    app.create_user(&admin, "wd.drafter", Some(other_bureau), &["drafter"]).await;
    let gov_office = app.token_of("ym.office").await;

    assert_eq!(claims_of(&gov_office)["cty"], county.to_string(), "the county of the user's organization");
    assert_eq!(claims_of(&app.token_of("wd.drafter").await)["cty"], other_county.to_string());
    assert!(claims_of(&admin).get("cty").is_none(), "no organization, no county");
    let tokens = app.tokens("ym.office", &TestApp::password_of("ym.office")).await;
    let refresh = serde_json::json!({"refresh_token": tokens["refresh_token"]});
    let refreshed = app.http.post(app.url("/api/v1/auth/refresh")).json(&refresh).send().await.unwrap();
    assert_eq!(refreshed.status(), 200);
    let refreshed: serde_json::Value = refreshed.json().await.unwrap();
    assert_eq!(
        claims_of(refreshed["access_token"].as_str().unwrap())["cty"],
        county.to_string(),
        "refresh states it too"
    );

    // One draft in each county; the government office sees its own county's.
    let mut ids = Vec::new();
    for (drafter, org, number) in
        [("ym.drafter", bureau, "元民发〔2026〕1号"), ("wd.drafter", other_bureau, "武民发〔2026〕1号")]
    {
        let token = app.token_of(drafter).await;
        let body = serde_json::json!({
            "doc_number": number, "title": "关于做好城乡居民最低生活保障工作的通知", "body": "各乡（镇）：现就有关事项通知如下。",
            "issuing_org_id": org, "issuing_authority": "department", "category": "service",
        });
        let created = app.http.post(app.url("/api/v1/documents")).bearer_auth(&token).json(&body).send().await.unwrap();
        assert_eq!(created.status(), 201, "{:?}", created.text().await);
        ids.push(created.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(listed(&app, &gov_office).await, vec![ids[0].clone()]);

    let keys = app.token_keys();
    let resign = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut claims = claims_of(&gov_office);
        change(&mut claims);
        keys.sign(&serde_json::from_value(claims).expect("claims")).expect("signed")
    };
    let without_county = resign(&|c| {
        c.as_object_mut().unwrap().remove("cty");
    });
    assert_eq!(listed(&app, &without_county).await, vec![ids[0].clone()], "looked up when the token has none");
    let claiming_the_other = resign(&|c| c["cty"] = serde_json::json!(other_county));
    assert_eq!(listed(&app, &claiming_the_other).await, vec![ids[1].clone()], "the signed claim decides");
}
