//! `template.yaml` (the AWS SAM template) checked against the code and the deployment contract
//! (the dashboards and alarms are in `template_metrics.rs`): every route requires authorization, IAM grants name their resources, secret-looking parameters are
//! hidden, and `cfn-lint` (which runs the SAM transform) accepts the whole template.
//!
//! The YAML is read (`support/template_yaml.rs`) with `serde_norway`, which keeps CloudFormation's short-form tags; they are
//! rewritten to the long form (`!Ref X` → `{"Ref": "X"}`, `!GetAtt A.B` → `{"Fn::GetAtt": [A, B]}`,
//! `!If [...]` → `{"Fn::If": [...]}`) so both spellings are checked alike.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::{Value, json};

#[path = "support/template_yaml.rs"]
mod yaml;

use yaml::*;

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
