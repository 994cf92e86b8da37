//! Predictive warming end to end in process: recorded request patterns in a timing store, the
//! warmer picks their window kinds and reads them into a shared cache, and another "container"
//! (a fresh calendar service over the same shared cache) answers those windows from L2.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use kenny::adapters::sources::FileCalendars;
use kenny::capabilities::calendar::CalendarService;
use kenny::capabilities::calendar::cache::CachePolicy;
use kenny::domain::plan::Capability;
use kenny::edges::warm::Warmer;
use kenny::ports::cache::{MemoryShared, SharedCache};
use kenny::ports::sources::CalendarSource;
use kenny::ports::timing::{MemoryStore, RecordKind, TimingRecord, TimingStore};
use kenny::wiring::app::Capabilities;
use serde_json::{Value, json};

const NY: chrono_tz::Tz = chrono_tz::America::New_York;

fn service(root: &std::path::Path, shared: Arc<dyn SharedCache>) -> CalendarService {
    let sources: Vec<Arc<dyn CalendarSource>> = vec![Arc::new(FileCalendars::new(root.to_path_buf()))];
    CalendarService::new(sources, NY, Duration::from_secs(5), CachePolicy::default(), Some(shared))
}

fn container(root: &std::path::Path, shared: Arc<dyn SharedCache>) -> Arc<Capabilities> {
    Arc::new(Capabilities { calendar: Some(service(root, shared)), contacts: None })
}

fn request(at: &str, kind: &str) -> TimingRecord {
    TimingRecord {
        request_id: format!("r-{at}"),
        kind: RecordKind::Request,
        capability: "coordinate".into(),
        at: DateTime::parse_from_rfc3339(at).unwrap().with_timezone(&Utc),
        status: "ok".into(),
        window_kind: Some(kind.into()),
        ..TimingRecord::default()
    }
}

fn tiers(body: &Value) -> Vec<String> {
    body["calendars"].as_array().unwrap().iter().map(|c| c["cache"].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_warmer_reads_the_recorded_windows_into_the_shared_cache() {
    let dir = tempfile::tempdir().unwrap();
    kenny::domain::sample::write_vdir(kenny::domain::sample::bundled(), dir.path()).unwrap();
    let root = dir.path().join("calendars");
    let shared: Arc<dyn SharedCache> = Arc::new(MemoryShared::default());

    // A week of mornings asking about next week around 9, and evenings asking about tomorrow.
    let timings = Arc::new(MemoryStore::default());
    for day in 21..=26 {
        timings.write(&[request(&format!("2026-11-{day}T09:10:00-05:00"), "next_week")]).await.unwrap();
        timings.write(&[request(&format!("2026-11-{day}T19:30:00-05:00"), "tomorrow")]).await.unwrap();
    }
    let warmer = Warmer::new(service(&root, shared.clone()), timings, NY);
    let now = DateTime::parse_from_rfc3339("2026-11-27T08:50:00-05:00").unwrap().with_timezone(&Utc);
    let report = serde_json::to_value(warmer.run(now).await.unwrap()).unwrap();
    let picked: Vec<&str> = report["picked"].as_array().unwrap().iter().map(|p| p["kind"].as_str().unwrap()).collect();
    assert_eq!(picked, vec!["next_week"], "{report}");
    let reads = report["reads"].as_array().unwrap();
    assert_eq!(reads[0]["window"]["start"], "2026-11-30T00:00:00-05:00");
    assert!(reads[0]["calendars"].as_array().unwrap().iter().all(|c| c["cache"] == "miss"), "{report}");

    // Another container, empty L1: next week comes from the shared cache; tomorrow was not warmed.
    let other = container(&root, shared);
    let read = |start: &str, end: &str| {
        let other = other.clone();
        let params = json!({"start": start, "end": end, "timezone": "America/New_York"});
        async move { other.invoke_json(Capability::CalendarRead, params, None).await.unwrap() }
    };
    let next_week = read("2026-11-30T00:00:00-05:00", "2026-12-07T00:00:00-05:00").await;
    assert!(tiers(&next_week).iter().all(|t| t == "l2"), "{next_week}");
    assert!(!next_week["events"].as_array().unwrap().is_empty());
}
