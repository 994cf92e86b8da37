//! Whole-collection PUT bodies for seeding Radicale: the items of a vdir collection joined into
//! one calendar (or one vCard stream) when every file is named after its UID, so Radicale can take
//! a collection in one request; anything else is seeded item by item.

/// Lines of `text` without their line ends.
fn lines(text: &str) -> Vec<&str> {
    text.lines().map(|l| l.trim_end_matches('\r')).filter(|l| !l.is_empty()).collect()
}

/// The value of property `name` among raw `lines` of one component (folded lines joined; only
/// the component's own properties, not those of nested components).
fn property(lines: &[&str], name: &str) -> Option<String> {
    let mut depth = 0usize;
    let mut found: Option<String> = None;
    for line in lines.iter().skip(1) {
        if let Some(cont) = line.strip_prefix([' ', '\t']) {
            if let Some(v) = found.as_mut() {
                v.push_str(cont);
            }
            continue;
        }
        if found.is_some() {
            break;
        }
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("BEGIN:") {
            depth += 1;
        } else if upper.starts_with("END:") {
            depth = depth.saturating_sub(1);
        } else if depth == 0
            && upper.starts_with(name)
            && matches!(upper.as_bytes().get(name.len()), Some(b':') | Some(b';'))
        {
            found = line.split_once(':').map(|(_, v)| v.to_string());
        }
    }
    found
}

/// One VCALENDAR file taken apart for a bundle.
struct CalendarParts {
    /// `(TZID, VTIMEZONE text)` pairs.
    timezones: Vec<(String, String)>,
    /// Every other top-level component, as text.
    components: Vec<String>,
    /// Their one UID.
    uid: String,
}

/// A VCALENDAR file taken apart; None when it is not one calendar of one UID with nothing a
/// bundle would lose (then it is PUT as it is).
fn split_calendar(text: &str) -> Option<CalendarParts> {
    let lines = lines(text);
    if !lines.first()?.eq_ignore_ascii_case("BEGIN:VCALENDAR") || !lines.last()?.eq_ignore_ascii_case("END:VCALENDAR") {
        return None;
    }
    let (mut tzs, mut comps, mut uid) = (Vec::new(), Vec::new(), None::<String>);
    let mut i = 1;
    while i < lines.len() - 1 {
        let line = lines[i];
        let upper = line.to_ascii_uppercase();
        if let Some(kind) = upper.strip_prefix("BEGIN:") {
            let end = format!("END:{kind}");
            let len = lines[i..].iter().position(|l| l.eq_ignore_ascii_case(&end))? + 1;
            let comp = &lines[i..i + len];
            let text = comp.join("\r\n") + "\r\n";
            if kind == "VTIMEZONE" {
                tzs.push((property(comp, "TZID")?, text));
            } else {
                let this = property(comp, "UID")?;
                if uid.get_or_insert_with(|| this.clone()) != &this {
                    return None;
                }
                comps.push(text);
            }
            i += len;
        } else if line.starts_with([' ', '\t'])
            || ["VERSION", "PRODID", "CALSCALE"].iter().any(|p| upper.starts_with(p))
        {
            i += 1;
        } else {
            // METHOD, X-WR-*, a second VCALENDAR …: a bundle would lose it.
            return None;
        }
    }
    Some(CalendarParts { timezones: tzs, components: comps, uid: uid? })
}

/// The whole-collection PUT body for these `.ics` files, when they can go up as one (see
/// [`Radicale::seed_vdir`]).
pub(crate) fn calendar_bundle(files: &[(String, String)]) -> Option<String> {
    let mut tzs: Vec<(String, String)> = Vec::new();
    let mut body = String::new();
    let mut uids = std::collections::HashSet::new();
    for (name, text) in files {
        let CalendarParts { timezones: file_tzs, components: comps, uid } = split_calendar(text)?;
        if *name != format!("{uid}.ics") || !uids.insert(uid) {
            return None;
        }
        for (tzid, tz) in file_tzs {
            match tzs.iter().find(|(id, _)| *id == tzid) {
                Some((_, known)) if *known != tz => return None,
                Some(_) => {}
                None => tzs.push((tzid, tz)),
            }
        }
        comps.iter().for_each(|c| body.push_str(c));
    }
    let head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Kenny//test harness//EN\r\n";
    Some(format!("{head}{}{body}END:VCALENDAR\r\n", tzs.into_iter().map(|(_, t)| t).collect::<String>()))
}

/// The whole-collection PUT body for these `.vcf` files, when they can go up as one.
pub(crate) fn vcard_bundle(files: &[(String, String)]) -> Option<String> {
    let mut body = String::new();
    let mut uids = std::collections::HashSet::new();
    for (name, text) in files {
        let lines = lines(text);
        let cards = lines.iter().filter(|l| l.eq_ignore_ascii_case("BEGIN:VCARD")).count();
        if cards != 1
            || !lines.first()?.eq_ignore_ascii_case("BEGIN:VCARD")
            || !lines.last()?.eq_ignore_ascii_case("END:VCARD")
        {
            return None;
        }
        let uid = property(&lines, "UID")?;
        if *name != format!("{uid}.vcf") || !uids.insert(uid) {
            return None;
        }
        body.push_str(&(lines.join("\r\n") + "\r\n"));
    }
    Some(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundles_only_files_named_after_their_uid() {
        let cal = |uid: &str| {
            format!(
                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
            )
        };
        let ok = [("a.ics".to_string(), cal("a")), ("b.ics".to_string(), cal("b"))];
        let bundle = calendar_bundle(&ok).expect("bundle");
        assert_eq!(bundle.matches("BEGIN:VEVENT").count(), 2);
        assert!(calendar_bundle(&[("x.ics".to_string(), cal("a"))]).is_none());
        let method = cal("a").replace("VERSION:2.0", "VERSION:2.0\r\nMETHOD:PUBLISH");
        assert!(calendar_bundle(&[("a.ics".to_string(), method)]).is_none());
        let card = "BEGIN:VCARD\nVERSION:4.0\nUID:c\n FOLDED\nFN:C\nEND:VCARD\n";
        assert!(vcard_bundle(&[("cFOLDED.vcf".to_string(), card.to_string())]).is_some());
        assert!(vcard_bundle(&[("c.vcf".to_string(), card.to_string())]).is_none());
    }
}
