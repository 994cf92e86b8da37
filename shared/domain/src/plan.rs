//! Plans as DAGs: the wire form, validation (known capabilities, known and acyclic dependencies,
//! well-formed `$ref`s) and `$ref` resolution against earlier steps' outputs.
//!
//! A `$ref` is an object `{"$ref": "step_id/json/pointer"}` anywhere in a step's params; it is
//! replaced by that part of the named step's output before the step runs. It may carry
//! `"default": value`, used when the pointer finds nothing or null (so an unresolved person can
//! fall back to the name as said). A `$ref` makes its step depend on the named step even when
//! `depends_on` does not list it.
//!
//! When a step fails, the steps that depend on it are skipped (`dependency_failed`) — unless
//! every `$ref` a dependent has to the failed step carries a `default`: then it runs with the
//! defaults, so that a question whose contact lookup failed is still answered on the names as
//! said (marked `degraded`).

use std::collections::{HashMap, VecDeque};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ErrorCode;

/// Most steps a plan may have; keeps validation and scheduling bounded.
pub const MAX_STEPS: usize = 64;
/// Deepest JSON nesting accepted inside a step's params.
pub const MAX_PARAM_DEPTH: usize = 32;
/// Longest step id.
pub const MAX_ID_CHARS: usize = 64;

/// A capability a step can call; the wire names are those of docs/contracts.md § Capabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Capability {
    /// `calendar.read`
    #[serde(rename = "calendar.read")]
    CalendarRead,
    /// `contacts.resolve`
    #[serde(rename = "contacts.resolve")]
    ContactsResolve,
    /// `calendar.freebusy`: busy intervals per person (a mode of the calendar-read function).
    #[serde(rename = "calendar.freebusy")]
    CalendarFreeBusy,
    /// `slots.find`: common free time (computed by `coordinate` itself, no sibling).
    #[serde(rename = "slots.find")]
    SlotsFind,
}

impl Capability {
    /// Every capability, for listing and lookups.
    pub const ALL: [Capability; 4] =
        [Capability::CalendarRead, Capability::ContactsResolve, Capability::CalendarFreeBusy, Capability::SlotsFind];

    /// The wire name (`calendar.read`).
    pub fn name(self) -> &'static str {
        match self {
            Capability::CalendarRead => "calendar.read",
            Capability::ContactsResolve => "contacts.resolve",
            Capability::CalendarFreeBusy => "calendar.freebusy",
            Capability::SlotsFind => "slots.find",
        }
    }

    /// Computed by `coordinate` in its own process (a pure function of earlier steps' outputs),
    /// never sent to a sibling function.
    pub fn is_local(self) -> bool {
        matches!(self, Capability::SlotsFind)
    }

    /// Looks a wire name up.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }
}

impl std::fmt::Display for Capability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A plan as clients send it (docs/contracts.md § Capabilities, `coordinate`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// The steps, in any order.
    pub steps: Vec<Step>,
}

/// One step as clients send it; the capability stays a string until validation so that an
/// unknown one can be reported with the step's id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Unique id, referred to by `depends_on` and `$ref`.
    pub id: String,
    /// `calendar.read`, `contacts.resolve`, `calendar.freebusy` or `slots.find`.
    pub capability: String,
    /// The capability's request, possibly with `$ref`s.
    #[serde(default = "empty_object")]
    pub params: Value,
    /// Steps that must finish first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

/// Why a plan was refused, or a `$ref` could not be resolved at run time.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// No steps, or more than [`MAX_STEPS`].
    #[error("a plan needs between 1 and {MAX_STEPS} steps, this one has {0}")]
    StepCount(usize),
    /// Empty, too long, or with characters outside `[A-Za-z0-9_.-]`.
    #[error("step id {0:?} must be 1-{MAX_ID_CHARS} characters of letters, digits, '_', '-', '.'")]
    BadId(String),
    /// Two steps share an id.
    #[error("step id {0:?} is used twice")]
    DuplicateId(String),
    /// Not a capability Kenny has.
    #[error(
        "step {step:?}: unknown capability {capability:?} (known: calendar.read, contacts.resolve, calendar.freebusy, slots.find)"
    )]
    UnknownCapability { step: String, capability: String },
    /// `depends_on` names a step that does not exist, or the step itself.
    #[error("step {step:?} depends on unknown step {dependency:?}")]
    UnknownDependency { step: String, dependency: String },
    /// The dependencies form a cycle.
    #[error("steps {0:?} depend on each other in a cycle")]
    Cycle(Vec<String>),
    /// A malformed `$ref`, or one naming an unknown step.
    #[error("step {step:?}: bad $ref {reference:?}: {reason}")]
    BadRef { step: String, reference: String, reason: &'static str },
    /// Params are not an object or are nested too deeply.
    #[error("step {step:?}: params must be a JSON object nested at most {MAX_PARAM_DEPTH} levels")]
    BadParams { step: String },
    /// At run time the pointer found nothing and no default was given.
    #[error("step {step:?}: $ref {reference:?} found nothing in that step's output")]
    Unresolved { step: String, reference: String },
}

impl ErrorCode for PlanError {
    fn code(&self) -> &'static str {
        match self {
            PlanError::Unresolved { .. } => "ref_unresolved",
            _ => "invalid_request",
        }
    }
    fn field(&self) -> Option<&str> {
        Some("plan")
    }
}

/// A validated step: capability known, dependencies as indices.
#[derive(Debug, Clone)]
pub struct ValidStep {
    /// The client's id.
    pub id: String,
    /// The capability to call.
    pub capability: Capability,
    /// The params, `$ref`s still in place.
    pub params: Value,
    /// Indices of the steps this one waits for (explicit and implied by `$ref`).
    pub deps: Vec<usize>,
}

/// A plan that passed validation; steps keep the client's order.
#[derive(Debug, Clone)]
pub struct ValidPlan {
    /// The steps.
    pub steps: Vec<ValidStep>,
    /// For each step, the steps that wait for it.
    pub dependents: Vec<Vec<usize>>,
}

impl Plan {
    /// Checks the plan and turns it into a schedulable DAG.
    pub fn validate(&self) -> Result<ValidPlan, PlanError> {
        let n = self.steps.len();
        if n == 0 || n > MAX_STEPS {
            return Err(PlanError::StepCount(n));
        }
        let mut index: HashMap<&str, usize> = HashMap::with_capacity(n);
        for (i, step) in self.steps.iter().enumerate() {
            let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
            if step.id.is_empty() || step.id.chars().count() > MAX_ID_CHARS || !step.id.chars().all(ok_char) {
                return Err(PlanError::BadId(step.id.chars().take(MAX_ID_CHARS).collect()));
            }
            if index.insert(step.id.as_str(), i).is_some() {
                return Err(PlanError::DuplicateId(step.id.clone()));
            }
        }
        let mut steps = Vec::with_capacity(n);
        for step in &self.steps {
            let capability = Capability::from_name(&step.capability).ok_or_else(|| PlanError::UnknownCapability {
                step: step.id.clone(),
                capability: step.capability.chars().take(64).collect(),
            })?;
            if !step.params.is_object() || depth(&step.params) > MAX_PARAM_DEPTH {
                return Err(PlanError::BadParams { step: step.id.clone() });
            }
            let mut deps = Vec::new();
            for dep in &step.depends_on {
                match index.get(dep.as_str()) {
                    Some(&j) if dep != &step.id => deps.push(j),
                    _ => {
                        return Err(PlanError::UnknownDependency {
                            step: step.id.clone(),
                            dependency: dep.chars().take(MAX_ID_CHARS).collect(),
                        });
                    }
                }
            }
            let mut refs = Vec::new();
            collect_refs(&step.params, &mut refs);
            for reference in refs {
                let (target, _) = split_ref(reference).map_err(|reason| PlanError::BadRef {
                    step: step.id.clone(),
                    reference: reference.chars().take(128).collect(),
                    reason,
                })?;
                match index.get(target) {
                    Some(&j) if target != step.id => deps.push(j),
                    _ => {
                        return Err(PlanError::BadRef {
                            step: step.id.clone(),
                            reference: reference.chars().take(128).collect(),
                            reason: "no earlier step has that id",
                        });
                    }
                }
            }
            deps.sort_unstable();
            deps.dedup();
            steps.push(ValidStep { id: step.id.clone(), capability, params: step.params.clone(), deps });
        }
        let mut dependents = vec![Vec::new(); n];
        for (i, s) in steps.iter().enumerate() {
            for &d in &s.deps {
                dependents[d].push(i);
            }
        }
        // Kahn's algorithm: whatever is never freed sits on a cycle (or behind one).
        let mut pending: Vec<usize> = steps.iter().map(|s| s.deps.len()).collect();
        let mut queue: VecDeque<usize> = (0..n).filter(|&i| pending[i] == 0).collect();
        let mut seen = 0;
        while let Some(i) = queue.pop_front() {
            seen += 1;
            for &j in &dependents[i] {
                pending[j] -= 1;
                if pending[j] == 0 {
                    queue.push_back(j);
                }
            }
        }
        if seen < n {
            let stuck = (0..n).filter(|&i| pending[i] > 0).map(|i| steps[i].id.clone()).collect();
            return Err(PlanError::Cycle(stuck));
        }
        Ok(ValidPlan { steps, dependents })
    }
}

fn depth(v: &Value) -> usize {
    // Iterative so that hostile nesting cannot overflow the stack.
    let mut max = 0;
    let mut stack = vec![(v, 1usize)];
    while let Some((v, d)) = stack.pop() {
        max = max.max(d);
        if d > MAX_PARAM_DEPTH {
            return d;
        }
        match v {
            Value::Array(a) => stack.extend(a.iter().map(|x| (x, d + 1))),
            Value::Object(o) => stack.extend(o.values().map(|x| (x, d + 1))),
            _ => {}
        }
    }
    max
}

/// The `$ref` string of a `{"$ref": ...}` object (optionally with `default`), if it is one.
fn as_ref(v: &Value) -> Option<(&str, Option<&Value>)> {
    let o = v.as_object()?;
    let r = o.get("$ref")?.as_str()?;
    let only_known = o.keys().all(|k| k == "$ref" || k == "default");
    only_known.then(|| (r, o.get("default")))
}

fn collect_refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    let mut objects = Vec::new();
    collect_ref_objects(v, &mut objects);
    out.extend(objects.into_iter().map(|(r, _)| r));
}

/// True when `params` refer to step `target` at least once and every such `$ref` has a default.
pub fn runs_without(params: &Value, target: &str) -> bool {
    let mut refs = Vec::new();
    collect_ref_objects(params, &mut refs);
    let to_target: Vec<bool> = refs
        .iter()
        .filter(|(r, _)| split_ref(r).is_ok_and(|(id, _)| id == target))
        .map(|(_, has_default)| *has_default)
        .collect();
    !to_target.is_empty() && to_target.iter().all(|d| *d)
}

fn collect_ref_objects<'a>(v: &'a Value, out: &mut Vec<(&'a str, bool)>) {
    if let Some((r, default)) = as_ref(v) {
        out.push((r, default.is_some()));
        return;
    }
    match v {
        Value::Array(a) => a.iter().for_each(|x| collect_ref_objects(x, out)),
        Value::Object(o) => o.values().for_each(|x| collect_ref_objects(x, out)),
        _ => {}
    }
}

/// Splits `step_id/json/pointer` into the step id and the JSON pointer (`""` = whole output).
fn split_ref(reference: &str) -> Result<(&str, String), &'static str> {
    let (id, rest) = match reference.split_once('/') {
        Some((id, rest)) => (id, format!("/{rest}")),
        None => (reference, String::new()),
    };
    if id.is_empty() {
        return Err("it must start with a step id, as in \"step_id/json/pointer\"");
    }
    Ok((id, rest))
}

/// Replaces every `$ref` in `params` with the part of an earlier output it points at.
pub fn resolve_refs(step: &str, params: &Value, outputs: &HashMap<String, Value>) -> Result<Value, PlanError> {
    if let Some((reference, default)) = as_ref(params) {
        let found = split_ref(reference)
            .ok()
            .and_then(|(id, pointer)| outputs.get(id).and_then(|out| out.pointer(&pointer)))
            .filter(|v| !v.is_null());
        return match (found, default) {
            (Some(v), _) => Ok(v.clone()),
            (None, Some(d)) => Ok(d.clone()),
            (None, None) => {
                Err(PlanError::Unresolved { step: step.into(), reference: reference.chars().take(128).collect() })
            }
        };
    }
    Ok(match params {
        Value::Array(a) => Value::Array(a.iter().map(|x| resolve_refs(step, x, outputs)).collect::<Result<_, _>>()?),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| Ok((k.clone(), resolve_refs(step, x, outputs)?)))
                .collect::<Result<_, PlanError>>()?,
        ),
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plan(v: Value) -> Plan {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn refs_imply_dependencies_and_resolve() {
        let p = plan(json!({"steps": [
            {"id": "a", "capability": "contacts.resolve", "params": {"query": "Sarah"}},
            {"id": "r", "capability": "calendar.read", "params": {"attendees": [{"$ref": "a/resolved/emails", "default": "Sarah"}]}}
        ]}))
        .validate()
        .unwrap();
        assert_eq!(p.steps[1].deps, vec![0]);
        assert_eq!(p.dependents[0], vec![1]);
        let mut outs = HashMap::new();
        outs.insert("a".to_string(), json!({"resolved": {"emails": ["s@x.org"]}}));
        let got = resolve_refs("r", &p.steps[1].params, &outs).unwrap();
        assert_eq!(got, json!({"attendees": [["s@x.org"]]}));
        outs.insert("a".to_string(), json!({"resolved": null}));
        let got = resolve_refs("r", &p.steps[1].params, &outs).unwrap();
        assert_eq!(got, json!({"attendees": ["Sarah"]}));
    }

    #[test]
    fn a_step_runs_without_a_failed_step_only_when_all_its_refs_to_it_have_defaults() {
        let p = json!({"a": [{"$ref": "x/y", "default": "n"}, {"$ref": "z/y"}], "b": {"$ref": "w/q", "default": 1}});
        assert!(runs_without(&p, "x"));
        assert!(!runs_without(&p, "z"));
        assert!(runs_without(&p, "w"));
        assert!(!runs_without(&p, "v"), "no ref at all: an explicit dependency");
        let both = json!([{"$ref": "x/a", "default": 1}, {"$ref": "x/b"}]);
        assert!(!runs_without(&both, "x"));
    }

    #[test]
    fn unresolved_ref_without_default_is_an_error() {
        let outs = HashMap::from([("a".to_string(), json!({"x": 1}))]);
        let err = resolve_refs("r", &json!({"q": {"$ref": "a/y"}}), &outs).unwrap_err();
        assert_eq!(err.code(), "ref_unresolved");
    }

    #[test]
    fn invalid_plans_name_the_step() {
        let cases = [
            (json!({"steps": []}), "between 1 and"),
            (json!({"steps": [{"id": "a", "capability": "mail.send"}]}), "step \"a\": unknown capability"),
            (
                json!({"steps": [{"id": "a", "capability": "calendar.read", "depends_on": ["zz"]}]}),
                "step \"a\" depends on unknown step \"zz\"",
            ),
            (
                json!({"steps": [{"id": "a", "capability": "calendar.read", "depends_on": ["a"]}]}),
                "depends on unknown step \"a\"",
            ),
            (
                json!({"steps": [{"id": "a", "capability": "calendar.read"}, {"id": "a", "capability": "calendar.read"}]}),
                "used twice",
            ),
            (json!({"steps": [{"id": "a b", "capability": "calendar.read"}]}), "step id \"a b\""),
            (
                json!({"steps": [{"id": "a", "capability": "calendar.read", "params": {"x": {"$ref": "nope/x"}}}]}),
                "step \"a\": bad $ref",
            ),
            (
                json!({"steps": [{"id": "a", "capability": "calendar.read", "params": {"x": {"$ref": "/x"}}}]}),
                "must start with a step id",
            ),
            (
                json!({"steps": [{"id": "a", "capability": "calendar.read", "params": [1]}]}),
                "params must be a JSON object",
            ),
            (
                json!({"steps": [
                {"id": "a", "capability": "calendar.read", "depends_on": ["c"]},
                {"id": "b", "capability": "calendar.read", "depends_on": ["a"]},
                {"id": "c", "capability": "calendar.read", "params": {"x": {"$ref": "b/events"}}},
                {"id": "d", "capability": "calendar.read"}]}),
                "[\"a\", \"b\", \"c\"] depend on each other in a cycle",
            ),
        ];
        for (p, want) in cases {
            let err = plan(p.clone()).validate().unwrap_err();
            assert_eq!(err.code(), "invalid_request");
            assert!(err.to_string().contains(want), "{p}: {err}");
        }
    }

    #[test]
    fn deep_params_are_refused_without_recursion() {
        let mut v = json!(1);
        for _ in 0..100 {
            v = json!([v]);
        }
        let p = plan(json!({"steps": [{"id": "a", "capability": "calendar.read", "params": {"x": v}}]}));
        assert!(matches!(p.validate(), Err(PlanError::BadParams { .. })));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let r: Result<Plan, _> =
            serde_json::from_value(json!({"steps": [{"id": "a", "capability": "calendar.read", "after": []}]}));
        assert!(r.unwrap_err().to_string().contains("unknown field `after`"));
    }
}
