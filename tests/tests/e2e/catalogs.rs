//! Proactive-disclosure catalogs end to end: a sheet made here in XLSX (and CSV), refused whole for
//! one bad row with the row named, fixed, imported, published as a version, read publicly in every
//! format; earlier versions kept as published.

use e2e::{expect_problem, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

const HEADER: [&str; 13] = [
    "序号",
    "所属领域",
    "一级事项",
    "二级事项",
    "公开内容（要素）",
    "公开依据",
    "公开时限",
    "公开主体",
    "公开渠道和载体",
    "公开对象",
    "公开方式",
    "公开层级",
    "五公开类别",
];

fn row(n: usize, area: &str, item: &str) -> Vec<String> {
    [
        &n.to_string(),
        area,
        item,
        "申请审核",
        "申请条件、办理流程、保障标准、审核结果",
        "【行政法规】《社会救助暂行办法》第九条",
        "自信息形成或者变更之日起20个工作日内",
        "元谋县民政局",
        "■政府网站、■公开查阅点、□政府公报",
        "全社会",
        "主动",
        "县级",
        "服务",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

fn xlsx(rows: &[Vec<String>]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (c, header) in HEADER.iter().enumerate() {
        sheet.write_string(0, c as u16, *header).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            // 序号 as a number, as Excel users type it.
            if c == 0 {
                sheet.write_number(r as u32 + 1, 0, cell.parse::<f64>().unwrap()).unwrap();
            } else {
                sheet.write_string(r as u32 + 1, c as u16, cell).unwrap();
            }
        }
    }
    workbook.save_to_buffer().unwrap()
}

struct Setting {
    app: TestApp,
    officer: String,
    drafter: String,
    gov_office: String,
    stranger: String,
    civil_affairs: Uuid,
}

async fn setting() -> Setting {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let county = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
    let office = app.create_organization(&admin, "元谋县人民政府办公室", "government_office", Some(county)).await;
    let civil_affairs = app.create_organization(&admin, "元谋县民政局", "department", Some(county)).await;
    let other_county = app.create_organization(&admin, "武定县人民政府", "county_government", None).await;
    let other = app.create_organization(&admin, "武定县民政局", "department", Some(other_county)).await;
    app.create_user(&admin, "mz.officer", Some(civil_affairs), &["openness_officer"]).await;
    app.create_user(&admin, "mz.drafter", Some(civil_affairs), &["drafter"]).await;
    app.create_user(&admin, "zfb.office", Some(office), &["gov_office"]).await;
    app.create_user(&admin, "wd.officer", Some(other), &["openness_officer", "gov_office"]).await;
    Setting {
        officer: app.token_of("mz.officer").await,
        drafter: app.token_of("mz.drafter").await,
        gov_office: app.token_of("zfb.office").await,
        stranger: app.token_of("wd.officer").await,
        civil_affairs,
        app,
    }
}

impl Setting {
    async fn upload(
        &self,
        token: &str,
        id: &str,
        content_type: &str,
        body: Vec<u8>,
        etag: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .app
            .http
            .post(self.app.url(&format!("/api/v1/catalogs/{id}/import")))
            .bearer_auth(token)
            .header("Content-Type", content_type)
            .body(body);
        if let Some(etag) = etag {
            request = request.header("If-Match", etag);
        }
        request.send().await.unwrap()
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> reqwest::Response {
        self.app.http.post(self.app.url(path)).bearer_auth(token).json(&body).send().await.unwrap()
    }

    async fn get_public(&self, path: &str) -> reqwest::Response {
        self.app.http.get(self.app.url(path)).send().await.unwrap()
    }
}

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(actual, status, "{body}");
    body
}

#[actix_web::test]
async fn a_catalog_sheet_with_one_bad_row_imports_nothing_then_is_fixed_imported_published_and_read_publicly() {
    let s = setting().await;
    let catalog =
        json_of(s.post(&s.officer, "/api/v1/catalogs", json!({"title": "元谋县民政局主动公开基本目录"})).await, 201)
            .await;
    let id = catalog["id"].as_str().unwrap();
    assert_eq!(catalog["organization_id"], json!(s.civil_affairs));
    assert_eq!(catalog["item_count"], 0);
    expect_problem(s.post(&s.officer, "/api/v1/catalogs", json!({"title": "第二个"})).await, 409, "catalog_exists")
        .await;

    // Row 3 of the data (sheet line 4) names an area that is neither standard nor local.
    let bad = vec![
        row(1, "社会救助", "最低生活保障"),
        row(2, "养老服务", "高龄津贴"),
        row(3, "低保救助", "临时救助"),
        row(4, "扶贫", "产业扶持"),
    ];
    let refused = s.upload(&s.drafter, id, XLSX, xlsx(&bad), None).await;
    let problem = expect_problem(refused, 422, "catalog_rows_invalid").await;
    let rows = problem["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{problem}");
    assert_eq!(rows[0]["line"], 4);
    assert_eq!(rows[0]["column"], "所属领域");
    assert_eq!(rows[0]["code"], "unknown_area");
    assert_eq!(rows[0]["value"], "低保救助");
    let items = s.app.get_ok(&s.officer, &format!("/api/v1/catalogs/{id}/items")).await;
    assert_eq!(items["items"], json!([]), "nothing imported");
    assert_eq!(s.app.scalar("SELECT count(*) AS n FROM catalog_items").await, 0);

    // Fixed: imported whole.
    let mut fixed = bad.clone();
    fixed[2][1] = "社会救助".into();
    let imported = json_of(s.upload(&s.drafter, id, XLSX, xlsx(&fixed), Some("\"1\"")).await, 200).await;
    assert_eq!(imported["item_count"], 4);
    assert_eq!(imported["has_unpublished_changes"], true);
    assert!(imported["latest_version"].is_null());
    let draft = s.app.get_ok(&s.officer, &format!("/api/v1/catalogs/{id}/items")).await;
    assert_eq!(draft["items"][2]["area"], "社会救助");
    assert_eq!(draft["items"][2]["item_level1"], "临时救助");
    assert_eq!(draft["items"][0]["channels"], json!(["government_website", "reading_venue"]), "□ boxes are not chosen");
    assert_eq!(draft["items"][0]["openness_category"], "service");
    assert_eq!(draft["items"][0]["level"], "county");

    // Not public before publication; the drafter cannot publish.
    expect_problem(s.get_public(&format!("/api/v1/public/catalogs/{id}")).await, 404, "not_found").await;
    expect_problem(s.post(&s.drafter, &format!("/api/v1/catalogs/{id}/publish"), json!({})).await, 403, "forbidden")
        .await;
    let published = json_of(s.post(&s.officer, &format!("/api/v1/catalogs/{id}/publish"), json!({})).await, 200).await;
    assert_eq!(published["latest_version"], 1);
    assert_eq!(published["has_unpublished_changes"], false);
    expect_problem(
        s.post(&s.officer, &format!("/api/v1/catalogs/{id}/publish"), json!({})).await,
        409,
        "catalog_unchanged",
    )
    .await;

    let public = json_of(s.get_public(&format!("/api/v1/public/catalogs/{id}")).await, 200).await;
    assert_eq!(public["version"], 1);
    assert_eq!(public["organization_name"], "元谋县民政局");
    let public_items: Vec<&str> =
        public["items"].as_array().unwrap().iter().map(|i| i["item_level1"].as_str().unwrap()).collect();
    assert_eq!(public_items, vec!["最低生活保障", "高龄津贴", "临时救助", "产业扶持"]);
    let listed = json_of(s.get_public("/api/v1/public/catalogs").await, 200).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["items"][0]["item_count"], 4);

    // The public XLSX reads back with the same Chinese headers and cells.
    let download = s.get_public(&format!("/api/v1/public/catalogs/{id}?format=xlsx")).await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], XLSX);
    let bytes = download.bytes().await.unwrap().to_vec();
    use calamine::Reader;
    let mut workbook: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(bytes.clone())).unwrap();
    let range = workbook.worksheet_range_at(0).unwrap().unwrap();
    let sheet: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert_eq!(sheet[0], HEADER.map(str::to_owned).to_vec());
    assert_eq!(sheet.len(), 5);
    assert_eq!(sheet[3][1], "社会救助");
    assert_eq!(sheet[1][8], "政府网站、公开查阅点");
    assert_eq!(sheet[1][12], "服务公开");

    // A second version from CSV; the first stays as published.
    let mut csv = String::from("\u{feff}");
    csv.push_str(&HEADER.join(","));
    csv.push('\n');
    for r in [row(1, "社会救助", "最低生活保障"), row(2, "就业", "就业援助")] {
        csv.push_str(&r.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(","));
        csv.push('\n');
    }
    let stale = s.upload(&s.officer, id, "text/csv; charset=utf-8", csv.clone().into_bytes(), Some("\"1\"")).await;
    expect_problem(stale, 412, "stale_version").await;
    json_of(s.upload(&s.officer, id, "text/csv; charset=utf-8", csv.into_bytes(), None).await, 200).await;
    json_of(s.post(&s.officer, &format!("/api/v1/catalogs/{id}/publish"), json!({})).await, 200).await;
    let latest = json_of(s.get_public(&format!("/api/v1/public/catalogs/{id}")).await, 200).await;
    assert_eq!(latest["version"], 2);
    assert_eq!(latest["items"].as_array().unwrap().len(), 2);
    let first = json_of(s.get_public(&format!("/api/v1/public/catalogs/{id}?version=1")).await, 200).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 4, "old versions are kept as published");
    expect_problem(s.get_public(&format!("/api/v1/public/catalogs/{id}?version=3")).await, 404, "not_found").await;
    // Each published version is one change in the feed, pointing at the public catalog.
    let admin = s.app.admin_token().await;
    let url = format!("/api/v1/public/catalogs/{id}");
    let published = ("catalog".to_owned(), "published".to_owned(), url);
    assert_eq!(s.app.changes_about(&admin, id).await, [published.clone(), published]);
    let versions = s.app.get_ok(&s.officer, &format!("/api/v1/catalogs/{id}/versions")).await;
    assert_eq!(
        versions.as_array().unwrap().iter().map(|v| v["number"].as_i64().unwrap()).collect::<Vec<_>>(),
        vec![2, 1]
    );
    let csv_download = s.get_public(&format!("/api/v1/public/catalogs/{id}?format=csv&version=1")).await;
    let text = csv_download.text().await.unwrap();
    assert!(text.starts_with("\u{feff}序号,所属领域"), "{text}");
    assert_eq!(text.lines().count(), 5);

    // Outsiders: another county's officer does not see the catalog; the government office of the county does.
    expect_problem(
        s.app.http.get(s.app.url(&format!("/api/v1/catalogs/{id}"))).bearer_auth(&s.stranger).send().await.unwrap(),
        404,
        "not_found",
    )
    .await;
    let foreign = s.upload(&s.stranger, id, XLSX, xlsx(&fixed), None).await;
    expect_problem(foreign, 404, "not_found").await;
    assert_eq!(s.app.get_ok(&s.gov_office, &format!("/api/v1/catalogs/{id}")).await["latest_version"], 2);
    let audit = s
        .app
        .scalar("SELECT count(*) AS n FROM audit_log WHERE entity_type = 'catalog' AND action = 'catalog.publish'")
        .await;
    assert_eq!(audit, 2);
}

#[actix_web::test]
async fn every_bad_cell_is_named_and_a_local_area_can_be_added_by_the_government_office() {
    let s = setting().await;
    let catalog = json_of(s.post(&s.officer, "/api/v1/catalogs", json!({"title": "目录"})).await, 201).await;
    let id = catalog["id"].as_str().unwrap();
    let mut second = row(2, "宅基地审批", "宅基地申请");
    second[10] = "随缘".into();
    second[2] = "".into();
    let sheet = vec![row(1, "社会救助", "低保"), second, row(3, "社会救助", "特困供养")];
    let problem =
        expect_problem(s.upload(&s.officer, id, XLSX, xlsx(&sheet), None).await, 422, "catalog_rows_invalid").await;
    let cells: Vec<(i64, &str, &str)> = problem["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_i64().unwrap(), r["column"].as_str().unwrap(), r["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        cells,
        vec![(3, "所属领域", "unknown_area"), (3, "一级事项", "required"), (3, "公开方式", "unknown_value")]
    );

    // The county adds 宅基地审批 as a local area (seed §1.3); the department cannot.
    let area = json!({"name": "宅基地审批"});
    expect_problem(s.post(&s.officer, "/api/v1/catalog-areas", area.clone()).await, 403, "forbidden").await;
    let added = json_of(s.post(&s.gov_office, "/api/v1/catalog-areas", area.clone()).await, 201).await;
    assert_eq!(added["standard"], false);
    let again =
        expect_problem(s.post(&s.gov_office, "/api/v1/catalog-areas", area).await, 422, "validation_failed").await;
    assert_eq!(again["errors"]["name"][0]["code"], "area_exists");
    let areas = s.app.get_ok(&s.officer, "/api/v1/catalog-areas").await;
    assert_eq!(areas.as_array().unwrap().len(), 27, "26 standard areas and the county's own");
    assert_eq!(areas[0]["name"], "重大建设项目");
    let elsewhere = s.app.get_ok(&s.stranger, "/api/v1/catalog-areas").await;
    assert_eq!(elsewhere.as_array().unwrap().len(), 26, "local areas stay in their county");

    let mut fixed = sheet.clone();
    fixed[1][10] = "依申请公开".into();
    fixed[1][2] = "宅基地申请".into();
    let imported = json_of(s.upload(&s.officer, id, XLSX, xlsx(&fixed), None).await, 200).await;
    assert_eq!(imported["item_count"], 3);

    // JSON replaces the draft too, with every bad item named; nothing changes on a refusal.
    let body = json!({"items": [{
        "area": "不存在", "item_level1": "", "content_elements": "要素", "basis": "依据", "time_limit": "及时",
        "owner": "民政局", "channels": [], "audience": "whole_society", "mode": "proactive", "openness_category": "result"
    }]});
    let refused = s
        .app
        .http
        .put(s.app.url(&format!("/api/v1/catalogs/{id}/items")))
        .bearer_auth(&s.officer)
        .json(&body)
        .send()
        .await
        .unwrap();
    let problem = expect_problem(refused, 422, "validation_failed").await;
    assert_eq!(problem["errors"]["items[0].area"][0]["code"], "unknown_area");
    assert_eq!(problem["errors"]["items[0].item_level1"][0]["code"], "required");
    assert_eq!(problem["errors"]["items[0].channels"][0]["code"], "required");
    assert_eq!(s.app.get_ok(&s.officer, &format!("/api/v1/catalogs/{id}")).await["item_count"], 3);

    // Garbage is not a spreadsheet; other types are refused before reading.
    expect_problem(s.upload(&s.officer, id, XLSX, b"not a zip".to_vec(), None).await, 422, "sheet_unreadable").await;
    expect_problem(s.upload(&s.officer, id, "text/csv", vec![0xff, 0xfe, 0x00], None).await, 422, "sheet_unreadable")
        .await;
    expect_problem(
        s.upload(&s.officer, id, "application/pdf", b"%PDF".to_vec(), None).await,
        415,
        "unsupported_media_type",
    )
    .await;
    // A sheet spanning a million rows with two cells is refused cheaply, not read into memory.
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "序号").unwrap();
    sheet.write_string(1_048_575, 16_383, "x").unwrap();
    let sprawling = workbook.save_to_buffer().unwrap();
    expect_problem(s.upload(&s.officer, id, XLSX, sprawling, None).await, 422, "sheet_too_large").await;
    // A title row above the header and a blank line: the line reported is the one Excel shows.
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "元谋县民政局主动公开基本目录").unwrap();
    for (c, header) in HEADER.iter().enumerate() {
        sheet.write_string(1, c as u16, *header).unwrap();
    }
    let mut bad = row(2, "社会救助", "临时救助");
    bad[9] = "部分群众".into();
    for (r, cells) in [(2u32, row(1, "社会救助", "低保")), (4, bad)] {
        for (c, cell) in cells.iter().enumerate() {
            sheet.write_string(r, c as u16, cell).unwrap();
        }
    }
    let titled = workbook.save_to_buffer().unwrap();
    let problem = expect_problem(s.upload(&s.officer, id, XLSX, titled, None).await, 422, "catalog_rows_invalid").await;
    assert_eq!(problem["rows"][0]["line"], 5, "{problem}");
    assert_eq!(problem["rows"][0]["column"], "公开对象");
    assert_eq!(s.app.get_ok(&s.officer, &format!("/api/v1/catalogs/{id}")).await["item_count"], 3);
    // An empty draft cannot be published.
    let empty = s
        .app
        .http
        .put(s.app.url(&format!("/api/v1/catalogs/{id}/items")))
        .bearer_auth(&s.officer)
        .json(&json!({"items": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 200);
    expect_problem(
        s.post(&s.officer, &format!("/api/v1/catalogs/{id}/publish"), json!({})).await,
        409,
        "catalog_empty",
    )
    .await;
}
