//! The dashboards and alarms of `template.yaml` against the code: they use exactly the metrics
//! `kenny::ports::metrics::CATALOGUE` emits, under the dimension sets it emits them with, and
//! show each capability and each function.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::collections::{BTreeMap, BTreeSet};

use kenny::ports::metrics::{CATALOGUE, NAMESPACE};
use serde_json::Value;

#[path = "support/template_yaml.rs"]
mod yaml;

use yaml::*;

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
