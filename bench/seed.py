#!/usr/bin/env python3
"""Seeds a migrated Gongkai database with a county, reproducibly from a seed (issue 11).

Writes one psql script on stdout: COPY blocks for 50 organizations, one officer per organization,
N documents (about 6 in 7 published with a public attribute, the rest drafts, submissions and
filed on-request or not-public documents), their confirmation-free secrecy reviews, initial
interpretations of policy documents (published with their document), and one audit row per
document. Run it in one transaction (`psql -1`): the deferred outbox triggers then write the
outbox rows at commit, exactly as the product's own publication would, and the search columns
are computed by the product's triggers from the same search_terms() it uses.

Document ids are UUIDv7-shaped and computed from the document's number n (1..N):
    ts = BASE_MS + n * step_ms   (48-bit milliseconds, so ids ascend with creation time)
    id = ts[0:8]-ts[8:12]-7000-8000-<n as 12 hex digits>
so that pgbench can build the id of document n in SQL (bench/pgbench/*.sql) without a lookup.
Document n is public unless n % 7 == 0.

Disclosure requests are not seeded here: their identity numbers and contacts are sealed with the
server's key, so bench/run files them through the public API (bench-driver requests).
"""

import argparse
import datetime as dt
import random
import sys
import uuid

BASE_MS = 1546300800000  # 2019-01-01T00:00:00Z
SPAN_MS = 7 * 365 * 24 * 3600 * 1000  # seven years of documents

COUNTY = "元谋县"
DEPARTMENTS = [
    ("发展和改革局", "元发改"), ("教育体育局", "元教体"), ("科学技术和工业信息化局", "元科工信"), ("公安局", "元公"),
    ("民政局", "元民"), ("司法局", "元司"), ("财政局", "元财"), ("人力资源和社会保障局", "元人社"),
    ("自然资源局", "元自然资源"), ("住房和城乡建设局", "元住建"), ("交通运输局", "元交"), ("水务局", "元水"),
    ("农业农村局", "元农"), ("商务局", "元商"), ("文化和旅游局", "元文旅"), ("卫生健康局", "元卫健"),
    ("退役军人事务局", "元退役军人"), ("应急管理局", "元应急"), ("审计局", "元审"), ("市场监督管理局", "元市监"),
    ("统计局", "元统"), ("医疗保障局", "元医保"), ("林业和草原局", "元林草"), ("乡村振兴局", "元乡振"),
    ("生态环境分局", "元环"), ("税务局", "元税"), ("信访局", "元信访"), ("能源局", "元能源"),
    ("粮食和物资储备局", "元粮储"), ("政务服务管理局", "元政务服务"), ("民族宗教事务局", "元民宗"),
    ("残疾人联合会", "元残联"), ("地方志办公室", "元史志"), ("机关事务管理局", "元机关事务"),
    ("国有资产监督管理局", "元国资"), ("城市管理局", "元城管"), ("融媒体中心", "元融媒"), ("供销合作社", "元供销"),
]
TOWNSHIPS = ["元马镇", "黄瓜园镇", "羊街镇", "老城乡", "物茂乡", "江边乡", "新华乡", "平田乡", "凉山乡", "姜驿乡"]

# Each document has a theme; its sentences come from the theme and from a common pool.
THEMES = [
    ("扶贫", ["产业扶贫项目资金", "扶贫小额信贷", "易地扶贫搬迁后续扶持", "消费扶贫专项行动"]),
    ("乡村振兴", ["乡村振兴重点帮扶村", "乡村振兴衔接资金", "和美乡村建设", "乡村振兴示范点"]),
    ("低保", ["城乡居民最低生活保障", "低保对象动态管理", "特困人员救助供养", "临时救助"]),
    ("医保", ["城乡居民基本医疗保险", "医保基金监管", "门诊慢特病待遇", "医保定点医药机构"]),
    ("教育", ["义务教育阶段招生", "学生资助资金", "农村义务教育学生营养改善计划", "学前教育普惠发展"]),
    ("就业", ["高校毕业生就业创业", "农村劳动力转移就业", "公益性岗位开发管理", "职业技能培训补贴"]),
    ("农业", ["高标准农田建设", "耕地地力保护补贴", "冬早蔬菜产业发展", "农作物病虫害防治"]),
    ("水利", ["农村饮水安全巩固提升", "河湖长制工作", "小型水库除险加固", "灌区续建配套与节水改造"]),
    ("交通", ["农村公路建设养护", "客运站场建设", "道路交通安全整治", "四好农村路示范创建"]),
    ("住建", ["农村危房改造", "城镇老旧小区改造", "保障性租赁住房", "建筑施工安全生产"]),
    ("环保", ["大气污染防治", "土壤污染防治", "生态保护红线管控", "环境影响评价审批"]),
    ("卫生", ["基本公共卫生服务", "家庭医生签约服务", "传染病疫情防控", "县域医共体建设"]),
    ("应急", ["森林草原防灭火", "地质灾害防治", "防汛抗旱", "安全生产专项整治三年行动"]),
    ("市场", ["食品安全监督抽检", "特种设备安全监察", "营商环境优化提升", "个体工商户培育"]),
    ("财政", ["预算绩效管理", "政府采购意向公开", "县级财政预决算公开", "惠民惠农财政补贴资金一卡通"]),
    ("文旅", ["非物质文化遗产保护", "元谋人遗址保护利用", "全域旅游发展", "公共文化服务体系建设"]),
    ("林草", ["公益林生态效益补偿", "退耕还林成果巩固", "林长制工作", "草原生态保护补助奖励"]),
    ("民政", ["困难残疾人生活补贴", "养老服务体系建设", "殡葬改革", "婚姻登记服务"]),
    ("征地", ["集体土地征收补偿安置", "国有土地上房屋征收", "国土空间规划编制", "不动产登记"]),
    ("政务", ["政务公开标准化规范化", "一网通办", "12345政务服务便民热线", "政务服务事项清单"]),
]
COMMON = [
    "为深入贯彻落实党中央、国务院决策部署和省委、省政府工作要求，结合我县实际，制定本方案",
    "各乡（镇）人民政府、县直各部门要高度重视，切实加强组织领导，明确责任分工，确保各项任务落到实处",
    "坚持以人民为中心的发展思想，统筹发展和安全，推动经济社会高质量发展",
    "县财政局要加强资金保障，严格资金管理，确保专款专用，提高资金使用效益",
    "各责任单位要建立健全工作台账，实行清单化管理、项目化推进，按季度报送工作进展情况",
    "县政府督查室将适时开展专项督查，对工作推进不力、敷衍塞责的单位和个人严肃追责问责",
    "本通知自印发之日起施行，有效期五年，此前有关规定与本通知不一致的，以本通知为准",
    "各地各部门要加强政策宣传解读，及时回应社会关切，营造良好舆论氛围",
    "要严格落实政府信息公开有关规定，依法依规做好相关信息主动公开工作",
    "巩固拓展脱贫攻坚成果同乡村振兴有效衔接，守住不发生规模性返贫的底线",
    "执行中遇到的问题，请及时向县人民政府办公室反馈",
    "坚持问题导向和目标导向，聚焦群众急难愁盼问题，持续改善民生福祉",
    "加强部门协调联动，形成工作合力，建立定期会商和信息共享机制",
    "严格落实安全生产责任制，坚决防范和遏制重特大事故发生",
]
VERBS = ["进一步做好", "切实加强", "全面推进", "扎实开展", "规范", "加快推进", "深入实施", "做好"]
KINDS = ["通知", "实施方案", "意见", "管理办法", "工作方案", "公告", "通告", "批复"]
CATEGORIES = ["decision", "execution", "management", "service", "result"]


def doc_id(n, step_ms):
    ts = f"{BASE_MS + n * step_ms:012x}"
    return f"{ts[0:8]}-{ts[8:12]}-7000-8000-{n:012x}"


def ts_of(n, step_ms):
    return dt.datetime.fromtimestamp((BASE_MS + n * step_ms) / 1000, tz=dt.timezone.utc)


def esc(value):
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (list, tuple)):
        return "{" + ",".join(str(v) for v in value) + "}"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def row(values):
    return "\t".join(esc(v) for v in values) + "\n"


def sentence(rng, theme_words):
    phrase = rng.choice(theme_words)
    kind = rng.random()
    if kind < 0.35:
        return f"{rng.choice(VERBS)}{phrase}工作，{rng.choice(COMMON)}"
    if kind < 0.6:
        return f"到{rng.randint(2025, 2030)}年，全县{phrase}覆盖率达到{rng.randint(60, 99)}%以上，累计投入资金{rng.randint(100, 9999)}万元"
    if kind < 0.8:
        return f"{rng.choice(TOWNSHIPS)}要结合实际，围绕{phrase}制定具体措施，于{rng.randint(1, 12)}月{rng.randint(1, 28)}日前报送县级主管部门"
    return rng.choice(COMMON)


def body(rng, theme_words, target_chars):
    parts = []
    size = 0
    numerals = "一二三四五六七八九十"
    i = 0
    while size < target_chars:
        if i % 4 == 0 and i // 4 < len(numerals):
            head = f"{numerals[i // 4]}、{rng.choice(VERBS)}{rng.choice(theme_words)}。"
            parts.append(head)
            size += len(head)
        s = sentence(rng, theme_words) + "。"
        parts.append(s)
        size += len(s)
        i += 1
    return "".join(parts)


def attachments(out, n_docs, seed):
    """About 30% of public documents carry one file (a PDF of the signed document): only the
    rows, since the public read path lists them without reading the bytes (no object is stored)."""
    rng = random.Random(seed ^ 0xA77AC4)
    step_ms = SPAN_MS // n_docs
    out.write("COPY attachments (id, owner_type, owner_id, filename, media_type, size_bytes, sha256, storage_key, created_at) FROM stdin;\n")
    count = 0
    for n in range(1, n_docs + 1):
        if n % 7 == 0 or rng.random() >= 0.3:
            continue
        aid = f"{BASE_MS + n * step_ms + 1:012x}"
        aid = f"{aid[0:8]}-{aid[8:12]}-7000-9000-{n:012x}"
        digest = f"{rng.getrandbits(256):064x}"
        out.write(row([aid, "document", doc_id(n, step_ms), f"附件{rng.randint(1, 3)}.pdf", "application/pdf",
                       rng.randint(40_000, 3_000_000), digest, f"bench/{aid}", ts_of(n, step_ms)]))
        count += 1
    out.write("\\.\n")
    return count


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--documents", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=20261127)
    ap.add_argument("--body-chars", type=int, default=500, help="about 3 bytes each in UTF-8")
    ap.add_argument("--only-attachments", action="store_true",
                    help="emit only the attachment rows (for a database seeded before they were added)")
    args = ap.parse_args()
    if args.only_attachments:
        attachments(sys.stdout, args.documents, args.seed)
        return
    rng = random.Random(args.seed)
    n_docs = args.documents
    step_ms = SPAN_MS // n_docs
    out = sys.stdout
    ns = uuid.UUID("6f1d0c2e-0000-4000-8000-00000000b11c")

    # Organizations: the county government, its office, 38 departments, 10 townships.
    county = str(uuid.uuid5(ns, "county"))
    orgs = [(county, f"{COUNTY}人民政府", "county_government", None, "元政")]
    orgs.append((str(uuid.uuid5(ns, "office")), f"{COUNTY}人民政府办公室", "government_office", county, "元政办"))
    for name, abbr in DEPARTMENTS:
        orgs.append((str(uuid.uuid5(ns, name)), f"{COUNTY}{name}", "department", county, abbr))
    for name in TOWNSHIPS:
        orgs.append((str(uuid.uuid5(ns, name)), f"{COUNTY}{name}人民政府", "township", county, name[:2]))
    assert len(orgs) == 50
    authority = {"county_government": "county_government", "government_office": "government_office",
                 "department": "department", "township": "township"}
    created = "2019-01-01 00:00:00+00"
    out.write("COPY organizations (id, name, kind, parent_id, principal_name, created_at, updated_at) FROM stdin;\n")
    for oid, name, kind, parent, _ in orgs:
        out.write(row([oid, name, kind, parent, rng.choice("张王李赵刘陈杨") + rng.choice(["伟", "军", "华", "明"]), created, created]))
    out.write("\\.\n")

    # One officer per organization (never logs in: the hash is not a valid PHC string).
    officers = {}
    out.write("COPY users (id, username, password_hash, display_name, organization_id, roles, created_at, updated_at) FROM stdin;\n")
    for i, (oid, name, _, _, _) in enumerate(orgs):
        uid = str(uuid.uuid5(ns, f"user-{i}"))
        officers[oid] = uid
        out.write(row([uid, f"seed.officer{i:02d}", "!seeded-no-login", f"{name}公开专员",
                       oid, ["drafter", "openness_officer", "principal"], created, created]))
    out.write("\\.\n")

    # Documents, written to three buffers so each table is one COPY.
    doc_cols = ("id, doc_number, title, body, issuing_org_id, county_id, issuing_authority, lead_drafting_org_id, "
                "drafting_org_ids, involved_org_ids, is_policy, category, doc_kind, disclosure, disclosure_reason, "
                "legal_basis, exemption, status, formed_on, publish_due_on, published_at, created_by, "
                "created_at, updated_at")
    interp_cols = ("id, document_id, stage, status, responsible_org_id, title, forms, background_basis, objectives, "
                   "main_content, interpreter_user_id, signed_by, signed_at, published_at, created_at, updated_at")
    review_cols = "id, document_id, kind, passed, comment, revision, reviewer_id, organization_id, created_at"
    audit_cols = "occurred_at, actor_kind, actor_id, action, entity_type, entity_id, changed_fields, details"
    docs, interps, reviews, audits = [], [], [], []
    # Departments and townships issue most documents; the government and its office some.
    weights = [3, 6] + [1.4] * len(DEPARTMENTS) + [1.0] * len(TOWNSHIPS)
    for n in range(1, n_docs + 1):
        oid, oname, okind, _, abbr = rng.choices(orgs, weights)[0]
        theme, words = THEMES[rng.randrange(len(THEMES))]
        created_at = ts_of(n, step_ms)
        year = created_at.year
        title = f"{oname}关于{rng.choice(VERBS)}{rng.choice(words)}工作的{rng.choice(KINDS)}"
        if rng.random() < 0.3:
            title = f"{oname}关于印发《{COUNTY}{year}年{rng.choice(words)}{rng.choice(['实施方案', '工作要点', '管理办法'])}》的通知"
        text = body(rng, words, args.body_chars)
        public = n % 7 != 0
        is_policy = public and rng.random() < 0.12
        category = rng.choice(CATEGORIES)
        doc_kind = "normative" if is_policy and rng.random() < 0.5 else "other"
        formed = (created_at + dt.timedelta(days=rng.randint(1, 10))).date()
        officer = officers[oid]
        id_ = doc_id(n, step_ms)
        if public:
            disclosure = rng.choice(["proactive", "proactive", "proactive", "public_release"])
            status, reason, basis, exemption = "published", None, None, None
            published_at = dt.datetime.combine(formed, dt.time(1, 30), dt.timezone.utc) + dt.timedelta(days=rng.randint(0, 15), minutes=rng.randint(0, 600))
            due = formed + dt.timedelta(days=28)
        else:
            choice = rng.random()
            if choice < 0.5:
                disclosure, status = rng.choice([("on_request", "filed"), ("not_public", "filed")])
                reason = "涉及特定对象的个人信息" if disclosure == "on_request" else "属于内部事务信息"
                basis = "《中华人民共和国政府信息公开条例》第十五条" if disclosure == "on_request" else "《中华人民共和国政府信息公开条例》第十六条"
                exemption = "third_party" if disclosure == "on_request" else "internal_affairs"
            else:
                disclosure, status = "proactive", rng.choice(["draft", "submitted", "approved"])
                reason = basis = exemption = None
            published_at = None
            if status == "draft" or status == "submitted":
                formed = None
            due = formed + dt.timedelta(days=28) if formed and disclosure == "proactive" else None
        docs.append(row([
            id_, f"{abbr}发〔{year}〕{n}号", title, text, oid, county, authority.get(okind, "department"), oid,
            [oid], [], is_policy, category, doc_kind, disclosure, reason, basis, exemption, status,
            formed, due, published_at, officer, created_at, published_at or created_at,
        ]))
        if status == "published":
            reviews.append(row([str(uuid.uuid5(ns, f"review-{n}")), id_, "secrecy", True, "未发现涉密内容", 1,
                                officer, oid, published_at]))
            audits.append(row([published_at, "user", officer, "document.publish", "document", id_,
                               ["status", "published_at"], "{}"]))
        else:
            audits.append(row([created_at, "user", officer, "document.create", "document", id_, [], "{}"]))
        if is_policy:
            iid = str(uuid.uuid5(ns, f"interp-{n}"))
            main = body(rng, words, 300)
            interps.append(row([
                iid, id_, "initial", "published", oid, f"《{title}》政策解读", ["article", "qa"],
                f"为贯彻落实上级关于{rng.choice(words)}的部署要求，结合我县实际制定。", f"进一步{rng.choice(VERBS)}{rng.choice(words)}。",
                main, officer, officer, published_at, published_at, published_at, published_at,
            ]))
    out.write(f"COPY documents ({doc_cols}) FROM stdin;\n")
    out.writelines(docs)
    out.write("\\.\n")
    out.write(f"COPY interpretations ({interp_cols}) FROM stdin;\n")
    out.writelines(interps)
    out.write("\\.\n")
    out.write(f"COPY document_reviews ({review_cols}) FROM stdin;\n")
    out.writelines(reviews)
    out.write("\\.\n")
    out.write(f"COPY audit_log ({audit_cols}) FROM stdin;\n")
    out.writelines(audits)
    out.write("\\.\n")
    n_att = attachments(out, n_docs, args.seed)
    print(f"seeded {n_docs} documents ({sum(1 for n in range(1, n_docs + 1) if n % 7)} public), "
          f"{len(interps)} interpretations, {n_att} attachments, {len(orgs)} organizations", file=sys.stderr)


if __name__ == "__main__":
    main()
