use super::*;

fn strings(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| (*s).to_owned()).collect()
}

fn header() -> Vec<String> {
    Column::ALL.iter().map(|c| c.header().to_owned()).collect()
}

fn good_row(n: usize) -> Vec<String> {
    strings(&[
        &n.to_string(),
        "社会救助",
        "最低生活保障",
        "城乡低保对象认定",
        "申请条件、办理流程、保障标准",
        "【行政法规】《社会救助暂行办法》",
        "自信息形成或者变更之日起20个工作日内",
        "县民政局",
        "■政府网站、■公开查阅点、□政府公报",
        "全社会",
        "主动",
        "县级",
        "服务",
    ])
}

fn known(area: &str) -> bool {
    ["社会救助", "扶贫"].contains(&area)
}

#[test]
fn a_good_sheet_reads_every_row_with_checked_channels_only() {
    let drafts = read_sheet(&[header(), good_row(1), good_row(2)], known).unwrap();
    assert_eq!(drafts.len(), 2);
    let first = &drafts[0];
    assert_eq!(first.area, "社会救助");
    assert_eq!(first.channels, vec![DisclosureChannel::GovernmentWebsite, DisclosureChannel::ReadingVenue]);
    assert_eq!(first.audience, CatalogAudience::WholeSociety);
    assert_eq!(first.mode, CatalogMode::Proactive);
    assert_eq!(first.level, Some(CatalogLevel::County));
    assert_eq!(first.openness_category, DocumentCategory::Service);
}

#[test]
fn every_bad_cell_of_every_row_is_reported_with_its_line_and_nothing_is_read() {
    let mut bad = good_row(2);
    bad[1] = "不存在的领域".into();
    bad[10] = "随便".into();
    let mut worse = good_row(4);
    worse[2] = "  ".into();
    worse[8] = "飞鸽传书".into();
    let errors = read_sheet(&[header(), good_row(1), bad, good_row(3), worse], known).unwrap_err();
    let seen: Vec<(usize, &str, &str)> = errors.iter().map(|e| (e.line, e.column, e.code)).collect();
    assert_eq!(
        seen,
        vec![
            (3, "所属领域", "unknown_area"),
            (3, "公开方式", "unknown_value"),
            (5, "一级事项", "required"),
            (5, "公开渠道和载体", "unknown_channel"),
        ]
    );
    assert_eq!(errors[0].value.as_deref(), Some("不存在的领域"));
    assert_eq!(errors[3].value.as_deref(), Some("飞鸽传书"));
}

#[test]
fn headers_are_read_in_any_order_and_spelling_and_missing_ones_are_named() {
    let mut header = header();
    header.swap(1, 2);
    header[4] = "公开内容(要素)".into();
    let mut row = good_row(1);
    row.swap(1, 2);
    assert_eq!(read_sheet(&[header.clone(), row], known).unwrap()[0].area, "社会救助");

    let short: Vec<String> = header.into_iter().filter(|h| h != "公开主体" && h != "公开层级").collect();
    let errors = read_sheet(&[short], known).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].line, errors[0].column, errors[0].code), (1, "公开主体", "missing_column"));
}

#[test]
fn blank_rows_are_skipped_but_an_empty_sheet_is_refused() {
    let blank = vec![String::new(); 13];
    assert_eq!(read_sheet(&[header(), blank.clone(), good_row(1)], known).unwrap().len(), 1);
    assert_eq!(read_sheet(&[header(), blank], known).unwrap_err()[0].code, "no_rows");
    assert_eq!(read_sheet(&[], known).unwrap_err()[0].code, "no_rows");
}

#[test]
fn an_unknown_or_duplicated_header_is_refused() {
    let mut extra = header();
    extra.push("备注".into());
    let errors = read_sheet(&[extra], known).unwrap_err();
    assert_eq!(errors[0].code, "unknown_column");
    let mut twice = header();
    twice.push("一级事项".into());
    assert_eq!(read_sheet(&[twice], known).unwrap_err()[0].code, "duplicate_column");
}

#[test]
fn the_exported_sheet_reads_back_to_the_same_items() {
    let drafts = read_sheet(&[header(), good_row(1)], known).unwrap();
    let mut township = drafts[0].clone();
    township.level = None;
    township.item_level2 = None;
    township.channels = DisclosureChannel::ALL.to_vec();
    township.audience = CatalogAudience::SpecificGroups;
    township.mode = CatalogMode::OnRequest;
    let items = vec![drafts[0].clone(), township];
    assert_eq!(read_sheet(&write_sheet(&items), known).unwrap(), items);
}

#[test]
fn texts_are_bounded() {
    let mut draft = read_sheet(&[header(), good_row(1)], known).unwrap().remove(0);
    draft.owner = "局".repeat(501);
    assert_eq!(text_problems(&draft, known), vec![(Column::Owner, "too_long")]);
}

#[test]
fn a_title_row_above_the_header_and_blank_lines_keep_the_lines_the_officer_sees() {
    let title = vec!["元谋县民政局主动公开基本目录".to_owned()];
    let blank = Vec::new();
    let mut bad = good_row(2);
    bad[1] = "无此领域".into();
    let sheet = vec![title, blank.clone(), header(), good_row(1), blank, bad];
    let errors = read_sheet(&sheet, known).unwrap_err();
    assert_eq!((errors[0].line, errors[0].code), (6, "unknown_area"));
    let fine = vec![vec!["目录".to_owned()], header(), good_row(1)];
    assert_eq!(read_sheet(&fine, known).unwrap().len(), 1);
}
