//! Unit tests of the module as a whole (the corpus test covers behaviour case by case).

#[test]
fn timing_probe() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/ical/hostile.ics")).unwrap();
    let parts: Vec<&str> = text.split("BEGIN:VEVENT").collect();
    for p in &parts[1..] {
        let one = format!("BEGIN:VCALENDAR\nBEGIN:VEVENT{}", p.replace("END:VCALENDAR", ""));
        let one = format!("{one}\nEND:VCALENDAR\n");
        let cal = super::parse(&one);
        let w = crate::time::Window::parse("2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z", chrono_tz::UTC).unwrap();
        let t = std::time::Instant::now();
        let e = cal.expand(&super::ExpandOptions { window: w, floating_tz: chrono_tz::UTC, max_per_event: 3 });
        println!("{:?} {} {:?}", t.elapsed(), e.occurrences.len(), p.lines().nth(1));
    }
}
