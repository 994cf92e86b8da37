//! The time grammar phrase by phrase, relative to Friday 2026-11-27 10:00 in Berlin.

use super::*;
use crate::question::token::tokenize;
use chrono::TimeZone;

/// Friday 2026-11-27 10:00 in Berlin.
fn now() -> DateTime<Tz> {
    chrono_tz::Europe::Berlin.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap()
}

/// The single window the phrase sets, as "start/end" in RFC 3339, plus the phrase tokens.
fn win_at(q: &str, now: DateTime<Tz>) -> String {
    let toks = tokenize(q);
    let found = find(&toks, now);
    let Some(p) = found.iter().find(|p| p.span.is_some()) else {
        return "none".into();
    };
    let s = p.span.unwrap();
    let phrase = &q[toks[p.first].start..toks[p.end - 1].end];
    format!("{} {}/{}", phrase, s.start.to_rfc3339(), s.end.to_rfc3339())
}

fn win(q: &str) -> String {
    win_at(q, now())
}

#[test]
fn days() {
    assert_eq!(win("today"), "today 2026-11-27T00:00:00+01:00/2026-11-28T00:00:00+01:00");
    assert_eq!(win("tomorrow"), "tomorrow 2026-11-28T00:00:00+01:00/2026-11-29T00:00:00+01:00");
    assert_eq!(win("yesterday"), "yesterday 2026-11-26T00:00:00+01:00/2026-11-27T00:00:00+01:00");
    assert_eq!(win("tonight"), "tonight 2026-11-27T18:00:00+01:00/2026-11-28T00:00:00+01:00");
    assert_eq!(
        win("the day after tomorrow"),
        "the day after tomorrow 2026-11-29T00:00:00+01:00/2026-11-30T00:00:00+01:00"
    );
    assert_eq!(win("Today's"), "Today's 2026-11-27T00:00:00+01:00/2026-11-28T00:00:00+01:00");
}

#[test]
fn parts_of_day() {
    assert_eq!(win("this morning"), "this morning 2026-11-27T09:00:00+01:00/2026-11-27T12:00:00+01:00");
    assert_eq!(win("this afternoon"), "this afternoon 2026-11-27T12:00:00+01:00/2026-11-27T17:00:00+01:00");
    assert_eq!(win("this evening"), "this evening 2026-11-27T17:00:00+01:00/2026-11-27T21:00:00+01:00");
    assert_eq!(win("tomorrow morning"), "tomorrow morning 2026-11-28T09:00:00+01:00/2026-11-28T12:00:00+01:00");
    assert_eq!(win("last night"), "last night 2026-11-26T18:00:00+01:00/2026-11-27T00:00:00+01:00");
    assert_eq!(win("on Monday afternoon"), "on Monday afternoon 2026-11-30T12:00:00+01:00/2026-11-30T17:00:00+01:00");
    assert_eq!(
        win("tomorrow in the evening"),
        "tomorrow in the evening 2026-11-28T17:00:00+01:00/2026-11-28T21:00:00+01:00"
    );
}

#[test]
fn weeks_and_weekends() {
    assert_eq!(win("this week"), "this week 2026-11-23T00:00:00+01:00/2026-11-30T00:00:00+01:00");
    assert_eq!(win("next week"), "next week 2026-11-30T00:00:00+01:00/2026-12-07T00:00:00+01:00");
    assert_eq!(win("last week"), "last week 2026-11-16T00:00:00+01:00/2026-11-23T00:00:00+01:00");
    assert_eq!(win("this weekend"), "this weekend 2026-11-28T00:00:00+01:00/2026-11-30T00:00:00+01:00");
    assert_eq!(win("next weekend"), "next weekend 2026-12-05T00:00:00+01:00/2026-12-07T00:00:00+01:00");
    assert_eq!(win("over the weekend"), "over the weekend 2026-11-28T00:00:00+01:00/2026-11-30T00:00:00+01:00");
    assert_eq!(win("the week after next"), "the week after next 2026-12-07T00:00:00+01:00/2026-12-14T00:00:00+01:00");
    assert_eq!(win("rest of the week"), "rest of the week 2026-11-27T10:00:00+01:00/2026-11-30T00:00:00+01:00");
}

#[test]
fn months_and_years() {
    assert_eq!(win("this month"), "this month 2026-11-01T00:00:00+01:00/2026-12-01T00:00:00+01:00");
    assert_eq!(win("next month"), "next month 2026-12-01T00:00:00+01:00/2027-01-01T00:00:00+01:00");
    assert_eq!(win("last month"), "last month 2026-10-01T00:00:00+02:00/2026-11-01T00:00:00+01:00");
    assert_eq!(win("in December"), "in December 2026-12-01T00:00:00+01:00/2027-01-01T00:00:00+01:00");
    assert_eq!(win("in March"), "in March 2027-03-01T00:00:00+01:00/2027-04-01T00:00:00+02:00");
    assert_eq!(win("May 2026"), "May 2026 2026-05-01T00:00:00+02:00/2026-06-01T00:00:00+02:00");
    assert_eq!(win("next year"), "next year 2027-01-01T00:00:00+01:00/2028-01-01T00:00:00+01:00");
    // A bare month name without "in" is not a time word ("May I …").
    assert_eq!(win("May I see"), "none");
}

#[test]
fn weekdays() {
    // Today is Friday: "Friday" is today; "next Friday" is in next week.
    assert_eq!(win("Friday"), "Friday 2026-11-27T00:00:00+01:00/2026-11-28T00:00:00+01:00");
    assert_eq!(win("on friday"), "on friday 2026-11-27T00:00:00+01:00/2026-11-28T00:00:00+01:00");
    assert_eq!(win("next Friday"), "next Friday 2026-12-04T00:00:00+01:00/2026-12-05T00:00:00+01:00");
    assert_eq!(win("Thursday"), "Thursday 2026-12-03T00:00:00+01:00/2026-12-04T00:00:00+01:00");
    assert_eq!(win("next Tuesday"), "next Tuesday 2026-12-01T00:00:00+01:00/2026-12-02T00:00:00+01:00");
    assert_eq!(win("last Monday"), "last Monday 2026-11-23T00:00:00+01:00/2026-11-24T00:00:00+01:00");
    assert_eq!(win("last Friday"), "last Friday 2026-11-20T00:00:00+01:00/2026-11-21T00:00:00+01:00");
    assert_eq!(win("Friday next week"), "Friday next week 2026-12-04T00:00:00+01:00/2026-12-05T00:00:00+01:00");
    assert_eq!(
        win("next week on Wednesday"),
        "next week on Wednesday 2026-12-02T00:00:00+01:00/2026-12-03T00:00:00+01:00"
    );
    assert_eq!(win("on Tue"), "on Tue 2026-12-01T00:00:00+01:00/2026-12-02T00:00:00+01:00");
    // An abbreviation alone is not a time word ("I sat with Tom").
    assert_eq!(win("sat"), "none");
}

#[test]
fn counts() {
    assert_eq!(win("in the next 3 days"), "in the next 3 days 2026-11-27T10:00:00+01:00/2026-11-30T10:00:00+01:00");
    assert_eq!(win("next five days"), "next five days 2026-11-27T10:00:00+01:00/2026-12-02T10:00:00+01:00");
    assert_eq!(
        win("the coming twenty-one days"),
        "the coming twenty-one days 2026-11-27T10:00:00+01:00/2026-12-18T10:00:00+01:00"
    );
    assert_eq!(
        win("over the next two weeks"),
        "over the next two weeks 2026-11-27T10:00:00+01:00/2026-12-11T10:00:00+01:00"
    );
    assert_eq!(win("in 2 weeks"), "in 2 weeks 2026-12-07T00:00:00+01:00/2026-12-14T00:00:00+01:00");
    assert_eq!(win("in three days"), "in three days 2026-11-30T00:00:00+01:00/2026-12-01T00:00:00+01:00");
    assert_eq!(win("2 days ago"), "2 days ago 2026-11-25T00:00:00+01:00/2026-11-26T00:00:00+01:00");
    assert_eq!(win("the past 2 days"), "the past 2 days 2026-11-25T10:00:00+01:00/2026-11-27T10:00:00+01:00");
    assert_eq!(win("next 0 days"), "none");
    assert_eq!(win("next 99999999999 days"), "none");
}

#[test]
fn dates() {
    assert_eq!(win("2026-12-03"), "2026-12-03 2026-12-03T00:00:00+01:00/2026-12-04T00:00:00+01:00");
    assert_eq!(win("December 3"), "December 3 2026-12-03T00:00:00+01:00/2026-12-04T00:00:00+01:00");
    assert_eq!(win("on Dec 3rd"), "on Dec 3rd 2026-12-03T00:00:00+01:00/2026-12-04T00:00:00+01:00");
    assert_eq!(win("3 December"), "3 December 2026-12-03T00:00:00+01:00/2026-12-04T00:00:00+01:00");
    assert_eq!(
        win("the third of December"),
        "the third of December 2026-12-03T00:00:00+01:00/2026-12-04T00:00:00+01:00"
    );
    // Passed this year → next year; today counts as not passed.
    assert_eq!(win("March 3"), "March 3 2027-03-03T00:00:00+01:00/2027-03-04T00:00:00+01:00");
    assert_eq!(win("Nov 27"), "Nov 27 2026-11-27T00:00:00+01:00/2026-11-28T00:00:00+01:00");
    assert_eq!(win("December 3, 2027"), "December 3, 2027 2027-12-03T00:00:00+01:00/2027-12-04T00:00:00+01:00");
    assert_eq!(win("Feb 29"), "Feb 29 2028-02-29T00:00:00+01:00/2028-03-01T00:00:00+01:00");
    assert_eq!(win("February 30"), "none");
    assert_eq!(win("on the 3rd"), "on the 3rd 2026-12-03T00:00:00+01:00/2026-12-04T00:00:00+01:00");
    assert_eq!(
        win("Thursday, December 10"),
        "Thursday, December 10 2026-12-10T00:00:00+01:00/2026-12-11T00:00:00+01:00"
    );
}

#[test]
fn ranges() {
    assert_eq!(
        win("between Dec 3 and Dec 5"),
        "between Dec 3 and Dec 5 2026-12-03T00:00:00+01:00/2026-12-06T00:00:00+01:00"
    );
    assert_eq!(
        win("from Monday to Wednesday"),
        "from Monday to Wednesday 2026-11-30T00:00:00+01:00/2026-12-03T00:00:00+01:00"
    );
    // The second endpoint is looked up from the first: Wednesday, then the Monday after.
    assert_eq!(
        win("between Wednesday and Monday"),
        "between Wednesday and Monday 2026-12-02T00:00:00+01:00/2026-12-08T00:00:00+01:00"
    );
    assert_eq!(win("until Friday"), "until Friday 2026-11-27T10:00:00+01:00/2026-11-28T00:00:00+01:00");
    assert_eq!(win("until next Tuesday"), "until next Tuesday 2026-11-27T10:00:00+01:00/2026-12-02T00:00:00+01:00");
    assert_eq!(win("since Monday"), "since Monday 2026-11-23T00:00:00+01:00/2026-11-27T10:00:00+01:00");
    assert_eq!(
        win("by the end of the month"),
        "by the end of the month 2026-11-27T10:00:00+01:00/2026-12-01T00:00:00+01:00"
    );
    assert_eq!(win("after Friday"), "none");
    assert_eq!(
        win("between now and Tuesday"),
        "between now and Tuesday 2026-11-27T10:00:00+01:00/2026-12-02T00:00:00+01:00"
    );
    assert_eq!(
        win("the week of December 9"),
        "the week of December 9 2026-12-07T00:00:00+01:00/2026-12-14T00:00:00+01:00"
    );
}

#[test]
fn clock_times_are_recognised_but_set_no_window() {
    let toks = tokenize("at 3pm at 15:00 at 3 p.m. at noon");
    let found = find(&toks, now());
    assert_eq!(found.len(), 4);
    assert!(found.iter().all(|p| p.span.is_none()));
    assert_eq!(found.last().unwrap().end, toks.len());
    assert_eq!(win("tomorrow at 3pm"), "tomorrow 2026-11-28T00:00:00+01:00/2026-11-29T00:00:00+01:00");
}

#[test]
fn dst_days_are_local_midnight_to_local_midnight() {
    let berlin = chrono_tz::Europe::Berlin;
    let before_spring = berlin.with_ymd_and_hms(2026, 3, 28, 10, 0, 0).unwrap();
    assert_eq!(win_at("tomorrow", before_spring), "tomorrow 2026-03-29T00:00:00+01:00/2026-03-30T00:00:00+02:00");
    let before_autumn = berlin.with_ymd_and_hms(2026, 10, 24, 10, 0, 0).unwrap();
    assert_eq!(win_at("tomorrow", before_autumn), "tomorrow 2026-10-25T00:00:00+02:00/2026-10-26T00:00:00+01:00");
    assert_eq!(win_at("next 2 days", before_autumn), "next 2 days 2026-10-24T10:00:00+02:00/2026-10-26T10:00:00+01:00");
    // Where midnight itself is skipped (São Paulo, 2018), the day starts at 01:00.
    let sp = chrono_tz::America::Sao_Paulo.with_ymd_and_hms(2018, 11, 3, 12, 0, 0).unwrap();
    assert_eq!(win_at("tomorrow", sp), "tomorrow 2018-11-04T01:00:00-02:00/2018-11-05T00:00:00-02:00");
}

#[test]
fn sunday_belongs_to_the_week_that_started_on_monday() {
    let sunday = chrono_tz::America::New_York.with_ymd_and_hms(2026, 11, 29, 9, 0, 0).unwrap();
    assert_eq!(win_at("this week", sunday), "this week 2026-11-23T00:00:00-05:00/2026-11-30T00:00:00-05:00");
    assert_eq!(win_at("this weekend", sunday), "this weekend 2026-11-28T00:00:00-05:00/2026-11-30T00:00:00-05:00");
    assert_eq!(win_at("Sunday", sunday), "Sunday 2026-11-29T00:00:00-05:00/2026-11-30T00:00:00-05:00");
}
