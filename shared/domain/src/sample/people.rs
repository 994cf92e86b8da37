//! The sample address book: the named people the hand-written series and the README's questions
//! use, the name tables the generated contacts draw from, and their vCards.

use std::fmt::Write as _;

use super::SampleSpec;
use super::random::Rng;

/// A person in the sample address book.
#[derive(Debug, Clone)]
pub(super) struct Person {
    pub(super) uid: String,
    pub(super) given: String,
    pub(super) family: String,
    pub(super) nickname: Option<String>,
    pub(super) emails: Vec<String>,
    pub(super) org: &'static str,
    pub(super) phone: String,
}

impl Person {
    pub(super) fn full(&self) -> String {
        format!("{} {}", self.given, self.family)
    }
}

/// The named people the hand-written series use; questions in the README refer to them.
pub(super) const NAMED: &[(&str, &str, Option<&str>, &str)] = &[
    ("Sarah", "Chen", None, "sarah.chen@northwind.example"),
    ("Thomas", "Baker", Some("Tom"), "tom.baker@northwind.example"),
    ("Robert", "Smith", Some("Bob"), "bob.smith@northwind.example"),
    ("Zoë", "Müller", None, "zoe.mueller@northwind.example"),
    ("José", "García", None, "jgarcia@northwind.example"),
    ("William", "Turner", None, "william.turner@contoso.example"),
    ("Katherine", "O'Neil", Some("Kate"), "katherine.oneil@northwind.example"),
    ("Margaret", "Lewis", Some("Peggy"), "margaret.lewis@contoso.example"),
    ("Alice", "Johnson", None, "alice.johnson@northwind.example"),
    ("Alice", "Nguyen", None, "alice.nguyen@contoso.example"),
    ("Jürgen", "Weiß", None, "juergen.weiss@northwind.example"),
    ("Søren", "Åberg", None, "soren.aberg@northwind.example"),
    ("Priya", "Raman", None, "priya.raman@northwind.example"),
    ("Elizabeth", "Carter", Some("Liz"), "liz.carter@fabrikam.example"),
];

pub(super) const GIVEN: &[&str] = &[
    "James",
    "Mary",
    "John",
    "Patricia",
    "Michael",
    "Jennifer",
    "David",
    "Linda",
    "Richard",
    "Barbara",
    "Joseph",
    "Susan",
    "Charles",
    "Jessica",
    "Christopher",
    "Karen",
    "Daniel",
    "Nancy",
    "Matthew",
    "Lisa",
    "Anthony",
    "Betty",
    "Mark",
    "Sandra",
    "Steven",
    "Ashley",
    "Andrew",
    "Emily",
    "Joshua",
    "Donna",
    "Kenneth",
    "Michelle",
    "Kevin",
    "Carol",
    "Brian",
    "Amanda",
    "Timothy",
    "Melissa",
    "Ronald",
    "Deborah",
    "Léa",
    "Chloé",
    "Mateo",
    "Lucía",
    "Björn",
    "Ingrid",
    "Hiroshi",
    "Yuki",
    "Olumide",
    "Ngozi",
    "Rafael",
    "Inês",
    "Dmitri",
    "Anastasia",
    "Mei",
    "Wei",
];
/// Common family names the generated contacts draw from; the named people's own (Smith,
/// Johnson, García, …) are left out so that they stay unique. Tests that build large
/// directories draw from it too.
pub const FAMILY: &[&str] = &[
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Hill",
    "Dubois",
    "Lefèvre",
    "Schröder",
    "Fernández",
    "Kowalski",
    "Novák",
    "Tanaka",
    "Okafor",
    "Costa",
    "Ivanova",
];
const ORGS: &[&str] = &["Northwind", "Contoso", "Fabrikam", "Tailspin Toys", "Adventure Works"];

fn slug(s: &str) -> String {
    crate::text::fold(s).replace(' ', ".")
}

pub(super) fn people(spec: &SampleSpec, rng: &mut Rng) -> Vec<Person> {
    let mut out: Vec<Person> = NAMED
        .iter()
        .enumerate()
        .map(|(i, (g, f, nick, email))| Person {
            uid: format!("contact-{:05}", i + 1),
            given: (*g).into(),
            family: (*f).into(),
            nickname: nick.map(str::to_string),
            emails: vec![(*email).into()],
            org: if email.contains("contoso") {
                "Contoso"
            } else if email.contains("fabrikam") {
                "Fabrikam"
            } else {
                "Northwind"
            },
            phone: format!("+1 212 555 {:04}", 100 + i),
        })
        .collect();
    out.truncate(spec.contacts);
    while out.len() < spec.contacts {
        let i = out.len();
        let given = rng.pick(GIVEN).to_string();
        let family = rng.pick(FAMILY).to_string();
        let org = *rng.pick(ORGS);
        let domain = crate::text::fold(org).replace(' ', "");
        let mut emails = vec![format!("{}.{}{}@{domain}.example", slug(&given), slug(&family), i)];
        if rng.below(4) == 0 {
            emails.push(format!("{}{}@mail.example", slug(&given), i));
        }
        out.push(Person {
            uid: format!("contact-{:05}", i + 1),
            given,
            family,
            nickname: None,
            emails,
            org,
            phone: format!("+1 646 555 {:04}", i % 10_000),
        });
    }
    out
}

pub(super) fn vcard(p: &Person) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:{}\r\nFN:{}\r\nN:{};{};;;\r\n",
        p.uid,
        p.full(),
        p.family,
        p.given
    );
    if let Some(n) = &p.nickname {
        let _ = write!(s, "NICKNAME:{n}\r\n");
    }
    for (k, e) in p.emails.iter().enumerate() {
        let kind = if k == 0 { "work" } else { "home" };
        let _ = write!(s, "EMAIL;TYPE={kind}{}:{e}\r\n", if k == 0 { ";PREF=1" } else { "" });
    }
    let _ = write!(s, "TEL;TYPE=work:{}\r\nORG:{}\r\nEND:VCARD\r\n", p.phone, p.org);
    s
}
