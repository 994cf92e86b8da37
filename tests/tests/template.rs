//! `template.yaml` (the AWS SAM template) checked against the code and the deployment contract:
//! the dashboard and alarms use exactly the metrics `kenny::ports::metrics::CATALOGUE` emits, every
//! route requires authorization, IAM grants name their resources, secret-looking parameters are
//! hidden, and `cfn-lint` (which runs the SAM transform) accepts the whole template.
//!
//! The YAML is read with `serde_norway`, which keeps CloudFormation's short-form tags; they are
//! rewritten to the long form (`!Ref X` → `{"Ref": "X"}`, `!GetAtt A.B` → `{"Fn::GetAtt": [A, B]}`,
//! `!If [...]` → `{"Fn::If": [...]}`) so both spellings are checked alike.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use kenny::ports::metrics::{CATALOGUE, NAMESPACE};
use serde_json::{Map, Value, json};

const CAPABILITIES: [&str; 3] = ["coordinate", "calendar.read", "contacts.resolve"];
const BINARIES: [&str; 3] = ["calendar-read", "contacts-resolve", "coordinate"];

fn template_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("template.yaml")
}

/// The template as JSON, short-form intrinsic functions in long form.
fn template() -> Value {
    let path = template_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let yaml: serde_norway::Value = serde_norway::from_str(&text).expect("template.yaml is valid YAML");
    to_json(yaml)
}

fn to_json(v: serde_norway::Value) -> Value {
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

fn key(k: serde_norway::Value) -> String {
    match k {
        serde_norway::Value::String(s) => s,
        serde_norway::Value::Number(n) => n.to_string(),
        serde_norway::Value::Bool(b) => b.to_string(),
        other => panic!("unsupported mapping key {other:?}"),
    }
}

fn resources(t: &Value) -> &Map<String, Value> {
    t["Resources"].as_object().expect("Resources")
}

fn of_type<'a>(t: &'a Value, ty: &str) -> Vec<(&'a str, &'a Value)> {
    resources(t).iter().filter(|(_, r)| r["Type"] == ty).map(|(id, r)| (id.as_str(), r)).collect()
}

/// Logical id of the function built from `binary` (Metadata.BuildProperties.Binary).
fn function_for(t: &Value, binary: &str) -> String {
    let found: Vec<&str> = of_type(t, "AWS::Serverless::Function")
        .into_iter()
        .filter(|(_, f)| f["Metadata"]["BuildProperties"]["Binary"] == binary)
        .map(|(id, _)| id)
        .collect();
    assert_eq!(found.len(), 1, "exactly one function builds binary {binary}: {found:?}");
    found[0].to_string()
}

/// The string of a `Fn::Sub` (plain or `[string, variables]` form), or a plain string.
fn sub_text(v: &Value) -> Option<&str> {
    match v.get("Fn::Sub") {
        Some(Value::String(s)) => Some(s),
        Some(Value::Array(a)) => a.first().and_then(Value::as_str),
        _ => v.as_str(),
    }
}

/// Replaces each `${Name}` with `Name` (and `${!Literal}` with `${Literal}`), as a stand-in for
/// what CloudFormation substitutes at deploy time.
fn substitute(s: &str) -> String {
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

/// One metric a dashboard widget or an alarm reads.
#[derive(Debug, Clone)]
struct MetricUse {
    namespace: String,
    name: String,
    /// Dimension name → value (`*` when a SEARCH matches every value).
    dims: BTreeMap<String, String>,
    stat: String,
    origin: String,
}

/// Metrics named by `SEARCH('{Namespace,Dim1,Dim2} MetricName="X"', ...)` expressions.
fn search_metrics(expr: &str, stat: &str, origin: &str) -> Vec<MetricUse> {
    let mut out = Vec::new();
    let mut rest = expr;
    while let Some(i) = rest.find("SEARCH(") {
        rest = &rest[i + "SEARCH(".len()..];
        let open = rest.find('{').unwrap_or_else(|| panic!("{origin}: SEARCH without a {{schema}}: {expr}"));
        let close = rest.find('}').unwrap_or_else(|| panic!("{origin}: unclosed SEARCH schema: {expr}"));
        let mut schema = rest[open + 1..close].split(',').map(|s| s.trim().trim_matches('"'));
        let namespace = schema.next().unwrap_or_default().to_string();
        let dims = schema.map(|d| (d.to_string(), "*".to_string())).collect();
        let after = &rest[close..];
        let name = after
            .find("MetricName=")
            .map(|j| {
                let v = after[j + "MetricName=".len()..].trim_start_matches(['"', '\\']);
                v[..v.find(['"', '\\', ' ', '\'']).unwrap_or(v.len())].to_string()
            })
            .unwrap_or_else(|| panic!("{origin}: name the MetricName in SEARCH so it can be checked: {expr}"));
        out.push(MetricUse { namespace, name, dims, stat: stat.into(), origin: origin.into() });
        rest = &rest[close..];
    }
    out
}

/// The dashboard bodies, parsed after substituting `${...}` placeholders.
fn dashboards(t: &Value) -> Vec<(String, Value)> {
    of_type(t, "AWS::CloudWatch::Dashboard")
        .into_iter()
        .map(|(id, d)| {
            let body = sub_text(&d["Properties"]["DashboardBody"]).expect("DashboardBody is a !Sub string");
            let json: Value = serde_json::from_str(&substitute(body))
                .unwrap_or_else(|e| panic!("{id}: DashboardBody is not valid JSON after substitution: {e}"));
            (id.to_string(), json)
        })
        .collect()
}

/// Every metric the dashboards graph, `"."` shorthand resolved from the row above.
fn dashboard_metrics(t: &Value) -> Vec<MetricUse> {
    let mut out = Vec::new();
    let dashboards = dashboards(t);
    assert!(!dashboards.is_empty(), "the template has an AWS::CloudWatch::Dashboard");
    for (id, body) in dashboards {
        for (w, widget) in body["widgets"].as_array().expect("widgets").iter().enumerate() {
            let props = &widget["properties"];
            let widget_stat = props["stat"].as_str().unwrap_or("Average");
            let origin = format!("{id} widget {w} ({})", props["title"].as_str().unwrap_or("untitled"));
            let mut previous: Vec<String> = Vec::new();
            for row in props["metrics"].as_array().into_iter().flatten() {
                let row = row.as_array().unwrap_or_else(|| panic!("{origin}: a metrics row is an array"));
                let options = row.iter().find(|v| v.is_object()).cloned().unwrap_or_default();
                let stat = options["stat"].as_str().unwrap_or(widget_stat);
                if let Some(expr) = row.first().and_then(|v| v["expression"].as_str()) {
                    out.extend(search_metrics(expr, stat, &origin));
                    continue;
                }
                let fields: Vec<String> = row
                    .iter()
                    .take_while(|v| v.is_string())
                    .enumerate()
                    .map(|(i, v)| match v.as_str() {
                        Some(".") => {
                            previous.get(i).cloned().unwrap_or_else(|| panic!("{origin}: '.' with no row above"))
                        }
                        other => other.unwrap_or_default().to_string(),
                    })
                    .collect();
                assert!(fields.len() >= 2 && fields.len().is_multiple_of(2), "{origin}: malformed metrics row {row:?}");
                let dims = fields[2..].chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect();
                out.push(MetricUse {
                    namespace: fields[0].clone(),
                    name: fields[1].clone(),
                    dims,
                    stat: stat.to_string(),
                    origin: origin.clone(),
                });
                previous = fields;
            }
        }
    }
    out
}

fn dimension_map(dims: &Value) -> BTreeMap<String, String> {
    dims.as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            let name = d["Name"].as_str().expect("dimension Name").to_string();
            let value = d["Value"].as_str().map(str::to_string).unwrap_or_else(|| d["Value"].to_string());
            (name, value)
        })
        .collect()
}

/// Every metric the alarms read (single-metric alarms and metric-math alarms).
fn alarm_metrics(t: &Value) -> Vec<MetricUse> {
    let mut out = Vec::new();
    for (id, alarm) in of_type(t, "AWS::CloudWatch::Alarm") {
        let p = &alarm["Properties"];
        let stat = p["ExtendedStatistic"].as_str().or(p["Statistic"].as_str()).unwrap_or_default();
        if let (Some(ns), Some(name)) = (p["Namespace"].as_str(), p["MetricName"].as_str()) {
            let dims = dimension_map(&p["Dimensions"]);
            out.push(MetricUse { namespace: ns.into(), name: name.into(), dims, stat: stat.into(), origin: id.into() });
        }
        for m in p["Metrics"].as_array().into_iter().flatten() {
            let metric = &m["MetricStat"]["Metric"];
            if let (Some(ns), Some(name)) = (metric["Namespace"].as_str(), metric["MetricName"].as_str()) {
                out.push(MetricUse {
                    namespace: ns.into(),
                    name: name.into(),
                    dims: dimension_map(&metric["Dimensions"]),
                    stat: m["MetricStat"]["Stat"].as_str().unwrap_or_default().into(),
                    origin: format!("{id} metric {}", m["Id"]),
                });
            }
            if let Some(expr) = m["Expression"].as_str() {
                out.extend(search_metrics(expr, "", id));
            }
        }
    }
    out
}

fn assert_none(problems: Vec<String>) {
    assert!(problems.is_empty(), "template.yaml:\n  {}", problems.join("\n  "));
}

/// Guards the contract of docs/contracts.md § Metrics: a dashboard or alarm metric in the `Kenny` namespace that
/// the code does not emit, or reads under another dimension set (EMF publishes a metric only
/// under the exact set it names), would show nothing; a catalogue metric missing from the
/// dashboard is emitted but never looked at.
#[test]
fn dashboard_and_alarms_use_exactly_the_catalogue_metrics() {
    let t = template();
    let dashboard = dashboard_metrics(&t);
    let alarms = alarm_metrics(&t);
    assert!(!alarms.is_empty(), "the template has alarms on Kenny metrics");
    let mut problems = Vec::new();
    for u in dashboard.iter().chain(&alarms) {
        if u.namespace != NAMESPACE {
            if !u.namespace.starts_with("AWS/") {
                problems.push(format!("{}: namespace {:?} is neither {NAMESPACE:?} nor AWS/…", u.origin, u.namespace));
            }
            continue;
        }
        let Some(def) = CATALOGUE.iter().find(|m| m.name == u.name) else {
            problems.push(format!(
                "{}: {NAMESPACE} metric {:?} is not in kenny::ports::metrics::CATALOGUE",
                u.origin, u.name
            ));
            continue;
        };
        let want: BTreeSet<&str> = def.dimensions.iter().copied().collect();
        let got: BTreeSet<&str> = u.dims.keys().map(String::as_str).collect();
        if got != want {
            problems.push(format!("{}: {} read with dimensions {got:?}, the code emits {want:?}", u.origin, u.name));
        }
    }
    for def in CATALOGUE {
        if !dashboard.iter().any(|u| u.namespace == NAMESPACE && u.name == def.name) {
            problems.push(format!("catalogue metric {} is not on the dashboard", def.name));
        }
    }
    assert_none(problems);
}

/// Guards what the dashboard must show: Kenny latency p50/p95/p99 for each capability, and
/// Lambda's own Duration, Errors, Throttles and ConcurrentExecutions for each of the three
/// functions.
#[test]
fn dashboard_shows_each_capability_and_each_function() {
    let t = template();
    let uses = dashboard_metrics(&t);
    let mut problems = Vec::new();
    for capability in CAPABILITIES {
        for stat in ["p50", "p95", "p99"] {
            let shown = uses.iter().any(|u| {
                u.namespace == NAMESPACE
                    && u.name == "Latency"
                    && u.dims.get("Capability").map(String::as_str) == Some(capability)
                    && u.stat == stat
            });
            if !shown {
                problems.push(format!("no {stat} of Latency for Capability={capability}"));
            }
        }
    }
    // `${Function}` was substituted with the function's logical id.
    let functions: BTreeSet<String> = BINARIES.iter().map(|b| function_for(&t, b)).collect();
    for metric in ["Duration", "Errors", "Throttles", "ConcurrentExecutions"] {
        let shown: BTreeSet<String> = uses
            .iter()
            .filter(|u| u.namespace == "AWS/Lambda" && u.name == metric)
            .filter_map(|u| u.dims.get("FunctionName").cloned())
            .collect();
        if shown != functions {
            problems.push(format!("AWS/Lambda {metric} is shown for {shown:?}, expected {functions:?}"));
        }
    }
    assert_none(problems);
}

/// Guards the two alarms: coordinate's error rate (ErrorCount / Requests, Capability=coordinate)
/// and coordinate's p99 Latency, each with its threshold taken from a parameter.
#[test]
fn alarms_watch_coordinate_error_rate_and_p99_latency() {
    let t = template();
    let alarms = of_type(&t, "AWS::CloudWatch::Alarm");
    let coordinate = |m: &Value, name: &str| {
        m["Namespace"] == NAMESPACE
            && m["MetricName"] == name
            && dimension_map(&m["Dimensions"]).get("Capability").map(String::as_str) == Some("coordinate")
    };
    let threshold_param = |a: &Value| {
        let name = a["Properties"]["Threshold"]["Ref"].as_str().unwrap_or_default().to_string();
        t["Parameters"].get(&name).map(|_| name)
    };
    let rate = alarms.iter().find(|(_, a)| {
        let metrics: Vec<&Value> = a["Properties"]["Metrics"].as_array().into_iter().flatten().collect();
        let reads = |name| metrics.iter().any(|m| coordinate(&m["MetricStat"]["Metric"], name));
        reads("ErrorCount") && reads("Requests") && metrics.iter().any(|m| m["Expression"].is_string())
    });
    let (rate_id, rate) = rate.expect("an alarm on ErrorCount / Requests for Capability=coordinate (metric math)");
    assert!(threshold_param(rate).is_some(), "{rate_id}: the threshold is a parameter");
    let latency = alarms.iter().find(|(_, a)| {
        let p = &a["Properties"];
        coordinate(p, "Latency") && p["ExtendedStatistic"] == "p99"
    });
    let (latency_id, latency) = latency.expect("an alarm on p99 Latency for Capability=coordinate");
    assert!(threshold_param(latency).is_some(), "{latency_id}: the threshold is a parameter");
}

/// True when `v` contains `{"Ref": name}` anywhere.
fn refers_to(v: &Value, name: &str) -> bool {
    match v {
        Value::Object(m) => {
            m.get("Ref").and_then(Value::as_str) == Some(name) || m.values().any(|x| refers_to(x, name))
        }
        Value::Array(a) => a.iter().any(|x| refers_to(x, name)),
        _ => false,
    }
}

/// `v` with `Fn::If` decided by `conditions`; `None` for `AWS::NoValue` (or a missing value).
fn decide(v: &Value, conditions: &BTreeMap<String, bool>) -> Option<Value> {
    if let Some(args) = v.get("Fn::If").and_then(Value::as_array) {
        let name = args[0].as_str().expect("Fn::If condition name");
        let value = *conditions.get(name).unwrap_or_else(|| panic!("route authorization depends on condition {name}"));
        return decide(&args[if value { 1 } else { 2 }], conditions);
    }
    if v.is_null() || v["Ref"] == "AWS::NoValue" { None } else { Some(v.clone()) }
}

/// Guards issue point 5's "no route without authorization": every HTTP API route requires
/// AWS_IAM, or JWT through the JWT authorizer, whichever way the JWT condition goes; the JWT
/// authorizer exists only when both JwtIssuer and JwtAudience are given; the routes reach
/// the right functions; and each route has the Lambda permission for exactly its method and
/// path (without it API Gateway cannot invoke the function, and the route answers 500).
#[test]
fn every_route_requires_authorization() {
    let t = template();
    let mut problems = Vec::new();
    // Routes made by SAM (API events, Serverless APIs) or by an API's quick-create Target would
    // not be AWS::ApiGatewayV2::Route resources here, so this test could not see them.
    for ty in ["AWS::Serverless::Api", "AWS::Serverless::HttpApi", "AWS::ApiGateway::RestApi"] {
        for (id, _) in of_type(&t, ty) {
            problems.push(format!("{id}: {ty} routes are not checked; declare AWS::ApiGatewayV2::Route resources"));
        }
    }
    for (id, f) in of_type(&t, "AWS::Serverless::Function") {
        for (event, e) in f["Properties"]["Events"].as_object().into_iter().flatten() {
            if matches!(e["Type"].as_str(), Some("Api" | "HttpApi")) {
                problems.push(format!("{id}: event {event} makes a route this test cannot check"));
            }
        }
    }
    for (id, api) in of_type(&t, "AWS::ApiGatewayV2::Api") {
        if api["Properties"].get("Target").is_some() {
            problems.push(format!("{id}: quick-create Target makes an unauthenticated $default route"));
        }
    }

    let jwt: Vec<(&str, &Value)> = of_type(&t, "AWS::ApiGatewayV2::Authorizer")
        .into_iter()
        .filter(|(_, a)| a["Properties"]["AuthorizerType"] == "JWT")
        .collect();
    assert_eq!(jwt.len(), 1, "one JWT authorizer");
    let (authorizer, a) = jwt[0];
    let condition = a["Condition"].as_str().unwrap_or_else(|| panic!("{authorizer} is conditional")).to_string();
    let definition = &t["Conditions"][&condition];
    for parameter in ["JwtIssuer", "JwtAudience"] {
        assert!(refers_to(definition, parameter), "condition {condition} depends on parameter {parameter}");
        assert!(
            refers_to(&a["Properties"]["JwtConfiguration"], parameter),
            "{authorizer}'s JwtConfiguration uses {parameter}"
        );
    }

    let routes = of_type(&t, "AWS::ApiGatewayV2::Route");
    for jwt_on in [false, true] {
        let conditions = BTreeMap::from([(condition.clone(), jwt_on)]);
        let expected = if jwt_on { "JWT" } else { "AWS_IAM" };
        for (id, route) in &routes {
            let p = &route["Properties"];
            let when = format!("{id} ({} when {condition} is {jwt_on})", p["RouteKey"]);
            match decide(&p["AuthorizationType"], &conditions) {
                Some(Value::String(kind)) if kind == expected => {}
                other => problems.push(format!("{when}: AuthorizationType {other:?}, expected {expected}")),
            }
            let authorizer_id = decide(&p["AuthorizerId"], &conditions);
            match (jwt_on, authorizer_id) {
                (true, Some(v)) if v["Ref"] == authorizer => {}
                (false, None) => {}
                (_, other) => problems.push(format!("{when}: AuthorizerId {other:?}")),
            }
        }
    }

    let mut reached = BTreeMap::new();
    for (id, route) in &routes {
        let p = &route["Properties"];
        let target = sub_text(&p["Target"]).unwrap_or_default();
        let integration = target.strip_prefix("integrations/${").and_then(|s| s.strip_suffix('}'));
        let function = integration
            .and_then(|i| resources(&t).get(i))
            .and_then(|i| i["Properties"]["IntegrationUri"]["Fn::GetAtt"][0].as_str());
        match (p["RouteKey"].as_str(), function) {
            (Some(key), Some(f)) => {
                reached.insert(key.to_string(), f.to_string());
            }
            _ => problems.push(format!("{id}: route key or integration target not understood")),
        }
    }
    let want: BTreeMap<String, String> = [
        ("POST /ask", "coordinate"),
        ("POST /plan", "coordinate"),
        ("GET /report", "coordinate"),
        ("POST /mcp", "coordinate"),
        ("POST /calendar/read", "calendar-read"),
        ("POST /calendar/freebusy", "calendar-read"),
        ("POST /contacts/resolve", "contacts-resolve"),
    ]
    .into_iter()
    .map(|(k, b)| (k.to_string(), function_for(&t, b)))
    .collect();
    if reached != want {
        problems.push(format!("routes reach {reached:?}, expected {want:?}"));
    }

    // Each route's invoke permission: `…/${HttpApi}/*/METHOD/path` for the function it reaches.
    let mut permitted = BTreeMap::new();
    for (id, permission) in of_type(&t, "AWS::Lambda::Permission") {
        let p = &permission["Properties"];
        if p["Principal"] != "apigateway.amazonaws.com" {
            continue;
        }
        let arn = sub_text(&p["SourceArn"]).unwrap_or_default();
        let function = p["FunctionName"]["Ref"].as_str().unwrap_or_default().to_string();
        match arn.split_once("${HttpApi}/*/").and_then(|(_, route)| route.split_once('/')) {
            Some((method, path)) => {
                permitted.insert(format!("{method} /{path}"), function);
            }
            None => problems.push(format!("{id}: SourceArn {arn:?} does not name one route of HttpApi")),
        }
    }
    if permitted != want {
        problems.push(format!("invoke permissions cover {permitted:?}, expected {want:?}"));
    }
    assert_none(problems);
}

/// A policy statement and where it came from.
struct Statement {
    owner: String,
    body: Value,
}

fn statements_of(owner: &str, document: &Value, out: &mut Vec<Statement>) {
    match &document["Statement"] {
        Value::Array(items) => {
            out.extend(items.iter().map(|s| Statement { owner: owner.to_string(), body: s.clone() }));
        }
        s @ Value::Object(_) => out.push(Statement { owner: owner.to_string(), body: s.clone() }),
        _ => {}
    }
}

fn strings(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

/// Readable form of a policy Resource: `GetAtt:X.Arn`, `Ref:X`, `Sub:...` or the literal.
fn resource_text(v: &Value) -> String {
    if let Some(a) = v["Fn::GetAtt"].as_array() {
        return format!("GetAtt:{}", a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("."));
    }
    if let Some(r) = v["Ref"].as_str() {
        return format!("Ref:{r}");
    }
    if let Some(s) = sub_text(v).filter(|_| v.get("Fn::Sub").is_some()) {
        return format!("Sub:{s}");
    }
    v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())
}

/// The table a function's `dynamodb://${Table}` environment variable names, if it sets `var`.
fn table_named_by(t: &Value, function: &str, var: &str) -> Option<String> {
    let value = &resources(t)[function]["Properties"]["Environment"]["Variables"][var];
    let text = sub_text(value).filter(|_| value.get("Fn::Sub").is_some())?;
    let table = text.strip_prefix("dynamodb://${")?.strip_suffix('}')?;
    Some(table.to_string())
}

/// The two DynamoDB tables: (timings, cache), found through the variables that name them.
fn tables(t: &Value) -> (String, String) {
    let timings = table_named_by(t, &function_for(t, "coordinate"), "KENNY_TIMINGS")
        .expect("coordinate's KENNY_TIMINGS is !Sub dynamodb://${Table}");
    let cache = table_named_by(t, &function_for(t, "calendar-read"), "KENNY_CACHE")
        .expect("calendar-read's KENNY_CACHE is !Sub dynamodb://${Table}");
    let all: BTreeSet<&str> = of_type(t, "AWS::DynamoDB::Table").into_iter().map(|(id, _)| id).collect();
    assert_eq!(
        all,
        BTreeSet::from([timings.as_str(), cache.as_str()]),
        "two DynamoDB tables: the timings table and the cache table, distinct"
    );
    (timings, cache)
}

/// Guards the shared cache's table against the code (shared/src/cache/dynamo.rs): `pk` S and
/// `sk` N keys, on-demand, TTL on `expires_at`, encrypted at rest; only the functions that read
/// calendars (calendar-read, and warm, which fills it) are told where it is (`KENNY_CACHE`).
#[test]
fn the_cache_table_matches_the_code() {
    let t = template();
    let (_, cache) = tables(&t);
    let p = &resources(&t)[&cache]["Properties"];
    let mut problems = Vec::new();
    let attributes: BTreeMap<String, String> = strings(&p["AttributeDefinitions"])
        .iter()
        .map(|a| {
            let field = |f: &str| a[f].as_str().unwrap_or_default().to_string();
            (field("AttributeName"), field("AttributeType"))
        })
        .collect();
    let want = BTreeMap::from([("pk".to_string(), "S".to_string()), ("sk".to_string(), "N".to_string())]);
    if attributes != want {
        problems.push(format!("{cache}: attributes {attributes:?}, expected {want:?}"));
    }
    let keys: Vec<(String, String)> = strings(&p["KeySchema"])
        .iter()
        .map(|k| {
            (k["AttributeName"].as_str().unwrap_or_default().into(), k["KeyType"].as_str().unwrap_or_default().into())
        })
        .collect();
    if keys != [("pk".to_string(), "HASH".to_string()), ("sk".to_string(), "RANGE".to_string())] {
        problems.push(format!("{cache}: keys {keys:?}, expected pk HASH and sk RANGE"));
    }
    if p["BillingMode"] != "PAY_PER_REQUEST" {
        problems.push(format!("{cache}: BillingMode {}, expected PAY_PER_REQUEST", p["BillingMode"]));
    }
    if p["TimeToLiveSpecification"] != json!({"AttributeName": "expires_at", "Enabled": true}) {
        problems.push(format!("{cache}: TTL {}, expected on expires_at", p["TimeToLiveSpecification"]));
    }
    if p["SSESpecification"]["SSEEnabled"] != true {
        problems.push(format!("{cache}: SSESpecification {}, expected SSEEnabled", p["SSESpecification"]));
    }
    for binary in ["coordinate", "contacts-resolve"] {
        let id = function_for(&t, binary);
        if !resources(&t)[&id]["Properties"]["Environment"]["Variables"]["KENNY_CACHE"].is_null() {
            problems.push(format!("{id} is given KENNY_CACHE; only calendar-read and warm use the shared cache"));
        }
    }
    assert_none(problems);
}

/// Guards least privilege: no statement uses a wildcard action or resource (logging comes from
/// the managed basic-execution policy), no broader managed policy or SAM policy template is
/// attached, coordinate may invoke only its two siblings and touch only the timings table,
/// calendar-read may only Query and BatchWriteItem the cache table, contacts-resolve gets nothing
/// beyond basic execution, and API Gateway's invoke permissions are tied to a source ARN. The one
/// other grant for the data functions: reading the DAV secret, given by a conditional policy
/// naming exactly that secret and only their two roles.
#[test]
fn iam_grants_name_their_resources() {
    let t = template();
    let mut problems = Vec::new();
    let mut statements = Vec::new();
    let basic = |p: &Value| resource_text(p).contains("AWSLambdaBasicExecutionRole");

    for (id, f) in of_type(&t, "AWS::Serverless::Function") {
        for policy in strings(&f["Properties"]["Policies"]) {
            if policy.get("Statement").is_some() {
                statements_of(id, &policy, &mut statements);
            } else if policy.is_string() || policy.get("Fn::Sub").is_some() {
                if !basic(&policy) {
                    problems.push(format!("{id}: managed policy {} is broader than needed", resource_text(&policy)));
                }
            } else {
                problems.push(format!("{id}: SAM policy template {policy}: write the statement out"));
            }
        }
    }
    for (id, role) in of_type(&t, "AWS::IAM::Role") {
        for p in role["Properties"]["Policies"].as_array().into_iter().flatten() {
            statements_of(id, &p["PolicyDocument"], &mut statements);
        }
        for arn in strings(&role["Properties"]["ManagedPolicyArns"]) {
            if !basic(&arn) {
                problems.push(format!("{id}: managed policy {} is broader than needed", resource_text(&arn)));
            }
        }
    }
    for ty in ["AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"] {
        for (id, p) in of_type(&t, ty) {
            statements_of(id, &p["Properties"]["PolicyDocument"], &mut statements);
        }
    }

    for s in &statements {
        let b = &s.body;
        for forbidden in ["NotAction", "NotResource"] {
            if b.get(forbidden).is_some() {
                problems.push(format!("{}: {forbidden} grants everything else", s.owner));
            }
        }
        for action in strings(&b["Action"]) {
            let a = action.as_str().unwrap_or_default();
            if a.contains('*') || a.is_empty() {
                problems.push(format!("{}: action {action} is a wildcard or not a literal", s.owner));
            }
        }
        for resource in strings(&b["Resource"]) {
            let r = resource_text(&resource);
            if r.contains('*') {
                problems.push(format!("{}: resource {r} is a wildcard", s.owner));
            }
        }
    }

    let granted_to = |owner: &str| {
        let mut granted = BTreeSet::new();
        for s in statements.iter().filter(|s| s.owner == owner) {
            if s.body["Effect"] != "Allow" {
                continue;
            }
            for action in strings(&s.body["Action"]) {
                for resource in strings(&s.body["Resource"]) {
                    granted.insert((action.as_str().unwrap_or_default().to_string(), resource_text(&resource)));
                }
            }
        }
        granted
    };
    let (timings, cache) = tables(&t);
    let (timings, cache) = (format!("GetAtt:{timings}.Arn"), format!("GetAtt:{cache}.Arn"));

    let coordinate = function_for(&t, "coordinate");
    let mut want = BTreeSet::new();
    for sibling in ["calendar-read", "contacts-resolve"] {
        want.insert(("lambda:InvokeFunction".to_string(), format!("GetAtt:{}.Arn", function_for(&t, sibling))));
    }
    for action in ["dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:Query"] {
        want.insert((action.to_string(), timings.clone()));
    }
    let granted = granted_to(&coordinate);
    if granted != want {
        problems.push(format!("{coordinate} is granted {granted:?}, expected exactly {want:?}"));
    }

    let calendar_read = function_for(&t, "calendar-read");
    let want: BTreeSet<(String, String)> =
        ["dynamodb:Query", "dynamodb:BatchWriteItem"].iter().map(|a| (a.to_string(), cache.clone())).collect();
    let granted = granted_to(&calendar_read);
    if granted != want {
        problems.push(format!("{calendar_read} is granted {granted:?}, expected exactly {want:?}"));
    }
    if statements.iter().any(|s| s.owner == calendar_read && s.body["Effect"] != "Allow") {
        problems.push(format!("{calendar_read}: only Allow statements are expected"));
    }

    let warm = function_for(&t, "warm");
    let mut want: BTreeSet<(String, String)> =
        ["dynamodb:Query", "dynamodb:BatchWriteItem"].iter().map(|a| (a.to_string(), cache.clone())).collect();
    want.insert(("dynamodb:Query".to_string(), timings.clone()));
    let granted = granted_to(&warm);
    if granted != want {
        problems.push(format!("{warm} is granted {granted:?}, expected exactly {want:?}"));
    }

    let contacts = function_for(&t, "contacts-resolve");
    if statements.iter().any(|s| s.owner == contacts) {
        problems.push(format!("{contacts} has statements beyond its basic execution role"));
    }
    let secret_policies: Vec<_> = of_type(&t, "AWS::IAM::Policy");
    for (id, policy) in &secret_policies {
        if policy["Condition"] != "HasDavSecret" {
            problems.push(format!("{id}: the DAV secret grant must exist only when a secret is configured"));
        }
        let mut roles: Vec<String> = strings(&policy["Properties"]["Roles"]).iter().map(resource_text).collect();
        roles.sort();
        let mut want_roles: Vec<String> = ["calendar-read", "contacts-resolve", "warm"]
            .iter()
            .map(|b| format!("Ref:{}Role", function_for(&t, b)))
            .collect();
        want_roles.sort();
        if roles != want_roles {
            problems.push(format!("{id}: attached to {roles:?}, expected exactly {want_roles:?}"));
        }
        for s in statements.iter().filter(|s| s.owner == *id) {
            let grant = (strings(&s.body["Action"]), strings(&s.body["Resource"]).iter().map(resource_text).collect());
            if grant != (vec![Value::from("secretsmanager:GetSecretValue")], vec!["Ref:DavSecretArn".to_string()]) {
                problems.push(format!("{id}: grants {grant:?}, expected only GetSecretValue on the DavSecretArn"));
            }
        }
    }
    for (id, permission) in of_type(&t, "AWS::Lambda::Permission") {
        if permission["Properties"].get("SourceArn").is_none() {
            problems
                .push(format!("{id}: a Lambda permission without SourceArn lets any source of its principal invoke"));
        }
    }
    assert_none(problems);
}

fn secret_looking(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["password", "passwd", "secret", "token", "apikey", "api_key", "privatekey", "credential"]
        .iter()
        .any(|w| lower.contains(w))
}

/// Guards against secrets in plain sight: a parameter whose name looks like a password, token or
/// secret must be `NoEcho` (so CloudFormation masks it) and carry no default; and no function
/// sets a secret-looking environment variable to a value in the template (docs/contracts.md § Configuration: DAV
/// credentials come from Secrets Manager in Lambda).
#[test]
fn secret_parameters_are_hidden() {
    let t = template();
    let mut problems = Vec::new();
    for (name, p) in t["Parameters"].as_object().into_iter().flatten() {
        // An ARN names where a secret is; it is not one (its pattern must say it is an ARN).
        if name.ends_with("Arn") {
            if p["AllowedPattern"].as_str().is_none_or(|pat| !pat.contains("^arn:aws")) {
                problems.push(format!("parameter {name} must be constrained to an ARN"));
            }
            continue;
        }
        if !secret_looking(name) {
            continue;
        }
        let no_echo = p["NoEcho"] == true || p["NoEcho"] == "true";
        if !no_echo {
            problems.push(format!("parameter {name} ({}) looks secret but is not NoEcho", p["Type"]));
        }
        if p["Default"].as_str().is_some_and(|d| !d.is_empty()) {
            problems.push(format!("parameter {name} looks secret but has a default value"));
        }
    }
    for (id, f) in of_type(&t, "AWS::Serverless::Function").into_iter().chain(of_type(&t, "AWS::Lambda::Function")) {
        for (var, value) in f["Properties"]["Environment"]["Variables"].as_object().into_iter().flatten() {
            if secret_looking(var) && !var.ends_with("_ARN") && value.is_string() {
                problems.push(format!("{id}: environment variable {var} holds a secret in the template"));
            }
        }
    }
    assert_none(problems);
}

/// Guards the template as CloudFormation sees it: `cfn-lint` runs the SAM transform and checks
/// every resource, property, reference and condition. A missing cfn-lint is a failure, not a
/// skip.
#[test]
fn cfn_lint_accepts_the_template() {
    let path = template_path().canonicalize().expect("template.yaml exists");
    let out = match Command::new("cfn-lint").arg("--").arg(&path).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("cfn-lint is not on PATH: run `pip install cfn-lint` (it validates template.yaml)")
        }
        Err(e) => panic!("could not run cfn-lint: {e}"),
    };
    assert!(
        out.status.success(),
        "cfn-lint {} found problems (exit {:?}):\n{}{}",
        path.display(),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Predictive warming is never on by default: the warm function's schedule is `DISABLED` unless
/// the stack is deployed with `EnableWarming=true`.
#[test]
fn warming_is_off_by_default() {
    let t = template();
    assert_eq!(t["Parameters"]["EnableWarming"]["Default"], "false");
    let warm = function_for(&t, "warm");
    let events = t["Resources"][warm.as_str()]["Properties"]["Events"].as_object().expect("the warm function's events");
    assert_eq!(events.len(), 1, "{events:?}");
    let schedule = events.values().next().unwrap();
    assert_eq!(schedule["Type"], "Schedule");
    let state = &schedule["Properties"]["State"]["Fn::If"];
    assert_eq!(state[0], "WarmingEnabled");
    assert_eq!((state[1].as_str(), state[2].as_str()), (Some("ENABLED"), Some("DISABLED")));
    assert_eq!(t["Conditions"]["WarmingEnabled"]["Fn::Equals"][1], "true");
}

/// Fault injection is for tests and drills: no function in the template sets `KENNY_FAULTS`, and
/// no global default does, so a deployed stack never injects faults unless someone adds it.
#[test]
fn fault_injection_is_never_configured_by_the_template() {
    let t = template();
    let mut problems = Vec::new();
    let globals = &t["Globals"]["Function"]["Environment"]["Variables"];
    if globals.get("KENNY_FAULTS").is_some() {
        problems.push("Globals set KENNY_FAULTS".to_string());
    }
    for (id, f) in of_type(&t, "AWS::Serverless::Function").into_iter().chain(of_type(&t, "AWS::Lambda::Function")) {
        if f["Properties"]["Environment"]["Variables"].get("KENNY_FAULTS").is_some() {
            problems.push(format!("{id} sets KENNY_FAULTS"));
        }
    }
    assert!(
        !std::fs::read_to_string(template_path()).unwrap().contains("KENNY_FAULTS"),
        "template.yaml names KENNY_FAULTS"
    );
    assert_none(problems);
}

/// One `Architecture` parameter sets every function's instruction set: arm64 by default, x86_64
/// for a build machine without the arm64 Rust target, and no function overrides it.
#[test]
fn the_architecture_is_one_parameter_defaulting_to_arm64() {
    let t = template();
    let p = &t["Parameters"]["Architecture"];
    assert_eq!(p["Default"], "arm64");
    assert_eq!(p["AllowedValues"], json!(["arm64", "x86_64"]));
    assert_eq!(t["Globals"]["Function"]["Architectures"], json!([{"Ref": "Architecture"}]));
    let mut problems = Vec::new();
    for (id, f) in of_type(&t, "AWS::Serverless::Function") {
        if f["Properties"].get("Architectures").is_some() {
            problems.push(format!("{id} sets its own Architectures"));
        }
    }
    assert_none(problems);
}
