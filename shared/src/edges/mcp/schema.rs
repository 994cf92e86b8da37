//! The tools' input schemas, generated from Kenny's request types (JSON Schema 2020-12, as MCP
//! asks), then narrowed where a tool takes part of a request: `ask` is a `coordinate` request
//! without `plan`, `run_plan` one without `question`, `find_slots` a `slots.find` request whose
//! `busy` is replaced by `calendar.freebusy`'s people.

use std::collections::BTreeSet;

use rmcp::model::JsonObject;
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::Value;

use crate::capabilities::calendar::freebusy::FreeBusyRequest;
use crate::capabilities::coordinate::CoordinateRequest;
use crate::domain::slots::SlotsRequest;

/// The schema of what `T` deserialises from, without the root's title and description (the
/// type's name and doc comment; the tool's description says what it is for).
pub(super) fn input<T: JsonSchema>() -> JsonObject {
    let schema = SchemaSettings::draft2020_12().into_generator().into_root_schema_for::<T>();
    let mut object = match serde_json::to_value(schema) {
        Ok(Value::Object(object)) => object,
        // A derived schema is always an object; an empty schema would accept anything.
        _ => JsonObject::new(),
    };
    object.remove("title");
    object.remove("description");
    object
}

/// `ask`: a question, with `now`, `timezone` and `sequential`.
pub(super) fn ask() -> JsonObject {
    let mut schema = input::<CoordinateRequest>();
    remove(&mut schema, &["plan"]);
    require(&mut schema, "question");
    prune_defs(&mut schema);
    schema
}

/// `run_plan`: a plan, with `now`, `timezone` and `sequential`.
pub(super) fn run_plan() -> JsonObject {
    let mut schema = input::<CoordinateRequest>();
    remove(&mut schema, &["question"]);
    require(&mut schema, "plan");
    prune_defs(&mut schema);
    schema
}

/// `find_slots`: `slots.find` without `busy`, plus `calendar.freebusy`'s `attendees`,
/// `include_self` and `calendars` (and the definitions they use).
pub(super) fn find_slots() -> JsonObject {
    let mut schema = input::<SlotsRequest>();
    remove(&mut schema, &["busy"]);
    let freebusy = input::<FreeBusyRequest>();
    if let (Some(Value::Object(to)), Some(Value::Object(from))) =
        (schema.get_mut("properties"), freebusy.get("properties"))
    {
        for key in super::FREEBUSY_ONLY {
            if let Some(p) = from.get(key) {
                to.insert(key.into(), p.clone());
            }
        }
    }
    if let Some(Value::Object(from)) = freebusy.get("$defs") {
        let defs = schema.entry("$defs").or_insert_with(|| Value::Object(JsonObject::new()));
        if let Value::Object(to) = defs {
            for (k, v) in from {
                to.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    prune_defs(&mut schema);
    schema
}

/// Removes `fields` from the properties and the required list.
fn remove(schema: &mut JsonObject, fields: &[&str]) {
    if let Some(Value::Object(props)) = schema.get_mut("properties") {
        for f in fields {
            props.remove(*f);
        }
    }
    if let Some(Value::Array(required)) = schema.get_mut("required") {
        required.retain(|r| !r.as_str().is_some_and(|r| fields.contains(&r)));
    }
}

/// Adds `field` to the required list.
fn require(schema: &mut JsonObject, field: &str) {
    let required = schema.entry("required").or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(list) = required
        && !list.iter().any(|r| r.as_str() == Some(field))
    {
        list.push(Value::from(field));
    }
}

/// Drops the `$defs` nothing refers to any more (directly or through another definition).
fn prune_defs(schema: &mut JsonObject) {
    let Some(Value::Object(defs)) = schema.remove("$defs") else { return };
    let mut used = BTreeSet::new();
    let mut todo: Vec<String> = Vec::new();
    collect_refs(&Value::Object(schema.clone()), &mut todo);
    while let Some(name) = todo.pop() {
        if used.insert(name.clone())
            && let Some(def) = defs.get(&name)
        {
            collect_refs(def, &mut todo);
        }
    }
    let kept: JsonObject = defs.into_iter().filter(|(k, _)| used.contains(k)).collect();
    if !kept.is_empty() {
        schema.insert("$defs".into(), Value::Object(kept));
    }
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref"
                    && let Some(name) = v.as_str().and_then(|r| r.strip_prefix("#/$defs/"))
                {
                    out.push(name.to_string());
                }
                collect_refs(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}
