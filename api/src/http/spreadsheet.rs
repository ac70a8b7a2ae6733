//! Tables in and out as CSV (UTF-8, with the byte-order mark Excel needs to show Chinese) and XLSX:
//! the format chosen by `?format=` (links work without headers) or by `Accept`, and uploads read
//! by their `Content-Type`.

use std::io::Cursor;

use actix_web::http::header::{self, HeaderMap};
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use calamine::{Data, Reader, Xlsx};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::ApiError;

pub const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const CSV_MIME: &str = "text/csv";
/// Largest sheet accepted for import.
pub const SHEET_LIMIT_BYTES: usize = 5 * 1024 * 1024;
/// Rows and columns a sheet may span (a catalog holds at most 5,000 items, plus a title and the header).
const MAX_SHEET_ROWS: usize = 5100;
const MAX_SHEET_COLUMNS: usize = 64;
/// What an XLSX may unpack to: its parts are inflated in memory, and a few kilobytes of deflate can
/// otherwise become gigabytes.
const MAX_UNPACKED_BYTES: u64 = 64 * 1024 * 1024;

/// A table's representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TableFormat {
    Json,
    Csv,
    Xlsx,
}

/// `?format=` wins; otherwise `Accept` names CSV or XLSX; otherwise JSON.
pub fn negotiate(query: Option<TableFormat>, headers: &HeaderMap) -> TableFormat {
    if let Some(format) = query {
        return format;
    }
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    if accept.contains(XLSX_MIME) {
        TableFormat::Xlsx
    } else if accept.contains(CSV_MIME) {
        TableFormat::Csv
    } else {
        TableFormat::Json
    }
}

/// The upload's format from its `Content-Type`; 415 for anything else.
pub fn upload_format(headers: &HeaderMap) -> Result<TableFormat, ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match essence.as_str() {
        XLSX_MIME => Ok(TableFormat::Xlsx),
        CSV_MIME => Ok(TableFormat::Csv),
        _ => Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").detail(
            format!("请以 {CSV_MIME}（UTF-8）或 {XLSX_MIME} 上传"),
            format!("Upload {CSV_MIME} (UTF-8) or {XLSX_MIME}"),
        )),
    }
}

fn unreadable(zh: &str, en: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "sheet_unreadable").detail(zh, en)
}

fn too_large() -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "sheet_too_large").detail(
        format!("表格不得超过 {MAX_SHEET_ROWS} 行、{MAX_SHEET_COLUMNS} 列"),
        format!("A sheet spans at most {MAX_SHEET_ROWS} rows and {MAX_SHEET_COLUMNS} columns"),
    )
}

/// Puts a cell at its place in the sheet: row `row` is the sheet's line `row + 1`, so reported
/// line numbers are those the officer sees.
fn place(rows: &mut Vec<Vec<String>>, row: usize, column: usize, text: String) -> Result<(), ApiError> {
    if row >= MAX_SHEET_ROWS || column >= MAX_SHEET_COLUMNS {
        return Err(too_large());
    }
    if rows.len() <= row {
        rows.resize_with(row + 1, Vec::new);
    }
    let line = &mut rows[row];
    if line.len() <= column {
        line.resize(column + 1, String::new());
    }
    line[column] = text;
    Ok(())
}

/// The cells of the first sheet as text, row by row (blank rows kept, so that row `i` is line
/// `i + 1`). CPU-bound: call it off the async workers.
pub fn read(format: TableFormat, bytes: &[u8]) -> Result<Vec<Vec<String>>, ApiError> {
    match format {
        TableFormat::Csv => read_csv(bytes),
        TableFormat::Xlsx => read_xlsx(bytes),
        TableFormat::Json => Err(unreadable("不是表格文件", "Not a spreadsheet")),
    }
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, ApiError> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        unreadable(
            "CSV 须为 UTF-8 编码（在 Excel 中另存为“CSV UTF-8”）",
            "The CSV must be UTF-8 (Excel: save as \"CSV UTF-8\")",
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record =
            record.map_err(|e| unreadable(&format!("CSV 无法解析：{e}"), &format!("The CSV cannot be read: {e}")))?;
        // The reader skips blank lines; the record's own line keeps the numbering of the file.
        let row =
            record.position().map_or(rows.len(), |p| usize::try_from(p.line()).unwrap_or(usize::MAX).saturating_sub(1));
        for (column, cell) in record.iter().enumerate() {
            if !cell.is_empty() {
                place(&mut rows, row, column, cell.to_owned())?;
            }
        }
    }
    Ok(rows)
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        // Whole numbers (序号) come back as floats from Excel.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, ApiError> {
    let not_xlsx = || unreadable("无法读取该 XLSX 文件", "The XLSX file cannot be read");
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| not_xlsx())?;
    let mut unpacked: u64 = 0;
    for index in 0..archive.len() {
        unpacked = unpacked.saturating_add(archive.by_index_raw(index).map_err(|_| not_xlsx())?.size());
    }
    if unpacked > MAX_UNPACKED_BYTES {
        return Err(too_large());
    }
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| not_xlsx())?;
    let first = workbook.sheet_names().first().cloned().ok_or_else(not_xlsx)?;
    // Cell by cell: a sheet's declared range may be huge (A1 to XFD1048576) while holding two cells.
    let mut cells = workbook.worksheet_cells_reader(&first).map_err(|_| not_xlsx())?;
    let mut rows = Vec::new();
    while let Some(cell) = cells.next_cell().map_err(|_| not_xlsx())? {
        let (row, column) = cell.get_position();
        let text = cell_text(&Data::from(cell.get_value().clone()));
        if !text.is_empty() {
            place(&mut rows, row as usize, column as usize, text)?;
        }
    }
    Ok(rows)
}

pub fn attachment(filename: &str) -> (header::HeaderName, String) {
    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\""))
}

/// The table as CSV, with a byte-order mark so that Excel shows the Chinese text.
pub fn csv_response(rows: &[Vec<String>], filename: &str) -> Result<HttpResponse, ApiError> {
    let mut writer = csv::Writer::from_writer(Vec::from("\u{feff}".as_bytes()));
    for row in rows {
        writer.write_record(row).map_err(|_| ApiError::internal())?;
    }
    let body = writer.into_inner().map_err(|_| ApiError::internal())?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header(attachment(&format!("{filename}.csv")))
        .body(body))
}

/// The table as an XLSX workbook of one sheet, header in bold and frozen.
pub fn xlsx_response(rows: &[Vec<String>], sheet_name: &str, filename: &str) -> Result<HttpResponse, ApiError> {
    let body = xlsx_bytes(rows, sheet_name).map_err(|e| {
        tracing::error!(error = %e, "could not write an XLSX workbook");
        ApiError::internal()
    })?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, XLSX_MIME))
        .insert_header(attachment(&format!("{filename}.xlsx")))
        .body(body))
}

/// Excel refuses a cell over 32,767 UTF-16 units: longer text is cut with a mark rather than
/// failing the whole export (CSV keeps it whole).
fn fit_cell(text: &str) -> std::borrow::Cow<'_, str> {
    const LIMIT: usize = 32_767;
    if text.encode_utf16().count() <= LIMIT {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut units = 0;
    let mut cut = String::new();
    for ch in text.chars() {
        units += ch.len_utf16();
        if units > LIMIT - 1 {
            break;
        }
        cut.push(ch);
    }
    cut.push('…');
    std::borrow::Cow::Owned(cut)
}

fn xlsx_bytes(rows: &[Vec<String>], sheet_name: &str) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r).unwrap_or(u32::MAX);
        for (c, text) in row.iter().enumerate() {
            let c = u16::try_from(c).unwrap_or(u16::MAX);
            let text = fit_cell(text);
            if r == 0 {
                sheet.write_string_with_format(r, c, text, &bold)?;
            } else {
                sheet.write_string(r, c, text)?;
            }
        }
    }
    if !rows.is_empty() {
        sheet.set_freeze_panes(1, 0)?;
    }
    workbook.save_to_buffer()
}
