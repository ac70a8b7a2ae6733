//! Proactive-disclosure catalogs (主动公开基本目录, DOMAIN.md §4): the standard columns of a county
//! or township catalog (regulations.md §4.3), the channel checklist (§4.4), and the reading of a
//! spreadsheet into items, which reports every bad cell by line and column or accepts all rows.

use crate::documents::DocumentCategory;
use crate::labeled_enum;

labeled_enum! {
    /// 公开对象.
    pub enum CatalogAudience as "catalog_audience" {
        WholeSociety = "whole_society", "全社会", "The whole society";
        SpecificGroups = "specific_groups", "特定群体", "Specific groups";
    }
}

labeled_enum! {
    /// 公开方式.
    pub enum CatalogMode as "catalog_mode" {
        Proactive = "proactive", "主动", "Proactive";
        OnRequest = "on_request", "依申请", "On request";
    }
}

labeled_enum! {
    /// 公开层级 (absent from some areas' catalogs, hence optional on an item).
    pub enum CatalogLevel as "catalog_level" {
        County = "county", "县级", "County";
        Township = "township", "乡级", "Township";
    }
}

labeled_enum! {
    /// 公开渠道和载体, the checklist printed on standard catalogs; `other` covers sector platforms.
    pub enum DisclosureChannel as "disclosure_channel" {
        GovernmentWebsite = "government_website", "政府网站", "Government website";
        GovernmentGazette = "government_gazette", "政府公报", "Government gazette";
        WeiboWechatApp = "weibo_wechat_app", "两微一端", "Weibo, WeChat and app";
        PressOrHearing = "press_or_hearing", "发布会/听证会", "Press conference or hearing";
        RadioTelevision = "radio_television", "广播电视", "Radio and television";
        PrintMedia = "print_media", "纸质媒体", "Print media";
        ReadingVenue = "reading_venue", "公开查阅点", "Public reading venue";
        ServiceCenter = "service_center", "政务服务中心", "Government service center";
        ServiceStation = "service_station", "便民服务站", "Convenience service station";
        DoorToDoor = "door_to_door", "入户/现场", "Door to door or on site";
        NoticeBoard = "notice_board", "社区/企事业单位/村公示栏（电子屏）", "Community, enterprise or village notice board (screen)";
        TargetedPush = "targeted_push", "精准推送", "Targeted push";
        Hotline12345 = "hotline_12345", "12345政务服务热线", "12345 government service hotline";
        Other = "other", "其他", "Other";
    }
}

/// Most items a catalog holds; a county department's catalog has tens to a few hundred.
pub const MAX_ITEMS: usize = 5000;

/// One column of the spreadsheet form, in the order of the standard catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Number,
    Area,
    ItemLevel1,
    ItemLevel2,
    Content,
    Basis,
    TimeLimit,
    Owner,
    Channels,
    Audience,
    Mode,
    Level,
    Category,
}

impl Column {
    pub const ALL: [Column; 13] = [
        Column::Number,
        Column::Area,
        Column::ItemLevel1,
        Column::ItemLevel2,
        Column::Content,
        Column::Basis,
        Column::TimeLimit,
        Column::Owner,
        Column::Channels,
        Column::Audience,
        Column::Mode,
        Column::Level,
        Column::Category,
    ];

    /// The header written on export and expected on import.
    pub fn header(self) -> &'static str {
        match self {
            Column::Number => "序号",
            Column::Area => "所属领域",
            Column::ItemLevel1 => "一级事项",
            Column::ItemLevel2 => "二级事项",
            Column::Content => "公开内容（要素）",
            Column::Basis => "公开依据",
            Column::TimeLimit => "公开时限",
            Column::Owner => "公开主体",
            Column::Channels => "公开渠道和载体",
            Column::Audience => "公开对象",
            Column::Mode => "公开方式",
            Column::Level => "公开层级",
            Column::Category => "五公开类别",
        }
    }

    /// The item's JSON field the column fills.
    pub fn field(self) -> &'static str {
        match self {
            Column::Number => "number",
            Column::Area => "area",
            Column::ItemLevel1 => "item_level1",
            Column::ItemLevel2 => "item_level2",
            Column::Content => "content_elements",
            Column::Basis => "basis",
            Column::TimeLimit => "time_limit",
            Column::Owner => "owner",
            Column::Channels => "channels",
            Column::Audience => "audience",
            Column::Mode => "mode",
            Column::Level => "level",
            Column::Category => "openness_category",
        }
    }

    /// Published catalogs print the same header in several ways; all of them are read.
    fn from_header(text: &str) -> Option<Column> {
        let key: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| {
                if c == '(' {
                    '（'
                } else if c == ')' {
                    '）'
                } else {
                    c
                }
            })
            .collect();
        let column = match key.as_str() {
            "序号" => Column::Number,
            "所属领域" | "领域" | "公开领域" => Column::Area,
            "一级事项" => Column::ItemLevel1,
            "二级事项" => Column::ItemLevel2,
            "公开内容（要素）" | "公开内容" | "公开要素" => Column::Content,
            "公开依据" => Column::Basis,
            "公开时限" => Column::TimeLimit,
            "公开主体" => Column::Owner,
            "公开渠道和载体" | "公开渠道" => Column::Channels,
            "公开对象" => Column::Audience,
            "公开方式" => Column::Mode,
            "公开层级" => Column::Level,
            "五公开类别" | "五公开" | "公开类别" => Column::Category,
            _ => return None,
        };
        Some(column)
    }

    /// Columns every catalog must have (序号 and 公开层级 are optional, 二级事项 may be empty).
    fn required(self) -> bool {
        !matches!(self, Column::Number | Column::Level | Column::ItemLevel2)
    }
}

/// An item as written by the officer, the import or the JSON body: the area by its name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CatalogItemDraft {
    /// The area's name: a standard area or one of the county's own (`GET /catalog-areas`).
    pub area: String,
    pub item_level1: String,
    #[serde(default)]
    pub item_level2: Option<String>,
    pub content_elements: String,
    pub basis: String,
    pub time_limit: String,
    pub owner: String,
    pub channels: Vec<DisclosureChannel>,
    pub audience: CatalogAudience,
    pub mode: CatalogMode,
    #[serde(default)]
    pub level: Option<CatalogLevel>,
    pub openness_category: DocumentCategory,
}

/// One bad cell: the spreadsheet line (the header is line 1), its column and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    pub line: usize,
    pub column: &'static str,
    pub field: &'static str,
    pub code: &'static str,
    pub value: Option<String>,
}

/// Longest text accepted per column.
fn max_chars(column: Column) -> usize {
    match column {
        Column::Content | Column::Basis => 4000,
        _ => 500,
    }
}

/// The problems of a draft's free-text fields and area, as (column, code): used for JSON bodies and
/// for every spreadsheet row.
pub fn text_problems(draft: &CatalogItemDraft, area_known: impl Fn(&str) -> bool) -> Vec<(Column, &'static str)> {
    let mut out = Vec::new();
    let texts = [
        (Column::Area, Some(draft.area.as_str())),
        (Column::ItemLevel1, Some(draft.item_level1.as_str())),
        (Column::ItemLevel2, draft.item_level2.as_deref()),
        (Column::Content, Some(draft.content_elements.as_str())),
        (Column::Basis, Some(draft.basis.as_str())),
        (Column::TimeLimit, Some(draft.time_limit.as_str())),
        (Column::Owner, Some(draft.owner.as_str())),
    ];
    for (column, text) in texts {
        match text.map(str::trim) {
            None => {}
            Some("") if column.required() => out.push((column, "required")),
            Some("") => {}
            Some(t) if t.chars().count() > max_chars(column) => out.push((column, "too_long")),
            Some(t) if t.contains('\0') => out.push((column, "invalid_text")),
            Some(t) if column == Column::Area && !area_known(t) => out.push((column, "unknown_area")),
            Some(_) => {}
        }
    }
    if draft.channels.is_empty() {
        out.push((Column::Channels, "required"));
    }
    out
}

fn norm(text: &str) -> String {
    text.trim().to_owned()
}

fn parse_audience(text: &str) -> Option<CatalogAudience> {
    match text {
        "全社会" | "whole_society" => Some(CatalogAudience::WholeSociety),
        "特定群体" | "特定群众" | "specific_groups" => Some(CatalogAudience::SpecificGroups),
        _ => None,
    }
}

fn parse_mode(text: &str) -> Option<CatalogMode> {
    match text {
        "主动" | "主动公开" | "proactive" => Some(CatalogMode::Proactive),
        "依申请" | "依申请公开" | "on_request" => Some(CatalogMode::OnRequest),
        _ => None,
    }
}

fn parse_level(text: &str) -> Option<CatalogLevel> {
    match text {
        "县级" | "县" | "county" => Some(CatalogLevel::County),
        "乡级" | "乡镇级" | "乡、村级" | "乡村级" | "township" => Some(CatalogLevel::Township),
        _ => None,
    }
}

fn parse_category(text: &str) -> Option<DocumentCategory> {
    DocumentCategory::ALL
        .iter()
        .copied()
        .find(|c| text == c.as_str() || text == c.label_zh() || c.label_zh().strip_suffix("公开") == Some(text))
}

fn parse_channel(text: &str) -> Option<DisclosureChannel> {
    let aliases: &[(&str, DisclosureChannel)] = &[
        ("纸质载体", DisclosureChannel::PrintMedia),
        ("行政服务中心", DisclosureChannel::ServiceCenter),
        ("政务服务大厅", DisclosureChannel::ServiceCenter),
        ("公示栏", DisclosureChannel::NoticeBoard),
        ("社区/企事业单位/村公示栏", DisclosureChannel::NoticeBoard),
        ("12345热线", DisclosureChannel::Hotline12345),
        ("发布会", DisclosureChannel::PressOrHearing),
        ("听证会", DisclosureChannel::PressOrHearing),
    ];
    DisclosureChannel::ALL
        .iter()
        .copied()
        .find(|c| text == c.as_str() || text == c.label_zh())
        .or_else(|| aliases.iter().find(|(alias, _)| *alias == text).map(|(_, c)| *c))
}

/// Reads a 公开渠道和载体 cell: a list separated by 、，,；; or new lines. Printed checklists mark
/// chosen boxes ■ and others □: a □ entry is not chosen and is skipped.
pub fn parse_channels(cell: &str) -> Result<Vec<DisclosureChannel>, String> {
    let mut out = Vec::new();
    for token in cell.split(['、', '，', ',', '；', ';', '\n']) {
        let token = token.trim();
        if token.is_empty() || token.starts_with('□') {
            continue;
        }
        let token = token.trim_start_matches(['■', '☑', '√']).trim();
        let channel = parse_channel(token).ok_or_else(|| token.to_owned())?;
        if !out.contains(&channel) {
            out.push(channel);
        }
    }
    Ok(out)
}

/// The header row: the first with at least three standard headers (printed catalogs often carry
/// a title row above it), else the first row that is not blank, so that its problems are named.
fn header_index(rows: &[Vec<String>]) -> Option<usize> {
    let known = |row: &Vec<String>| row.iter().filter(|cell| Column::from_header(cell.trim()).is_some()).count();
    rows.iter()
        .position(|row| known(row) >= 3)
        .or_else(|| rows.iter().position(|row| row.iter().any(|cell| !cell.trim().is_empty())))
}

/// The header row's problems, or the column of each cell position.
fn read_header(header: &[String], line: usize) -> Result<Vec<Option<Column>>, Vec<CellError>> {
    let mut errors = Vec::new();
    let mut columns = Vec::new();
    for cell in header {
        let text = cell.trim();
        let column = Column::from_header(text);
        if column.is_some() && columns.contains(&column) {
            errors.push(CellError {
                line,
                column: column.map_or("", Column::header),
                field: column.map_or("", Column::field),
                code: "duplicate_column",
                value: Some(text.to_owned()),
            });
        }
        if column.is_none() && !text.is_empty() {
            errors.push(CellError {
                line,
                column: "",
                field: "",
                code: "unknown_column",
                value: Some(text.to_owned()),
            });
        }
        columns.push(column);
    }
    for column in Column::ALL.into_iter().filter(|c| c.required()) {
        if !columns.contains(&Some(column)) {
            errors.push(CellError {
                line,
                column: column.header(),
                field: column.field(),
                code: "missing_column",
                value: None,
            });
        }
    }
    if errors.is_empty() {
        Ok(columns)
    } else {
        Err(errors)
    }
}

/// Reads a whole sheet into drafts: `rows[i]` is the sheet's line `i + 1`; rows above the header
/// (a title) and blank rows are skipped; every bad cell of every row is reported, and a sheet with
/// any bad cell yields no draft at all.
pub fn read_sheet(
    rows: &[Vec<String>],
    area_known: impl Fn(&str) -> bool,
) -> Result<Vec<CatalogItemDraft>, Vec<CellError>> {
    let Some(header_at) = header_index(rows) else {
        return Err(vec![CellError { line: 1, column: "", field: "", code: "no_rows", value: None }]);
    };
    let columns = read_header(&rows[header_at], header_at + 1)?;
    let mut drafts = Vec::new();
    let mut errors = Vec::new();
    for (index, row) in rows.iter().enumerate().skip(header_at + 1) {
        let line = index + 1;
        if row.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let cell = |wanted: Column| -> String {
            columns
                .iter()
                .position(|c| *c == Some(wanted))
                .and_then(|i| row.get(i))
                .map(|s| norm(s))
                .unwrap_or_default()
        };
        let mut bad = |column: Column, code: &'static str, value: &str| {
            errors.push(CellError {
                line,
                column: column.header(),
                field: column.field(),
                code,
                value: (!value.is_empty()).then(|| value.to_owned()),
            });
        };
        let enum_cell = |column: Column, bad: &mut dyn FnMut(Column, &'static str, &str)| -> Option<String> {
            let text = cell(column);
            if text.is_empty() {
                bad(column, "required", "");
                None
            } else {
                Some(text)
            }
        };
        let audience = enum_cell(Column::Audience, &mut bad).and_then(|t| {
            parse_audience(&t).or_else(|| {
                bad(Column::Audience, "unknown_value", &t);
                None
            })
        });
        let mode = enum_cell(Column::Mode, &mut bad).and_then(|t| {
            parse_mode(&t).or_else(|| {
                bad(Column::Mode, "unknown_value", &t);
                None
            })
        });
        let category = enum_cell(Column::Category, &mut bad).and_then(|t| {
            parse_category(&t).or_else(|| {
                bad(Column::Category, "unknown_value", &t);
                None
            })
        });
        let level_text = cell(Column::Level);
        let level = if level_text.is_empty() {
            None
        } else {
            let parsed = parse_level(&level_text);
            if parsed.is_none() {
                bad(Column::Level, "unknown_value", &level_text);
            }
            parsed
        };
        let channels = match parse_channels(&cell(Column::Channels)) {
            Ok(channels) => channels,
            Err(unknown) => {
                bad(Column::Channels, "unknown_channel", &unknown);
                vec![DisclosureChannel::Other]
            }
        };
        let item_level2 = cell(Column::ItemLevel2);
        let draft = CatalogItemDraft {
            area: cell(Column::Area),
            item_level1: cell(Column::ItemLevel1),
            item_level2: (!item_level2.is_empty()).then_some(item_level2),
            content_elements: cell(Column::Content),
            basis: cell(Column::Basis),
            time_limit: cell(Column::TimeLimit),
            owner: cell(Column::Owner),
            channels,
            audience: audience.unwrap_or(CatalogAudience::WholeSociety),
            mode: mode.unwrap_or(CatalogMode::Proactive),
            level,
            openness_category: category.unwrap_or(DocumentCategory::Result),
        };
        for (column, code) in text_problems(&draft, &area_known) {
            let value = if code == "required" { String::new() } else { cell(column) };
            bad(column, code, &value);
        }
        drafts.push(draft);
    }
    if drafts.is_empty() && errors.is_empty() {
        errors.push(CellError { line: header_at + 2, column: "", field: "", code: "no_rows", value: None });
    }
    if drafts.len() > MAX_ITEMS {
        errors.push(CellError { line: rows.len(), column: "", field: "", code: "too_many_rows", value: None });
    }
    // By line, then in the sheet's standard column order, as an officer reads the sheet.
    errors.sort_by_key(|e| (e.line, Column::ALL.iter().position(|c| c.header() == e.column).unwrap_or(usize::MAX)));
    if errors.is_empty() {
        Ok(drafts)
    } else {
        Err(errors)
    }
}

/// The sheet of a catalog's items, header first, as export writes it (and import reads it back).
pub fn write_sheet(items: &[CatalogItemDraft]) -> Vec<Vec<String>> {
    let mut rows = vec![Column::ALL.iter().map(|c| c.header().to_owned()).collect::<Vec<_>>()];
    for (index, item) in items.iter().enumerate() {
        let channels: Vec<&str> = item.channels.iter().map(|c| c.label_zh()).collect();
        rows.push(vec![
            (index + 1).to_string(),
            item.area.clone(),
            item.item_level1.clone(),
            item.item_level2.clone().unwrap_or_default(),
            item.content_elements.clone(),
            item.basis.clone(),
            item.time_limit.clone(),
            item.owner.clone(),
            channels.join("、"),
            item.audience.label_zh().to_owned(),
            item.mode.label_zh().to_owned(),
            item.level.map(|l| l.label_zh().to_owned()).unwrap_or_default(),
            item.openness_category.label_zh().to_owned(),
        ]);
    }
    rows
}

#[cfg(test)]
#[path = "catalogs_tests.rs"]
mod tests;
