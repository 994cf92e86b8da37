//! `dav-server radicale|xandikos [DIR]`: starts one of the test harness's DAV servers on a free
//! loopback port, seeds it over HTTP with the reference data set of the DAV benchmarks, prints
//! one JSON line — `{"server", "url", "user", "password", "calendars", "events", "cards",
//! "seconds"}` — and keeps serving until its standard input is closed. `scripts/bench plain`
//! runs `scripts/bench-dav-plain.py` against it.
//!
//! The reference data is `kenny_tests::reference` (5 calendars × 1,000 events, 2,003 cards).
//! With DIR the vdir is also kept there (for the same data as files).

use std::io::Read as _;
use std::time::Instant;

use kenny::domain::sample::write_vdir;
use kenny_tests::{DAV_PASSWORD, DAV_USER, radicale, xandikos};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let which = args.first().map(String::as_str).unwrap_or("");
    let keep = args.get(1).map(std::path::PathBuf::from);
    let set = kenny_tests::reference::reference_set();
    let temp = tempfile::tempdir().expect("temporary folder");
    let root = keep.unwrap_or_else(|| temp.path().to_path_buf());
    write_vdir(&set, &root).expect("writing the vdir");
    let calendars = set.calendars.len();
    let events: usize = set.calendars.iter().map(|c| c.items.len()).sum();
    let cards = set.contacts.len();
    let started = Instant::now();
    // Both servers kept in scope until stdin closes.
    let (url, _radicale, _xandikos) = match which {
        "radicale" => {
            let r = radicale();
            r.seed_vdir(&root);
            (r.base_url(), Some(r), None)
        }
        "xandikos" => {
            let x = xandikos();
            x.seed_vdir(&root);
            (x.base_url(), None, Some(x))
        }
        _ => {
            eprintln!("usage: dav-server radicale|xandikos [DIR]");
            std::process::exit(2);
        }
    };
    let line = serde_json::json!({
        "server": which,
        "url": url,
        "user": DAV_USER,
        "password": DAV_PASSWORD,
        "calendars": calendars,
        "events": events,
        "cards": cards,
        "seconds": started.elapsed().as_secs_f64().round(),
    });
    println!("{line}");
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}
