//! Writing sample events as iCalendar text: one VEVENT, one series as a vdir item file, with
//! the VTIMEZONE blocks of the two zones the sample uses.

use std::fmt::Write as _;

use chrono::NaiveDate;

use super::people::Person;

pub(super) const VTZ_NEW_YORK: &str = "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nTZNAME:EDT\r\nDTSTART:19700308T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nTZNAME:EST\r\nDTSTART:19701101T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";
pub(super) const VTZ_BERLIN: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";

pub(super) const NY: Zone = Zone::Tzid("America/New_York");
pub(super) const BERLIN: Zone = Zone::Tzid("Europe/Berlin");

/// How an event's times are written.
#[derive(Debug, Clone, Copy)]
pub(super) enum Zone {
    Tzid(&'static str),
    Floating,
}

/// One VEVENT to write.
#[derive(Debug, Clone, Default)]
pub(super) struct Ev {
    pub(super) uid: String,
    pub(super) summary: String,
    pub(super) description: Option<String>,
    pub(super) location: Option<String>,
    /// `YYYYMMDDTHHMMSS` or `YYYYMMDD` (all-day).
    pub(super) start: String,
    /// DTEND (same form as start).
    pub(super) end: Option<String>,
    pub(super) duration: Option<&'static str>,
    pub(super) rrule: Option<String>,
    pub(super) exdates: Vec<String>,
    pub(super) recurrence_id: Option<String>,
    pub(super) status: Option<&'static str>,
    pub(super) transparent: bool,
    pub(super) organizer: Option<usize>,
    pub(super) attendees: Vec<usize>,
    /// Attendees (indices also in `attendees`) who declined.
    pub(super) declined: Vec<usize>,
    pub(super) sequence: u32,
}

pub(super) fn date_value(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

pub(super) fn dt_value(d: NaiveDate, h: u32, m: u32) -> String {
    format!("{}T{h:02}{m:02}00", date_value(d))
}

fn write_event(s: &mut String, ev: &Ev, zone: Zone, people: &[Person]) {
    let all_day = !ev.start.contains('T');
    let prop = |name: &str, v: &str| -> String {
        if all_day {
            format!("{name};VALUE=DATE:{v}\r\n")
        } else {
            match zone {
                Zone::Tzid(tz) => format!("{name};TZID={tz}:{v}\r\n"),
                Zone::Floating => format!("{name}:{v}\r\n"),
            }
        }
    };
    let _ = write!(s, "BEGIN:VEVENT\r\nUID:{}\r\nDTSTAMP:20260101T000000Z\r\nSEQUENCE:{}\r\n", ev.uid, ev.sequence);
    if let Some(r) = &ev.recurrence_id {
        s.push_str(&prop("RECURRENCE-ID", r));
    }
    s.push_str(&prop("DTSTART", &ev.start));
    if let Some(e) = &ev.end {
        s.push_str(&prop("DTEND", e));
    }
    if let Some(d) = ev.duration {
        let _ = write!(s, "DURATION:{d}\r\n");
    }
    if let Some(r) = &ev.rrule {
        let _ = write!(s, "RRULE:{r}\r\n");
    }
    for x in &ev.exdates {
        s.push_str(&prop("EXDATE", x));
    }
    let _ = write!(s, "SUMMARY:{}\r\n", escape(&ev.summary));
    if let Some(d) = &ev.description {
        let _ = write!(s, "DESCRIPTION:{}\r\n", escape(d));
    }
    if let Some(l) = &ev.location {
        let _ = write!(s, "LOCATION:{}\r\n", escape(l));
    }
    if let Some(st) = ev.status {
        let _ = write!(s, "STATUS:{st}\r\n");
    }
    if ev.transparent {
        s.push_str("TRANSP:TRANSPARENT\r\n");
    }
    if let Some(o) = ev.organizer.and_then(|i| people.get(i)) {
        let _ = write!(s, "ORGANIZER;CN=\"{}\":mailto:{}\r\n", o.full(), o.emails[0]);
    }
    for (i, p) in ev.attendees.iter().filter_map(|&i| people.get(i).map(|p| (i, p))) {
        let partstat = if ev.declined.contains(&i) { "DECLINED" } else { "ACCEPTED" };
        let _ = write!(s, "ATTENDEE;CN=\"{}\";PARTSTAT={partstat}:mailto:{}\r\n", p.full(), p.emails[0]);
    }
    s.push_str("END:VEVENT\r\n");
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace(',', "\\,").replace(';', "\\;").replace('\n', "\\n")
}

/// One series (master and its overrides) as a vdir item file.
pub(super) fn item(events: &[Ev], zone: Zone, people: &[Person]) -> (String, String) {
    let mut s = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Kenny//Sample data//EN\r\n");
    if let Zone::Tzid(tz) = zone {
        s.push_str(if tz == "Europe/Berlin" { VTZ_BERLIN } else { VTZ_NEW_YORK });
    }
    for ev in events {
        write_event(&mut s, ev, zone, people);
    }
    s.push_str("END:VCALENDAR\r\n");
    let uid = events.first().map(|e| e.uid.clone()).unwrap_or_default();
    (format!("{uid}.ics"), s)
}

pub(super) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
}
