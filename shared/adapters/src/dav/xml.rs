//! WebDAV XML: a small, bounded element tree built with quick-xml, and the `207 Multi-Status`
//! reading the DAV sources need.
//!
//! Safety: a document with a DTD (`<!DOCTYPE …>`) is refused outright, so no entity is ever
//! declared, let alone expanded — billion-laughs and XXE replies fail at their first line. Only
//! the five predefined entities and character references are resolved. Depth and element count
//! are capped; the body size is capped by the HTTP client before parsing.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

/// `DAV:`.
pub const DAV: &str = "DAV:";
/// CalDAV (RFC 4791).
pub const CALDAV: &str = "urn:ietf:params:xml:ns:caldav";
/// CardDAV (RFC 6352).
pub const CARDDAV: &str = "urn:ietf:params:xml:ns:carddav";
/// Calendar Server extensions (`getctag`).
pub const CS: &str = "http://calendarserver.org/ns/";

/// Deepest element nesting accepted (a multistatus is about 7 deep).
pub const MAX_DEPTH: usize = 48;
/// Most attributes kept per element.
pub const MAX_ATTRIBUTES: usize = 32;
/// Most elements in one document.
pub const MAX_ELEMENTS: usize = 1_000_000;

/// Why a reply could not be read as XML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// Not well-formed.
    #[error("malformed XML: {0}")]
    Malformed(String),
    /// Declares a DTD or uses an entity that is not predefined.
    #[error("XML with a DTD or custom entities is refused ({0})")]
    Entity(String),
    /// Deeper or larger than the caps.
    #[error("XML too deep or too large ({0})")]
    TooBig(String),
}

/// An element: namespace URI, local name, children, and its text content.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// Namespace URI (empty when none).
    pub ns: String,
    /// Local name.
    pub name: String,
    /// Child elements in order.
    pub children: Vec<Element>,
    /// Concatenated text and CDATA directly inside it.
    pub text: String,
    /// Attributes by local name (values unescaped), at most [`MAX_ATTRIBUTES`].
    pub attrs: Vec<(String, String)>,
}

impl Element {
    /// Whether it is `{ns}name`.
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.ns == ns && self.name == name
    }

    /// The first child `{ns}name`.
    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    /// Every child `{ns}name`.
    pub fn children_named<'a>(&'a self, ns: &'a str, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(ns, name))
    }

    /// An attribute's value by local name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Trimmed text of the first `{DAV:}href` child.
    pub fn href(&self) -> Option<&str> {
        self.child(DAV, "href").map(|h| h.text.trim()).filter(|h| !h.is_empty())
    }
}

/// Parses a whole document into its root element.
pub fn parse(text: &str) -> Result<Element, XmlError> {
    let mut reader = NsReader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut count = 0usize;
    loop {
        let (ns, event) = reader.read_resolved_event().map_err(|e| XmlError::Malformed(e.to_string()))?;
        let ns = match ns {
            ResolveResult::Bound(n) => String::from_utf8_lossy(n.as_ref()).into_owned(),
            _ => String::new(),
        };
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::DocType(_) => return Err(XmlError::Entity("a <!DOCTYPE> declaration".into())),
            Event::Start(e) | Event::Empty(e) => {
                count += 1;
                if stack.len() >= MAX_DEPTH || count > MAX_ELEMENTS {
                    return Err(XmlError::TooBig(format!("depth {}, {count} elements", stack.len())));
                }
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                let mut attrs = Vec::new();
                for a in e.attributes().take(MAX_ATTRIBUTES) {
                    let a = a.map_err(|e| XmlError::Malformed(e.to_string()))?;
                    let value = a.unescape_value().map_err(|e| XmlError::Entity(e.to_string()))?;
                    attrs.push((String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned(), value.into_owned()));
                }
                stack.push(Element { ns, name, attrs, ..Element::default() });
                if empty {
                    let el = stack.pop().unwrap_or_default();
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(el),
                        None => return Ok(el),
                    }
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or_else(|| XmlError::Malformed("an end tag without a start".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => return Ok(el),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.decode().map_err(|e| XmlError::Malformed(e.to_string()))?);
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&t.into_inner()));
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => {
                        let name = String::from_utf8_lossy(&r.into_inner()).into_owned();
                        match name.as_str() {
                            "amp" => '&',
                            "lt" => '<',
                            "gt" => '>',
                            "quot" => '"',
                            "apos" => '\'',
                            _ => return Err(XmlError::Entity(format!("undeclared entity &{name};"))),
                        }
                    }
                    Err(e) => return Err(XmlError::Malformed(e.to_string())),
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push(resolved);
                }
            }
            Event::Eof => return Err(XmlError::Malformed("the document ended inside an element".into())),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
}

/// One `<response>` of a multistatus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The resource, as the server wrote it (often a path).
    pub href: String,
    /// The response-level status, when given instead of propstats.
    pub status: Option<u16>,
    /// Properties found with a 2xx status.
    pub props: Vec<Element>,
}

impl Response {
    /// A found property `{ns}name`.
    pub fn prop(&self, ns: &str, name: &str) -> Option<&Element> {
        self.props.iter().find(|p| p.is(ns, name))
    }

    /// A found property's trimmed text.
    pub fn prop_text(&self, ns: &str, name: &str) -> Option<&str> {
        self.prop(ns, name).map(|p| p.text.trim()).filter(|t| !t.is_empty())
    }

    /// The href inside a found property (`current-user-principal`, `calendar-home-set`, …).
    pub fn prop_href(&self, ns: &str, name: &str) -> Option<&str> {
        self.prop(ns, name).and_then(Element::href)
    }

    /// Whether `resourcetype` holds `{ns}name`.
    pub fn has_type(&self, ns: &str, name: &str) -> bool {
        self.prop(DAV, "resourcetype").is_some_and(|t| t.child(ns, name).is_some())
    }
}

/// A parsed `207 Multi-Status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multistatus {
    /// Every response.
    pub responses: Vec<Response>,
    /// The new `sync-token` of a sync-collection report.
    pub sync_token: Option<String>,
}

/// `HTTP/1.1 404 Not Found` → 404.
fn status_code(text: &str) -> Option<u16> {
    text.split_whitespace().nth(1)?.parse().ok()
}

/// Reads a multistatus document.
pub fn multistatus(text: &str) -> Result<Multistatus, XmlError> {
    let root = parse(text)?;
    if !root.is(DAV, "multistatus") {
        return Err(XmlError::Malformed(format!("expected DAV:multistatus, found {}", root.name)));
    }
    let mut responses = Vec::new();
    for r in root.children_named(DAV, "response") {
        let Some(href) = r.href() else { continue };
        let status = r.child(DAV, "status").and_then(|s| status_code(&s.text));
        let mut props = Vec::new();
        for ps in r.children_named(DAV, "propstat") {
            let ok =
                ps.child(DAV, "status").and_then(|s| status_code(&s.text)).is_some_and(|c| (200..300).contains(&c));
            if let (true, Some(prop)) = (ok, ps.child(DAV, "prop")) {
                props.extend(prop.children.iter().cloned());
            }
        }
        responses.push(Response { href: href.to_string(), status, props });
    }
    let sync_token = root.child(DAV, "sync-token").map(|t| t.text.trim().to_string()).filter(|t| !t.is_empty());
    Ok(Multistatus { responses, sync_token })
}

/// Escapes text for an XML element body (hrefs in multiget requests).
pub fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RADICALE_LIKE: &str = r#"<?xml version='1.0' encoding='utf-8'?>
<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/">
  <response>
    <href>/kenny/work/</href>
    <propstat>
      <prop>
        <resourcetype><collection/><C:calendar/></resourcetype>
        <displayname>Work &amp; more</displayname>
        <CS:getctag>"abc"</CS:getctag>
        <C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
      </prop>
      <status>HTTP/1.1 200 OK</status>
    </propstat>
    <propstat>
      <prop><sync-token/></prop>
      <status>HTTP/1.1 404 Not Found</status>
    </propstat>
  </response>
  <response>
    <href>/kenny/work/a.ics</href>
    <propstat><prop><C:calendar-data>BEGIN:VCALENDAR&#13;
END:VCALENDAR&#13;
</C:calendar-data></prop><status>HTTP/1.1 200 OK</status></propstat>
  </response>
  <response><href>/kenny/work/gone.ics</href><status>HTTP/1.1 404 Not Found</status></response>
</multistatus>"#;

    #[test]
    fn reads_a_multistatus_with_namespaces_statuses_and_character_references() {
        let ms = multistatus(RADICALE_LIKE).unwrap();
        assert_eq!(ms.responses.len(), 3);
        let col = &ms.responses[0];
        assert!(col.has_type(CALDAV, "calendar"));
        assert_eq!(col.prop_text(DAV, "displayname"), Some("Work & more"));
        assert_eq!(col.prop_text(CS, "getctag"), Some("\"abc\""));
        assert!(col.prop(DAV, "sync-token").is_none(), "404 propstats are not found properties");
        assert_eq!(ms.responses[1].prop_text(CALDAV, "calendar-data"), Some("BEGIN:VCALENDAR\r\nEND:VCALENDAR"));
        assert_eq!(ms.responses[2].status, Some(404));
    }

    #[test]
    fn dtds_entities_and_deep_nesting_are_refused() {
        let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
<multistatus xmlns="DAV:"><response><href>&lol2;</href></response></multistatus>"#;
        assert!(matches!(multistatus(laughs), Err(XmlError::Entity(_))));
        let xxe = r#"<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><multistatus xmlns="DAV:">&x;</multistatus>"#;
        assert!(matches!(multistatus(xxe), Err(XmlError::Entity(_))));
        let undeclared = r#"<multistatus xmlns="DAV:"><response><href>&x;</href></response></multistatus>"#;
        assert!(matches!(multistatus(undeclared), Err(XmlError::Entity(_))));
        let deep = format!("<a>{}{}</a>", "<b>".repeat(10_000), "</b>".repeat(10_000));
        assert!(matches!(parse(&deep), Err(XmlError::TooBig(_))));
        assert!(matches!(multistatus("<multistatus xmlns=\"DAV:\"><response>"), Err(XmlError::Malformed(_))));
        assert!(matches!(multistatus("<html><body>oops</body></html>"), Err(XmlError::Malformed(_))));
        assert!(multistatus("").is_err());
    }

    #[test]
    fn escapes_hrefs() {
        assert_eq!(escape("/a&b<c>.ics"), "/a&amp;b&lt;c&gt;.ics");
    }
}
