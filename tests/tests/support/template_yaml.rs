//! Reading `template.yaml` for the template tests: the YAML as JSON, short-form intrinsic
//! functions in long form, and the lookups both test files use.

// Each test file that includes this module uses part of it.
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::{Map, Value, json};

pub(crate) const CAPABILITIES: [&str; 3] = ["coordinate", "calendar.read", "contacts.resolve"];
pub(crate) const BINARIES: [&str; 3] = ["calendar-read", "contacts-resolve", "coordinate"];

pub(crate) fn template_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("template.yaml")
}

/// The template as JSON, short-form intrinsic functions in long form.
pub(crate) fn template() -> Value {
    let path = template_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let yaml: serde_norway::Value = serde_norway::from_str(&text).expect("template.yaml is valid YAML");
    to_json(yaml)
}

pub(crate) fn to_json(v: serde_norway::Value) -> Value {
    use serde_norway::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => json!(i),
            (None, Some(f)) => json!(f),
            (None, None) => Value::String(n.to_string()),
        },
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Y::Mapping(m) => Value::Object(m.into_iter().map(|(k, v)| (key(k), to_json(v))).collect()),
        Y::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let inner = to_json(tagged.value);
            match tag.trim_start_matches('!') {
                "Ref" => json!({ "Ref": inner }),
                "Condition" => json!({ "Condition": inner }),
                "GetAtt" => {
                    let parts = match inner {
                        Value::String(s) => {
                            let (resource, attribute) = s.split_once('.').expect("!GetAtt Resource.Attribute");
                            json!([resource, attribute])
                        }
                        other => other,
                    };
                    json!({ "Fn::GetAtt": parts })
                }
                other => json!({ format!("Fn::{other}"): inner }),
            }
        }
    }
}

pub(crate) fn key(k: serde_norway::Value) -> String {
    match k {
        serde_norway::Value::String(s) => s,
        serde_norway::Value::Number(n) => n.to_string(),
        serde_norway::Value::Bool(b) => b.to_string(),
        other => panic!("unsupported mapping key {other:?}"),
    }
}

pub(crate) fn resources(t: &Value) -> &Map<String, Value> {
    t["Resources"].as_object().expect("Resources")
}

pub(crate) fn of_type<'a>(t: &'a Value, ty: &str) -> Vec<(&'a str, &'a Value)> {
    resources(t).iter().filter(|(_, r)| r["Type"] == ty).map(|(id, r)| (id.as_str(), r)).collect()
}

/// Logical id of the function built from `binary` (Metadata.BuildProperties.Binary).
pub(crate) fn function_for(t: &Value, binary: &str) -> String {
    let found: Vec<&str> = of_type(t, "AWS::Serverless::Function")
        .into_iter()
        .filter(|(_, f)| f["Metadata"]["BuildProperties"]["Binary"] == binary)
        .map(|(id, _)| id)
        .collect();
    assert_eq!(found.len(), 1, "exactly one function builds binary {binary}: {found:?}");
    found[0].to_string()
}

/// The string of a `Fn::Sub` (plain or `[string, variables]` form), or a plain string.
pub(crate) fn sub_text(v: &Value) -> Option<&str> {
    match v.get("Fn::Sub") {
        Some(Value::String(s)) => Some(s),
        Some(Value::Array(a)) => a.first().and_then(Value::as_str),
        _ => v.as_str(),
    }
}

/// Replaces each `${Name}` with `Name` (and `${!Literal}` with `${Literal}`), as a stand-in for
/// what CloudFormation substitutes at deploy time.
pub(crate) fn substitute(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find('}').map(|j| i + j).expect("unclosed ${ in a !Sub string");
        let name = &rest[i + 2..end];
        match name.strip_prefix('!') {
            Some(literal) => out.push_str(&format!("${{{literal}}}")),
            None => out.push_str(name),
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

pub(crate) fn assert_none(problems: Vec<String>) {
    assert!(problems.is_empty(), "template.yaml:\n  {}", problems.join("\n  "));
}
