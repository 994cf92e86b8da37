//! The Lambda Invoke transport against a tiny local HTTP server that plays the Invoke API:
//! throttling and 5xx are retried (with backoff) while a function error is answered at once and
//! never retried — one function error must not become three invocations.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use kenny::ports::sources::CacheTier;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use kenny::adapters::aws::lambda::LambdaInvoke;
use kenny::domain::retry::Backoff;
use kenny::ports::contracts::{ReadRequest, ResolveRequest};
use kenny::ports::sibling::{Call, Sibling};
use serde_json::json;

/// A `calendar.read` call (what it asks does not matter: the server's replies are canned).
fn read() -> Call {
    Call::Read(ReadRequest {
        start: "2026-01-01".into(),
        end: "2026-01-02".into(),
        calendars: None,
        attendees: Vec::new(),
        text: None,
        timezone: None,
        limit: None,
    })
}

/// Serves one canned `(status, extra headers, body)` per request, in order (the last repeats),
/// and counts requests. Returns the endpoint URL.
fn server(replies: Vec<(u16, &'static str, String)>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let (status, headers, body) = replies[n.min(replies.len() - 1)].clone();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut len = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut request_body = vec![0; len];
            let _ = reader.read_exact(&mut request_body);
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, count)
}

async fn transport(url: &str) -> LambdaInvoke {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(url)
        .test_credentials()
        .load()
        .await;
    let backoff = Backoff { max_attempts: 4, base: Duration::from_millis(1), cap: Duration::from_millis(5) };
    LambdaInvoke::new(&sdk, "calendar-read".into(), "contacts-resolve".into(), backoff)
}

#[tokio::test]
async fn throttling_and_5xx_are_retried_until_an_answer() {
    let throttled =
        (429, "x-amzn-errortype: TooManyRequestsException\r\n", r#"{"message":"Rate exceeded"}"#.to_string());
    let broken = (503, "", r#"{"message":"Service unavailable"}"#.to_string());
    let ok = (200, "", json!({"query": "Bob", "resolved": null, "ambiguous": false, "candidates": []}).to_string());
    let (url, count) = server(vec![throttled, broken, ok]);
    let call = Call::Resolve(ResolveRequest { query: "Bob".into(), limit: None });
    let reply = transport(&url).await.call(call).await.unwrap();
    assert_eq!(reply.to_json().unwrap()["query"], "Bob");
    assert_eq!(reply.cache().map(CacheTier::name), Some("l1"));
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn retries_stop_after_the_last_attempt() {
    let (url, count) = server(vec![(503, "", r#"{"message":"down"}"#.to_string())]);
    let err = transport(&url).await.call(read()).await.unwrap_err();
    assert_eq!(err.code, "sibling_failed");
    assert_eq!(count.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_function_error_is_the_steps_error_and_is_not_retried() {
    // Real Lambda: 200 with X-Amz-Function-Error and our error body inside errorMessage.
    let body = json!({"errorType": "Retryable.source_unreachable",
                      "errorMessage": json!({"error": {"code": "source_unreachable", "message": "calendar down"}}).to_string()});
    let (url, count) = server(vec![(200, "x-amz-function-error: Unhandled\r\n", body.to_string())]);
    let err = transport(&url).await.call(read()).await.unwrap_err();
    assert_eq!((err.code.as_str(), err.message.as_str()), ("source_unreachable", "calendar down"));
    assert_eq!(count.load(Ordering::SeqCst), 1);

    // cargo lambda watch: HTTP 500 with {"errorType", "errorMessage"}.
    let body = json!({"errorType": "NonRetryable.source_not_found", "errorMessage": "not json"});
    let (url, count) = server(vec![(500, "", body.to_string())]);
    let err = transport(&url).await.call(read()).await.unwrap_err();
    assert_eq!(err.code, "source_not_found");
    assert_eq!(count.load(Ordering::SeqCst), 1);

    // A 4xx answer body in the contract's shape is the step's error too.
    let (url, count) = server(vec![(
        200,
        "",
        json!({"error": {"code": "invalid_request", "message": "bad", "field": "start"}}).to_string(),
    )]);
    let err = transport(&url).await.call(read()).await.unwrap_err();
    assert_eq!((err.code.as_str(), err.field.as_deref(), err.status), ("invalid_request", Some("start"), 400));
    assert_eq!(count.load(Ordering::SeqCst), 1);
}
