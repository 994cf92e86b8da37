//! `sample:calendars`, `sample:people` and `sample:contacts`: the bundled data set, generated and
//! parsed once per process. It reads exactly what `kenny sample DIR` writes to disk, so a
//! `file://` source on that folder gives the same answers. `sample:people` holds other people's
//! calendars, each named by its owner's email (a directory for `calendar.freebusy`).

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;

use kenny_domain::ical::ParsedCalendar;
use kenny_domain::time::Window;
use kenny_ports::sources::{
    CalendarInfo, CalendarSource, ContactDirectory, Fetched, LoadedContacts, SkippedItem, SourceError,
};

/// The bundled calendars: the user's (`sample:calendars`) or other people's (`sample:people`).
#[derive(Debug)]
pub struct SampleCalendars {
    /// Other people's calendars rather than the user's.
    pub people: bool,
}

/// The bundled address book.
#[derive(Debug)]
pub struct SampleContacts;

type Parsed = Vec<(CalendarInfo, Vec<Arc<ParsedCalendar>>)>;

fn parse_all(calendars: &[kenny_domain::sample::SampleCalendar]) -> Parsed {
    calendars
        .iter()
        .map(|c| {
            let info = CalendarInfo {
                id: c.id.clone(),
                name: c.name.clone(),
                locator: c.id.clone(),
                version: Some("bundled".into()),
            };
            let items = c.items.iter().map(|(_, text)| Arc::new(kenny_domain::ical::parse(text))).collect();
            (info, items)
        })
        .collect()
}

fn parsed(people: bool) -> &'static Parsed {
    static MINE: OnceLock<Parsed> = OnceLock::new();
    static PEOPLE: OnceLock<Parsed> = OnceLock::new();
    if people {
        PEOPLE.get_or_init(|| parse_all(&kenny_domain::sample::bundled().people))
    } else {
        MINE.get_or_init(|| parse_all(&kenny_domain::sample::bundled().calendars))
    }
}

#[async_trait]
impl CalendarSource for SampleCalendars {
    fn describe(&self) -> String {
        if self.people {
            kenny_domain::sample::SAMPLE_PEOPLE.into()
        } else {
            kenny_domain::sample::SAMPLE_CALENDARS.into()
        }
    }

    async fn calendars(&self) -> Result<Vec<CalendarInfo>, SourceError> {
        Ok(parsed(self.people).iter().map(|(info, _)| info.clone()).collect())
    }

    async fn fetch(&self, calendar: &CalendarInfo, _window: &Window) -> Result<Fetched, SourceError> {
        let (_, items) = parsed(self.people)
            .iter()
            .find(|(info, _)| info.locator == calendar.locator)
            .ok_or_else(|| SourceError::NotFound { source_id: format!("{}/{}", self.describe(), calendar.id) })?;
        let skipped = items
            .iter()
            .flat_map(|p| p.skipped.iter())
            .map(|s| SkippedItem {
                collection: calendar.id.clone(),
                item: s.uid.clone().unwrap_or_default(),
                code: s.code.to_string(),
                message: s.message.clone(),
            })
            .collect();
        Ok(Fetched { items: items.clone(), skipped, ..Fetched::default() })
    }
}

#[async_trait]
impl ContactDirectory for SampleContacts {
    fn describe(&self) -> String {
        kenny_domain::sample::SAMPLE_CONTACTS.into()
    }

    async fn load(&self) -> Result<LoadedContacts, SourceError> {
        let mut loaded = LoadedContacts::default();
        for (file, text) in &kenny_domain::sample::bundled().contacts {
            kenny_ports::sources::parse_card_item("people", file, text, &mut loaded);
        }
        Ok(loaded)
    }
}
