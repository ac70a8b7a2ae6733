//! Shared pieces of the benchmark binaries: latency summaries and seeded Chinese text.

use std::time::Duration;

use rand::seq::SliceRandom;
use rand::Rng;

/// Throughput and latency percentiles of a set of timed operations.
pub struct Summary {
    pub count: usize,
    pub errors: usize,
    pub seconds: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Summary {
    pub fn of(mut samples: Vec<Duration>, errors: usize, elapsed: Duration) -> Summary {
        samples.sort_unstable();
        let pct = |p: f64| -> f64 {
            if samples.is_empty() {
                return 0.0;
            }
            let i = ((samples.len() as f64 * p).ceil() as usize).clamp(1, samples.len()) - 1;
            samples[i].as_secs_f64() * 1000.0
        };
        Summary {
            count: samples.len(),
            errors,
            seconds: elapsed.as_secs_f64(),
            p50_ms: pct(0.50),
            p95_ms: pct(0.95),
            p99_ms: pct(0.99),
            max_ms: samples.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        }
    }

    pub fn json(&self, extra: serde_json::Value) -> serde_json::Value {
        let mut v = serde_json::json!({
            "count": self.count,
            "errors": self.errors,
            "seconds": self.seconds,
            "throughput": self.count as f64 / self.seconds.max(1e-9),
            "p50_ms": self.p50_ms,
            "p95_ms": self.p95_ms,
            "p99_ms": self.p99_ms,
            "max_ms": self.max_ms,
        });
        if let (Some(map), serde_json::Value::Object(more)) = (v.as_object_mut(), extra) {
            map.extend(more);
        }
        v
    }
}

const PLACES: &[&str] =
    &["元马镇", "黄瓜园镇", "羊街镇", "老城乡", "物茂乡", "江边乡", "新华乡", "平田乡", "凉山乡", "姜驿乡"];
const TOPICS: &[&str] = &[
    "城乡居民最低生活保障资金发放情况",
    "巩固拓展脱贫攻坚成果同乡村振兴有效衔接项目资金安排",
    "农村危房改造补助对象名单",
    "耕地地力保护补贴发放明细",
    "城乡居民基本医疗保险参保缴费标准",
    "征地补偿安置方案及补偿标准",
    "建设项目环境影响评价审批结果",
    "义务教育学校招生划片范围",
    "高标准农田建设项目招标投标情况",
    "临时救助资金使用情况",
];

/// A disclosure-request description, seeded.
pub fn request_description<R: Rng>(rng: &mut R) -> String {
    let year = rng.gen_range(2021..=2026);
    format!(
        "申请公开{}{}年{}，包括相关文件、名单及资金拨付凭证。",
        PLACES.choose(rng).unwrap(),
        year,
        TOPICS.choose(rng).unwrap()
    )
}

const SURNAMES: &[&str] =
    &["张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭"];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀英", "建华",
    "志强",
];

pub fn person_name<R: Rng>(rng: &mut R) -> String {
    format!("{}{}", SURNAMES.choose(rng).unwrap(), GIVEN.choose(rng).unwrap())
}

/// A resident identity number (GB 11643) with a valid check character; `serial` makes it unique.
pub fn identity_number(serial: u32) -> String {
    // 532322 is 元谋县; birth dates spread over 1950–2005; the sequence code carries the serial.
    let day = serial % 28 + 1;
    let month = (serial / 28) % 12 + 1;
    let year = 1950 + (serial / 336) % 56;
    let seq = (serial / (336 * 56)) % 1000;
    let body = format!("532322{year:04}{month:02}{day:02}{seq:03}");
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.chars().zip(WEIGHTS).map(|(c, w)| c.to_digit(10).unwrap() * w).sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{check}")
}

/// The JSON body of one online disclosure request; unique per `serial` (so the per-applicant
/// daily limit never trips).
pub fn request_body<R: Rng>(rng: &mut R, serial: u32, organizations: &[String]) -> serde_json::Value {
    serde_json::json!({
        "organization_id": organizations.choose(rng).unwrap(),
        "applicant_type": "natural_person",
        "name": person_name(rng),
        "identity_document_type": "resident_identity_card",
        "identity_number": identity_number(serial),
        "phone": format!("1{}{:09}", rng.gen_range(30..=99), rng.gen_range(0..1_000_000_000u32)),
        "description": request_description(rng),
        "information_form": "electronic",
        "delivery_method": "online",
    })
}
