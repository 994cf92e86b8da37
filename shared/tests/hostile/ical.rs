//! The iCalendar and recurrence cases of `hostile_inputs.rs`: huge, deep, folded and
//! malformed calendars, and rules that would expand without end.

use super::*;

/// iCalendar texts that attack the parser, read through a `file://` calendar.
pub(super) fn ical_cases(r: &mut Runner) {
    if r.wants("ical_nested_vevent_100k") {
        let mut text = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n");
        for i in 0..100_000 {
            let _ = write!(text, "BEGIN:VEVENT\r\nUID:n{i}\r\nDTSTART:20260301T100000Z\r\n");
        }
        text.push_str(&"END:VEVENT\r\n".repeat(100_000));
        text.push_str("END:VCALENDAR\r\n");
        let (dir, size) = IcsDir::new(text.as_bytes());
        r.run("ical_nested_vevent_100k", size, bound(32, 8 * MIB), move || {
            let body = dir.read(100).expect("a capped answer, not an error");
            let n = events_of(&body).len();
            assert!(n <= 1, "nested VEVENTs are not events of the calendar: {n}");
            format!("{n} events, skipped {:?}", skipped_codes(&body))
        });
    }
    if r.wants("ical_params_200k") {
        let params: String = (0..200_000).map(|i| format!(";X-P{i}=v")).collect();
        let text = ics(&format!(
            "BEGIN:VEVENT\r\nUID:params\r\nDTSTART:20260301T100000Z\r\nSUMMARY:Many params\r\n\
             ATTENDEE{params}:mailto:a@example.com\r\nEND:VEVENT\r\n"
        ));
        let (dir, size) = IcsDir::new(text.as_bytes());
        r.run("ical_params_200k", size, bound(32, 8 * MIB), move || {
            let body = dir.read(100).expect("an answer");
            assert_eq!(events_of(&body).len(), 1);
            "1 event".into()
        });
    }
    if r.wants("ical_folded_line_20mb") {
        let text = ics(&format!(
            "BEGIN:VEVENT\r\nUID:folded\r\nDTSTART:20260301T100000Z\r\nSUMMARY:Big\r\n{}END:VEVENT\r\n",
            folded("DESCRIPTION:", 20 * MIB)
        ));
        let (dir, size) = IcsDir::new(text.as_bytes());
        r.run("ical_folded_line_20mb", size, bound(0, 4 * MIB), move || {
            let body = dir.read(100).expect("a capped answer, not an error");
            assert_eq!(skipped_codes(&body), ["too_large"], "{}", body["skipped"]);
            "item skipped: too_large (files over 16 MiB are not read)".into()
        });
    }
    if r.wants("ical_folded_line_15mb_recurring") {
        // Under the 16 MiB item cap, and recurring daily: 365 occurrences in the window must
        // share the event's text, not copy 15 MB each.
        let text = ics(&format!(
            "BEGIN:VEVENT\r\nUID:folded-daily\r\nDTSTART:20260101T100000Z\r\nRRULE:FREQ=DAILY\r\n\
             SUMMARY:Daily\r\n{}END:VEVENT\r\n",
            folded("DESCRIPTION:", 15 * MIB)
        ));
        let (dir, size) = IcsDir::new(text.as_bytes());
        r.run("ical_folded_line_15mb_recurring", size, bound(8, 16 * MIB), move || {
            let body = dir.read(1000).expect("an answer");
            assert_eq!(events_of(&body).len(), 365);
            "365 occurrences".into()
        });
    }
    if r.wants("ical_attendees_100k_daily") {
        // 100,000 attendees (the per-event cap) on a daily series: each returned occurrence
        // lists them all, so the response is cut by its byte budget, not built 365 times.
        let mut vevent = String::from(
            "BEGIN:VEVENT\r\nUID:crowd\r\nDTSTART:20260101T100000Z\r\nRRULE:FREQ=DAILY\r\nSUMMARY:Crowd\r\n",
        );
        for i in 0..100_000 {
            let _ = write!(vevent, "ATTENDEE:mailto:p{i:06}@example.com\r\n");
        }
        vevent.push_str("END:VEVENT\r\n");
        let (dir, size) = IcsDir::new(ics(&vevent).as_bytes());
        r.run("ical_attendees_100k_daily", size, bound(32, 16 * MIB), move || {
            let body = dir.read(1000).expect("a capped answer");
            let n = events_of(&body).len();
            assert_eq!((n, body["truncated"].as_bool()), (1, Some(true)));
            assert_eq!(events_of(&body)[0]["attendees"].as_array().unwrap().len(), 100_000);
            format!("{n} of 365 occurrences (5 MiB response budget), truncated true")
        });
    }
    if r.wants("ical_invalid_utf8") {
        let mut bytes = ics(
            "BEGIN:VEVENT\r\nUID:utf8\r\nDTSTART:20260301T100000Z\r\nDURATION:PT1H\r\nSUMMARY:caf\u{1}\r\nEND:VEVENT\r\n",
        )
        .into_bytes();
        // Replace the marker with bytes that are not UTF-8 (a lone continuation byte, an
        // overlong encoding, a surrogate).
        let at = bytes.iter().position(|b| *b == 1).unwrap();
        bytes.splice(at..=at, [0xE9, 0x80, 0xC0, 0xAF, 0xED, 0xA0, 0x80, 0xFF]);
        let (dir, size) = IcsDir::new(&bytes);
        r.run("ical_invalid_utf8", size, bound(64, 8 * MIB), move || {
            let body = dir.read(100).expect("an answer");
            let summary = events_of(&body)[0]["summary"].as_str().unwrap().to_string();
            assert!(summary.starts_with("caf\u{FFFD}"), "{summary:?}");
            format!("1 event, summary {summary:?} (invalid bytes replaced)")
        });
    }
}

/// `NAME` + `bytes` of text folded into 75-octet lines.
fn folded(name: &str, bytes: usize) -> String {
    let mut out = String::with_capacity(bytes + bytes / 37 + 64);
    out.push_str(name);
    let mut line = name.len();
    for i in 0..bytes {
        if line == 75 {
            out.push_str("\r\n ");
            line = 1;
        }
        out.push(char::from(b'a' + (i % 26) as u8));
        line += 1;
    }
    out.push_str("\r\n");
    out
}

/// Recurrence rules that never end, end absurdly late, cannot happen, or exclude a lot.
pub(super) fn recurrence_cases(r: &mut Runner) {
    let max = kenny::capabilities::calendar::MAX_OCCURRENCES_PER_EVENT;
    let cases: [(&'static str, String, usize, bool, &'static [&'static str]); 5] = [
        // (name, VEVENT, expected events in 2026 with limit 10,000, truncated, skipped codes)
        (
            "rrule_secondly_no_end",
            "BEGIN:VEVENT\r\nUID:secondly\r\nDTSTART:20000101T000000Z\r\nRRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\n".into(),
            max,
            true,
            &[],
        ),
        (
            "rrule_count_1e9",
            "BEGIN:VEVENT\r\nUID:count\r\nDTSTART:20251201T000000Z\r\nDURATION:PT1M\r\n\
             RRULE:FREQ=MINUTELY;INTERVAL=7;COUNT=1000000000\r\nEND:VEVENT\r\n"
                .into(),
            max,
            true,
            &[],
        ),
        (
            "rrule_until_99991231",
            "BEGIN:VEVENT\r\nUID:until\r\nDTSTART:20200101T090000Z\r\nRRULE:FREQ=DAILY;UNTIL=99991231\r\nEND:VEVENT\r\n"
                .into(),
            365,
            false,
            &[],
        ),
        (
            "rrule_impossible_feb30",
            "BEGIN:VEVENT\r\nUID:feb30\r\nDTSTART:20260101T090000Z\r\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30\r\nEND:VEVENT\r\n"
                .into(),
            1,
            false,
            &["malformed_rule"],
        ),
        ("exdate_10k", exdates(10_000), 0, false, &[]),
    ];
    for (name, vevent, want, truncated, skipped) in cases {
        if !r.wants(name) {
            continue;
        }
        let (dir, size) = IcsDir::new(ics(&vevent).as_bytes());
        r.run(name, size, bound(64, 24 * MIB), move || {
            let body = dir.read(max).expect("an answer");
            let n = events_of(&body).len();
            assert_eq!(
                (n, body["truncated"].as_bool(), skipped_codes(&body)),
                (want, Some(truncated), skipped.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            );
            format!("{n} events, truncated {truncated}, skipped {skipped:?}")
        });
    }
}

/// An hourly series through 2026 with every one of its first `n` hours excluded (one EXDATE
/// line per value): nothing is left in 2026.
fn exdates(n: usize) -> String {
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
    let mut s = String::from(
        "BEGIN:VEVENT\r\nUID:exdates\r\nDTSTART:20260101T000000Z\r\nRRULE:FREQ=HOURLY;UNTIL=20261231T230000Z\r\n",
    );
    for h in 0..n {
        let t = start + chrono::Duration::hours(h as i64);
        let _ = write!(s, "EXDATE:{}\r\n", t.format("%Y%m%dT%H%M%SZ"));
    }
    s.push_str("END:VEVENT\r\n");
    s
}
