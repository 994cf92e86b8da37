//! The generator: deterministic, sized as asked, and written out whole.

use super::*;

#[test]
fn deterministic_and_sized() {
    let a = generate(&SampleSpec::default(), &mut |_| {});
    let b = generate(&SampleSpec::default(), &mut |_| {});
    assert_eq!(a, b);
    assert_eq!(a.contacts.len(), 200);
    assert_eq!(a.calendars.len(), 4);
    let items: usize = a.calendars.iter().map(|c| c.items.len()).sum();
    assert_eq!(items, 200 + 15);
    let big = generate(&SampleSpec { events: 5000, contacts: 10, calendars: 1, seed: 1 }, &mut |_| {});
    assert_eq!(big.calendars[0].items.len(), 5000);
    let two_alices = a.contacts.iter().filter(|(_, v)| v.contains("FN:Alice ")).count();
    assert!(two_alices >= 2);
}

#[test]
fn single_file_holds_every_event_once() {
    let set = generate(&SampleSpec { events: 50, contacts: 20, calendars: 4, seed: 5 }, &mut |_| {});
    let work = single_file(&set.calendars[0]);
    let in_items: usize = set.calendars[0].items.iter().map(|(_, t)| t.matches("BEGIN:VEVENT").count()).sum();
    assert_eq!(work.matches("BEGIN:VEVENT").count(), in_items);
    assert_eq!(work.matches("BEGIN:VTIMEZONE").count(), 1);
}

#[test]
fn progress_is_reported_to_the_end() {
    let mut last = 0;
    generate(&SampleSpec { events: 2500, contacts: 1500, calendars: 2, seed: 3 }, &mut |n| last = n);
    assert_eq!(last, 4000);
}
