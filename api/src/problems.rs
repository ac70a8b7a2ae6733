//! The stable problem codes of the API and their localized titles. Clients branch on the code;
//! titles may be reworded, codes never.

use crate::http::lang::Lang;

/// (code, zh-CN title, English title).
pub const PROBLEM_CODES: &[(&str, &str, &str)] = &[
    ("malformed_json", "请求体不是合法的 JSON", "The request body is not valid JSON"),
    ("invalid_body", "请求体字段有误", "The request body has a wrong or unknown field"),
    ("invalid_path_parameter", "路径参数无效", "A path parameter is invalid"),
    ("invalid_query_parameter", "查询参数无效", "A query parameter is invalid"),
    ("invalid_cursor", "分页游标无效", "The pagination cursor is invalid"),
    ("invalid_header", "请求头无效", "A request header is invalid"),
    ("invalid_idempotency_key", "Idempotency-Key 必须是 UUID", "Idempotency-Key must be a UUID"),
    ("unsupported_media_type", "不支持的内容类型", "Unsupported content type"),
    ("payload_too_large", "请求体过大", "The request body is too large"),
    ("validation_failed", "输入校验未通过", "The input did not pass validation"),
    ("unauthenticated", "需要登录", "Authentication is required"),
    ("invalid_token", "访问令牌无效或已过期", "The access token is invalid or expired"),
    ("invalid_credentials", "用户名或密码错误", "Wrong username or password"),
    ("invalid_refresh_token", "刷新令牌无效", "The refresh token is invalid"),
    (
        "refresh_token_reused",
        "刷新令牌已被使用，该会话已全部注销",
        "The refresh token was already used; the whole session has been revoked",
    ),
    ("login_locked", "登录失败次数过多，请稍后再试", "Too many failed logins; try again later"),
    ("password_expired", "密码已过期，请先修改密码", "The password has expired; change it first"),
    ("session_idle", "会话因闲置已结束，请重新登录", "The session ended after being idle; log in again"),
    ("rate_limited", "请求过于频繁，请稍后再试", "Too many requests; try again later"),
    ("forbidden", "无权执行此操作", "You are not allowed to do this"),
    ("not_found", "资源不存在", "Not found"),
    ("method_not_allowed", "不支持该请求方法", "Method not allowed"),
    ("not_acceptable", "无法提供所要求的格式", "The requested format is not available"),
    ("stale_version", "资源已被他人修改，请刷新后重试", "The resource was changed by someone else; reload and retry"),
    ("precondition_failed", "前提条件不满足", "Precondition failed"),
    (
        "idempotency_key_reused",
        "同一 Idempotency-Key 用于了不同的请求",
        "The Idempotency-Key was used for a different request",
    ),
    (
        "idempotency_key_in_progress",
        "同一 Idempotency-Key 的请求仍在处理中",
        "A request with this Idempotency-Key is still in progress",
    ),
    (
        "idempotency_key_used",
        "该 Idempotency-Key 的首次响应不可重放",
        "The first response to this Idempotency-Key cannot be replayed",
    ),
    (
        "idempotency_key_answer_lost",
        "该 Idempotency-Key 的首次请求已办理，但响应已丢失",
        "The first request with this Idempotency-Key was carried out, but its answer was lost",
    ),
    ("username_taken", "用户名已被使用", "The username is already taken"),
    ("organization_name_taken", "机关名称重复", "The organization name is already used"),
    ("organization_in_use", "机关仍在使用中", "The organization is still in use"),
    ("organization_cycle", "上级机关设置会形成循环", "The parent would create a cycle"),
    ("last_system_admin", "不能停用最后一个系统管理员", "The last system administrator cannot be removed"),
    ("constraint_violation", "数据约束冲突", "The change conflicts with existing data"),
    ("conflict", "状态冲突", "Conflict"),
    ("doc_number_taken", "文号重复", "The document number is already used"),
    ("initial_interpretation_exists", "该文件已有初始解读", "The document already has its initial interpretation"),
    ("attachment_type_not_allowed", "不接受的附件类型", "This type of attachment is not accepted"),
    ("invalid_multipart", "multipart 表单无法解析", "The multipart form could not be read"),
    ("storage_unavailable", "附件存储暂时不可用", "The attachment store is temporarily unavailable"),
    ("range_not_satisfiable", "请求的范围无效", "The requested range cannot be served"),
    ("rules_failed", "不符合办理规则，未作任何更改", "The act breaks a rule; nothing was changed"),
    ("document_state_conflict", "公文当前状态不允许此操作", "The document's current state does not allow this"),
    (
        "interpretation_state_conflict",
        "解读当前状态不允许此操作",
        "The interpretation's current state does not allow this",
    ),
    (
        "not_an_involved_organization",
        "本机关不是该公文涉及的机关",
        "Your organization is not involved in this document",
    ),
    (
        "calendar_year_not_published",
        "该年度的节假日安排尚未录入",
        "The holiday schedule of this year has not been entered",
    ),
    (
        "consultation_state_conflict",
        "征求意见当前状态不允许此操作",
        "The consultation's current state does not allow this",
    ),
    ("open_day_full", "开放日名额已满", "The open day is fully booked"),
    ("registration_closed", "报名已截止", "Registration has closed"),
    ("message_already_replied", "该留言已答复", "The message has already been answered"),
    (
        "message_publication_not_consented",
        "留言人未同意公开，不能公开该留言",
        "The sender did not agree to publication",
    ),
    ("message_not_replied", "留言尚未答复，不能公开", "The message has not been answered yet"),
    ("message_not_published", "该留言未公开", "The message is not published"),
    ("open_day_cancelled", "该开放日活动已取消", "The open day has been cancelled"),
    ("incident_state_conflict", "舆情当前所处环节不允许此操作", "The incident is not at a stage that allows this"),
    (
        "open_day_over",
        "该开放日活动已开始或已结束，不能再修改",
        "The open day has started or is over and can no longer change",
    ),
    ("meeting_state_conflict", "会议当前状态不允许此操作", "The meeting's current state does not allow this"),
    (
        "rectification_state_conflict",
        "整改事项当前状态不允许此操作",
        "The rectification's current state does not allow this",
    ),
    ("website_closed", "该网站已关停，不再监测", "The website is closed and is no longer checked"),
    (
        "spot_check_completed",
        "该抽查已完成，不能再记录问题",
        "The spot check is completed; no more findings can be recorded",
    ),
    ("no_issued_documents", "该机关没有已印发的公文，无法抽查", "The organization has no issued document to sample"),
    ("placement_exists", "该公文已放置在此查阅点", "The document is already placed at this venue"),
    (
        "consultation_closed",
        "征求意见期限已截止，不再接收意见",
        "The consultation period has ended; comments are no longer taken",
    ),
    ("consultation_not_open_yet", "征求意见尚未开始", "The consultation has not opened yet"),
    ("request_state_conflict", "申请当前状态不允许此操作", "The request's current state does not allow this"),
    (
        "correction_already_requested",
        "补正只能一次性告知，已告知过",
        "A correction was already requested; it is asked once",
    ),
    (
        "correction_window_closed",
        "已超过收到申请之日起7个工作日的补正告知期限",
        "The 7 working days for requesting a correction have passed",
    ),
    ("extension_already_granted", "答复期限只能延长一次", "The answer period can be extended once only"),
    (
        "extension_after_due_date",
        "原答复期限已届满，不能再延长",
        "The original due date has passed; it cannot be extended now",
    ),
    ("fee_already_notified", "已发出收费通知", "A fee notice was already issued"),
    ("fee_notice_after_due_date", "收费通知须在答复期限内发出", "A fee notice must be issued within the answer period"),
    (
        "consultation_still_running",
        "征求意见期限尚未届满，不能记为逾期未提出意见",
        "The consultation period is still running; silence cannot be recorded yet",
    ),
    ("no_pending_consultation", "该征求意见已有答复", "This consultation is already answered"),
    (
        "consultation_after_due_date",
        "答复期限已届满，不能再以征求意见暂停计时",
        "The answer period has run out; a consultation cannot pause it now",
    ),
    ("no_pending_fee", "没有待缴的信息处理费", "No fee is pending"),
    ("correction_deadline_not_passed", "补正期限尚未届满", "The correction deadline has not passed"),
    ("payment_period_not_passed", "缴费期限尚未届满", "The payment period has not passed"),
    ("database_unavailable", "数据库暂时不可用，请稍后重试", "The database is temporarily unavailable; retry shortly"),
    ("request_timeout", "请求处理超时，请稍后重试", "The request took too long; retry shortly"),
    ("body_timeout", "请求体传输超时", "The request body arrived too slowly"),
    ("internal_error", "服务器内部错误", "Internal server error"),
    ("bad_request", "请求有误", "Bad request"),
    ("catalog_exists", "本机关已有主动公开基本目录", "The organization already has its catalog"),
    (
        "annual_report_not_draft",
        "年度报告已审核或已公布，不能再修改或重新统计",
        "The annual report is reviewed or published and can no longer change",
    ),
    (
        "annual_report_state_conflict",
        "年度报告当前状态不允许此操作",
        "The annual report's current state does not allow this",
    ),
    ("annual_report_exists", "该机关该年度的报告已存在", "The organization's report for that year already exists"),
    (
        "score_source_conflict",
        "该指标已有另一来源的评分，不能覆盖",
        "The indicator already has a score from the other source; it is not replaced",
    ),
    ("challenge_exists", "该案号已登记", "A case with this number is already recorded"),
    ("challenge_already_concluded", "该案件已登记结果", "The case's result is already recorded"),
    ("export_too_large", "导出条数过多，请缩小筛选范围", "The export is too large; narrow the filters"),
    ("catalog_empty", "目录草稿没有任何事项，不能发布", "The draft holds no item and cannot be published"),
    ("catalog_unchanged", "目录草稿与已发布的最新版本相同", "The draft is the same as the latest published version"),
    ("catalog_rows_invalid", "表格中有错误，未导入任何事项", "The sheet has errors; nothing was imported"),
    ("sheet_unreadable", "无法读取上传的表格", "The uploaded sheet cannot be read"),
    ("sheet_too_large", "表格行数或列数过多", "The sheet spans too many rows or columns"),
    ("already_reposted", "该转载任务已记录转载", "The repost is already recorded"),
    (
        "no_reposting_organizations",
        "本县没有需要转载的县级部门或乡镇",
        "The county has no department or township to repost it",
    ),
    ("self_inspection_exists", "本机关该年度的自查已经开展", "The organization's self-inspection of that year exists"),
    ("self_inspection_submitted", "自查报告已报送，不能再修改", "The self-inspection was submitted and is final"),
    ("item_already_decided", "该事项已作出决定", "The item is already decided"),
    (
        "document_not_convertible",
        "该文件已不是未公开的有效文件，不能转为主动公开",
        "The document is no longer an undisclosed valid document and cannot be converted",
    ),
    (
        "indicator_tree_invalid",
        "指标体系不符合要求（各级权重合计须为 100），未作任何更改",
        "The indicator tree is refused (the weights at each level must sum to 100); nothing was changed",
    ),
    (
        "delivery_pending",
        "该投递仍在进行或等待重试，不能重放",
        "The delivery is still being tried; it cannot be replayed now",
    ),
    (
        "evaluation_system_frozen",
        "该指标体系已有评分，不能再修改指标",
        "Scores exist under this indicator system; its indicators can no longer change",
    ),
];

pub fn title(code: &str, lang: Lang) -> &'static str {
    let found = PROBLEM_CODES.iter().find(|(c, _, _)| *c == code);
    match (found, lang) {
        (Some((_, zh, _)), Lang::Zh) => zh,
        (Some((_, _, en)), Lang::En) => en,
        (None, Lang::Zh) => "请求未能完成",
        (None, Lang::En) => "The request could not be completed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_with_both_titles() {
        let mut seen = std::collections::HashSet::new();
        for (code, zh, en) in PROBLEM_CODES {
            assert!(seen.insert(code), "duplicate {code}");
            assert!(code.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{code}");
            assert!(!zh.is_empty() && !en.is_empty());
        }
    }

    #[test]
    fn titles_follow_the_language() {
        assert_eq!(title("not_found", Lang::Zh), "资源不存在");
        assert_eq!(title("not_found", Lang::En), "Not found");
    }
}
