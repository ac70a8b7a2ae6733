//! `scan-test-logs DIR [--min-lines N]`: fails when any log line in DIR holds a secret or a
//! personal datum (see `e2e::log_scan`), or when fewer than N lines were captured (a scan of
//! nothing proves nothing).

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        eprintln!("usage: scan-test-logs DIR [--min-lines N]");
        return ExitCode::from(2);
    };
    let min_lines = match args.iter().position(|a| a == "--min-lines") {
        Some(i) => match args.get(i + 1).and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => n,
            None => {
                eprintln!("--min-lines needs a number");
                return ExitCode::from(2);
            }
        },
        None => 1,
    };
    let summary = match e2e::log_scan::scan_dir(std::path::Path::new(dir)) {
        Ok(summary) => summary,
        Err(err) => {
            eprintln!("cannot read the logs in {dir}: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "scanned {} log lines ({} access lines) in {} files for secrets and personal data: {} found",
        summary.lines,
        summary.access_lines,
        summary.files,
        summary.findings.len()
    );
    for finding in summary.findings.iter().take(50) {
        eprintln!("{}:{}: {}", finding.file, finding.line, finding.kind);
    }
    if !summary.findings.is_empty() {
        return ExitCode::FAILURE;
    }
    if summary.lines < min_lines {
        eprintln!("only {} lines were captured, fewer than {min_lines}: the capture is not working", summary.lines);
        return ExitCode::FAILURE;
    }
    if min_lines > 1 && (summary.access_lines == 0 || summary.staff_access_lines == 0) {
        eprintln!(
            "{} access lines, {} of them naming a staff caller: the access log is not being captured",
            summary.access_lines, summary.staff_access_lines
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
