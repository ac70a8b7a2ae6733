//! The annual report as the public reads it: JSON, an XLSX laid out like the official table of
//! 国办公开办函〔2021〕30号 (merged group labels, numbers as numbers), and an HTML page ready to
//! publish. All three are built from the same stored sections.

use chrono::{DateTime, NaiveDate, Utc};
use domain::annual_reports::{
    fen_as_wan, fen_as_yuan, AnnualReportStatus, ChallengeCounts, ComputedSections, CountRow, IssuanceCounts,
    COLUMN_LABELS,
};
use persistence::annual_reports::AnnualReport;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiResult;

/// 第二十条第（五）（六）项: decisions made in the year, entered from the systems that hold them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DecisionCount {
    pub decisions: i64,
}

/// Table 二, 主动公开政府信息情况.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProactiveSection {
    /// 规章: counted from the documents.
    #[schema(value_type = Object)]
    pub regulations: IssuanceCounts,
    /// 行政规范性文件: counted from the documents.
    #[schema(value_type = Object)]
    pub normative: IssuanceCounts,
    pub licensing: DecisionCount,
    pub penalty: DecisionCount,
    pub enforcement: DecisionCount,
    /// 行政事业性收费, 本年收费金额（单位：万元）, exact.
    pub administrative_fees_wan: String,
}

/// Table 三, 收到和处理政府信息公开申请情况.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RequestSection {
    /// The seven column labels: 自然人, the five kinds of 法人或其他组织, 总计.
    pub columns: Vec<String>,
    /// The 25 data rows in the format's order; `key` is `new_received`, `carried_over`, an
    /// outcome code, `total` or `carried_forward`.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<CountRow>,
    /// 新收 + 上年结转 = 办理结果总计 + 结转下年度 holds in every column.
    pub reconciled: bool,
}

/// Table 四: each block counts 结果维持 · 结果纠正 · 其他结果 · 尚未审结 · 总计.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChallengeSection {
    #[schema(value_type = Object)]
    pub reconsideration: ChallengeCounts,
    #[schema(value_type = Object)]
    pub litigation_direct: ChallengeCounts,
    #[schema(value_type = Object)]
    pub litigation_after_reconsideration: ChallengeCounts,
}

/// Section 六: the entered text and the information-processing fees counted from the requests.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OtherSection {
    pub information_fees_fen: i64,
    /// The fee sentence the report states, computed.
    pub fee_statement: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AnnualReportDto {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub organization_name: String,
    pub year: i32,
    pub title: String,
    pub status: AnnualReportStatus,
    /// `county` for the county government's report (its whole county), `organization` otherwise.
    pub scope: String,
    pub due_on: Option<NaiveDate>,
    /// Published after the due date, or unpublished past it.
    pub late: bool,
    /// 一、总体情况.
    pub section_1: String,
    pub section_2: ProactiveSection,
    pub section_3: RequestSection,
    pub section_4: ChallengeSection,
    /// 五、存在的主要问题及改进情况.
    pub section_5: String,
    pub section_6: OtherSection,
    /// The entered numbers of table 二, as last saved.
    pub licensing_decisions: i64,
    pub penalty_decisions: i64,
    pub enforcement_decisions: i64,
    pub administrative_fees_fen: i64,
    pub computed_at: DateTime<Utc>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub published_on: Option<NaiveDate>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn dto(report: AnnualReport, organization_name: String, today: NaiveDate) -> ApiResult<AnnualReportDto> {
    let sections: ComputedSections = report.sections()?;
    let organization_name =
        if sections.organization_name.is_empty() { organization_name } else { sections.organization_name.clone() };
    let status = report.status()?;
    let late = report.due_on.is_some_and(|due| match report.published_on {
        Some(day) => day > due,
        None => today > due,
    });
    let [reconsideration, litigation_direct, litigation_after_reconsideration] = sections.challenges;
    let reconciled = sections.requests.unreconciled_columns().is_empty();
    Ok(AnnualReportDto {
        title: format!("{organization_name}{}年政府信息公开工作年度报告", report.year),
        organization_name,
        id: report.id,
        organization_id: report.organization_id,
        year: report.year,
        status,
        scope: report.scope,
        due_on: report.due_on,
        late,
        section_1: report.overview,
        section_2: ProactiveSection {
            regulations: sections.regulations,
            normative: sections.normative,
            licensing: DecisionCount { decisions: report.licensing_decisions },
            penalty: DecisionCount { decisions: report.penalty_decisions },
            enforcement: DecisionCount { decisions: report.enforcement_decisions },
            administrative_fees_wan: fen_as_wan(report.administrative_fees_fen),
        },
        section_3: RequestSection {
            columns: COLUMN_LABELS.iter().map(|c| c.to_string()).collect(),
            rows: sections.requests.rows,
            reconciled,
        },
        section_4: ChallengeSection { reconsideration, litigation_direct, litigation_after_reconsideration },
        section_5: report.problems_and_improvements,
        section_6: OtherSection {
            information_fees_fen: sections.information_fees_fen,
            fee_statement: if sections.information_fees_fen == 0 {
                "本年度未收取信息处理费。".to_string()
            } else {
                format!(
                    "本年度依据《政府信息公开信息处理费管理办法》收取信息处理费{}元。",
                    fen_as_yuan(sections.information_fees_fen)
                )
            },
            text: report.other_matters,
        },
        licensing_decisions: report.licensing_decisions,
        penalty_decisions: report.penalty_decisions,
        enforcement_decisions: report.enforcement_decisions,
        administrative_fees_fen: report.administrative_fees_fen,
        computed_at: report.computed_at,
        reviewed_at: report.reviewed_at,
        published_at: report.published_at,
        published_on: report.published_on,
        version: report.version,
        created_at: report.created_at,
        updated_at: report.updated_at,
    })
}

/// The four blocks of table 二: header, value-column labels, and rows of (item, numbers).
/// One block of table 二: its header (第二十条第…项), the value-column labels, and (item, numbers) rows.
struct ProactiveBlock {
    header: &'static str,
    columns: Vec<&'static str>,
    rows: Vec<(&'static str, Vec<f64>)>,
}

fn proactive_blocks(s: &ProactiveSection) -> Vec<ProactiveBlock> {
    let counts = |c: &IssuanceCounts| vec![c.issued as f64, c.repealed as f64, c.valid as f64];
    let fees: f64 = s.administrative_fees_wan.parse().unwrap_or(0.0);
    let block = |header, columns, rows| ProactiveBlock { header, columns, rows };
    vec![
        block(
            "第二十条第（一）项",
            vec!["本年制发件数", "本年废止件数", "现行有效件数"],
            vec![("规章", counts(&s.regulations)), ("行政规范性文件", counts(&s.normative))],
        ),
        block("第二十条第（五）项", vec!["本年处理决定数量"], vec![("行政许可", vec![s.licensing.decisions as f64])]),
        block(
            "第二十条第（六）项",
            vec!["本年处理决定数量"],
            vec![("行政处罚", vec![s.penalty.decisions as f64]), ("行政强制", vec![s.enforcement.decisions as f64])],
        ),
        block("第二十条第（八）项", vec!["本年收费金额（单位：万元）"], vec![("行政事业性收费", vec![fees])]),
    ]
}

const CHALLENGE_HEADS: [&str; 5] = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"];

fn challenge_numbers(s: &ChallengeSection) -> Vec<i64> {
    [&s.reconsideration, &s.litigation_direct, &s.litigation_after_reconsideration]
        .iter()
        .flat_map(|c| [c.upheld, c.corrected, c.other, c.pending, c.total])
        .collect()
}

/// The row's position under 三、本年度办理结果: (group heading, item label) or a single row.
fn split_label(row: &CountRow) -> (Option<&str>, &str) {
    (row.group.as_deref(), row.label.as_str())
}

/// The XLSX workbook: one sheet laid out like the official format.
pub fn xlsx(report: &AnnualReportDto) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("年度报告")?;
    let cell = Format::new()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap();
    let heading = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(16).set_align(FormatAlign::Center);
    let text = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    sheet.set_column_width(0, 14)?;
    sheet.set_column_width(1, 16)?;
    sheet.set_column_width(2, 40)?;
    for c in 3..=16 {
        sheet.set_column_width(c, 11)?;
    }
    let mut r: u32 = 0;
    sheet.merge_range(r, 0, r, 9, &report.title, &title)?;
    r += 2;
    r = text_section(sheet, r, "一、总体情况", &report.section_1, &heading, &text)?;

    sheet.write_string_with_format(r, 0, "二、主动公开政府信息情况", &heading)?;
    r += 1;
    for ProactiveBlock { header: block, columns: heads, rows } in proactive_blocks(&report.section_2) {
        sheet.merge_range(r, 0, r, 2, block, &cell)?;
        sheet.write_string_with_format(r + 1, 0, "信息内容", &cell)?;
        sheet.merge_range(r + 1, 1, r + 1, 2, "", &cell)?;
        for (i, h) in heads.iter().enumerate() {
            sheet.write_string_with_format(r + 1, 3 + i as u16, *h, &cell)?;
        }
        r += 2;
        for (item, numbers) in rows {
            sheet.merge_range(r, 0, r, 2, item, &cell)?;
            for (i, n) in numbers.iter().enumerate() {
                sheet.write_number_with_format(r, 3 + i as u16, *n, &cell)?;
            }
            r += 1;
        }
    }
    r += 1;

    sheet.write_string_with_format(r, 0, "三、收到和处理政府信息公开申请情况", &heading)?;
    r += 1;
    sheet.merge_range(r, 0, r + 2, 2, "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", &cell)?;
    sheet.merge_range(r, 3, r, 9, "申请人情况", &cell)?;
    sheet.merge_range(r + 1, 3, r + 2, 3, COLUMN_LABELS[0], &cell)?;
    sheet.merge_range(r + 1, 4, r + 1, 8, "法人或其他组织", &cell)?;
    sheet.merge_range(r + 1, 9, r + 2, 9, COLUMN_LABELS[6], &cell)?;
    for (i, label) in COLUMN_LABELS[1..6].iter().enumerate() {
        sheet.write_string_with_format(r + 2, 4 + i as u16, *label, &cell)?;
    }
    r += 3;
    let rows = &report.section_3.rows;
    let outcome_rows = rows.len().saturating_sub(3);
    for (index, row) in rows.iter().enumerate() {
        let in_results = index >= 2 && index < rows.len() - 1;
        if !in_results {
            sheet.merge_range(r, 0, r, 2, &row.label, &cell)?;
        } else {
            if index == 2 {
                sheet.merge_range(r, 0, r + outcome_rows as u32 - 1, 0, "三、本年度办理结果", &cell)?;
            }
            match split_label(row) {
                (Some(group), label) => {
                    let first_of_group = rows[index - 1].group.as_deref() != Some(group);
                    if first_of_group {
                        let size =
                            rows[index..].iter().take_while(|x| x.group.as_deref() == Some(group)).count() as u32;
                        sheet.merge_range(r, 1, r + size - 1, 1, group, &cell)?;
                    }
                    sheet.write_string_with_format(r, 2, label, &cell)?;
                }
                (None, label) => {
                    sheet.merge_range(r, 1, r, 2, label, &cell)?;
                }
            }
        }
        for (c, value) in row.values.iter().enumerate() {
            sheet.write_number_with_format(r, 3 + c as u16, *value as f64, &cell)?;
        }
        r += 1;
    }
    r += 1;

    sheet.write_string_with_format(r, 0, "四、政府信息公开行政复议、行政诉讼情况", &heading)?;
    r += 1;
    sheet.merge_range(r, 0, r + 1, 4, "行政复议", &cell)?;
    sheet.merge_range(r, 5, r, 14, "行政诉讼", &cell)?;
    sheet.merge_range(r + 1, 5, r + 1, 9, "未经复议直接起诉", &cell)?;
    sheet.merge_range(r + 1, 10, r + 1, 14, "复议后起诉", &cell)?;
    for block in 0..3u16 {
        for (i, h) in CHALLENGE_HEADS.iter().enumerate() {
            sheet.write_string_with_format(r + 2, block * 5 + i as u16, *h, &cell)?;
        }
    }
    for (i, n) in challenge_numbers(&report.section_4).iter().enumerate() {
        sheet.write_number_with_format(r + 3, i as u16, *n as f64, &cell)?;
    }
    r += 5;
    r = text_section(sheet, r, "五、存在的主要问题及改进情况", &report.section_5, &heading, &text)?;
    let other = format!("{}\n{}", report.section_6.fee_statement, report.section_6.text);
    text_section(sheet, r, "六、其他需要报告的事项", other.trim_end(), &heading, &text)?;
    workbook.save_to_buffer()
}

/// Characters per cell: Excel holds at most 32,767 UTF-16 units in one, and a character may take two.
const CELL_CHARS: usize = 8000;

/// A text section: its heading, then one merged row per paragraph (long ones over several rows).
fn text_section(
    sheet: &mut Worksheet,
    mut r: u32,
    head: &str,
    body: &str,
    heading: &Format,
    text: &Format,
) -> Result<u32, XlsxError> {
    sheet.write_string_with_format(r, 0, head, heading)?;
    r += 1;
    let paragraphs: Vec<&str> = body.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    for paragraph in if paragraphs.is_empty() { vec![""] } else { paragraphs } {
        let chars: Vec<char> = paragraph.chars().collect();
        for piece in chars.chunks(CELL_CHARS.max(1)).map(|c| c.iter().collect::<String>()).chain(
            // An empty paragraph still gets its row.
            chars.is_empty().then(String::new),
        ) {
            sheet.merge_range(r, 0, r, 9, &piece, text)?;
            // About 60 characters a line at this width; Excel's rows stop at 409 points.
            let lines = 1 + piece.chars().count() / 60;
            sheet.set_row_height(r, (15 * lines).min(409) as f64)?;
            r += 1;
        }
    }
    Ok(r + 1)
}

fn paragraphs(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("<p>{}</p>\n", domain::search::escaped(l.trim())))
        .collect()
}

/// A standalone HTML page, ready to publish on the government website.
pub fn html(report: &AnnualReportDto) -> String {
    let mut out = String::new();
    let title = domain::search::escaped(&report.title);
    out.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n\
         <style>body{{font-family:sans-serif;max-width:960px;margin:auto;line-height:1.7}}\
         table{{border-collapse:collapse;width:100%;margin:1em 0}}td,th{{border:1px solid #333;padding:4px 6px;text-align:center}}</style>\n\
         </head>\n<body>\n<h1>{title}</h1>\n"
    ));
    out.push_str("<h2>一、总体情况</h2>\n");
    out.push_str(&paragraphs(&report.section_1));
    out.push_str("<h2>二、主动公开政府信息情况</h2>\n<table>\n");
    for ProactiveBlock { header: block, columns: heads, rows } in proactive_blocks(&report.section_2) {
        out.push_str(&format!("<tr><th colspan=\"{}\">{block}</th></tr>\n<tr><th>信息内容</th>", heads.len() + 1));
        for h in &heads {
            out.push_str(&format!("<th>{h}</th>"));
        }
        out.push_str("</tr>\n");
        for (item, numbers) in rows {
            out.push_str(&format!("<tr><td>{item}</td>"));
            for n in numbers {
                out.push_str(&format!("<td>{n}</td>"));
            }
            out.push_str("</tr>\n");
        }
    }
    out.push_str("</table>\n<h2>三、收到和处理政府信息公开申请情况</h2>\n<table>\n");
    out.push_str(
        "<tr><th colspan=\"3\" rowspan=\"3\">（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</th>\
         <th colspan=\"7\">申请人情况</th></tr>\n<tr><th rowspan=\"2\">自然人</th><th colspan=\"5\">法人或其他组织</th>\
         <th rowspan=\"2\">总计</th></tr>\n<tr>",
    );
    for label in &COLUMN_LABELS[1..6] {
        out.push_str(&format!("<th>{label}</th>"));
    }
    out.push_str("</tr>\n");
    let rows = &report.section_3.rows;
    for (index, row) in rows.iter().enumerate() {
        out.push_str("<tr>");
        let in_results = index >= 2 && index < rows.len() - 1;
        if !in_results {
            out.push_str(&format!("<td colspan=\"3\">{}</td>", domain::search::escaped(&row.label)));
        } else {
            if index == 2 {
                out.push_str(&format!("<td rowspan=\"{}\">三、本年度办理结果</td>", rows.len() - 3));
            }
            match split_label(row) {
                (Some(group), label) => {
                    if rows[index - 1].group.as_deref() != Some(group) {
                        let size = rows[index..].iter().take_while(|x| x.group.as_deref() == Some(group)).count();
                        out.push_str(&format!("<td rowspan=\"{size}\">{}</td>", domain::search::escaped(group)));
                    }
                    out.push_str(&format!("<td>{}</td>", domain::search::escaped(label)));
                }
                (None, label) => out.push_str(&format!("<td colspan=\"2\">{}</td>", domain::search::escaped(label))),
            }
        }
        for value in row.values {
            out.push_str(&format!("<td>{value}</td>"));
        }
        out.push_str("</tr>\n");
    }
    out.push_str(
        "</table>\n<h2>四、政府信息公开行政复议、行政诉讼情况</h2>\n<table>\n\
         <tr><th colspan=\"5\" rowspan=\"2\">行政复议</th><th colspan=\"10\">行政诉讼</th></tr>\n\
         <tr><th colspan=\"5\">未经复议直接起诉</th><th colspan=\"5\">复议后起诉</th></tr>\n<tr>",
    );
    for _ in 0..3 {
        for h in CHALLENGE_HEADS {
            out.push_str(&format!("<th>{h}</th>"));
        }
    }
    out.push_str("</tr>\n<tr>");
    for n in challenge_numbers(&report.section_4) {
        out.push_str(&format!("<td>{n}</td>"));
    }
    out.push_str("</tr>\n</table>\n<h2>五、存在的主要问题及改进情况</h2>\n");
    out.push_str(&paragraphs(&report.section_5));
    out.push_str("<h2>六、其他需要报告的事项</h2>\n");
    out.push_str(&format!("<p>{}</p>\n", domain::search::escaped(&report.section_6.fee_statement)));
    out.push_str(&paragraphs(&report.section_6.text));
    out.push_str("</body>\n</html>\n");
    out
}
