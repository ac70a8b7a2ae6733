//! `gongkai`, built as a binary of the end-to-end test package so that the tests can run the
//! current code as a separate process (see `e2e::child_server`).

fn main() -> std::process::ExitCode {
    api::cli::run()
}
