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
