fn main() {
    // The supervised PDF worker is this same binary, re-invoked with a hidden first argument.
    if std::env::args().nth(1).as_deref() == Some("__pdf-worker") {
        std::process::exit(piasheet::pdf::worker_main());
    }
}
