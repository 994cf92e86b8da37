//! This function's Lambda wiring (lambda_runtime, API Gateway events) is issue 3. Until then the
//! binary only says so: it handles no events, so nothing can mistake it for a working function.

fn main() {
    eprintln!("not wired to the Lambda runtime yet (issue 3); use the `kenny` CLI");
    std::process::exit(1);
}
