//! `kenny`: Kenny's capabilities in one process (docs/contracts.md § The `kenny` CLI). Siblings are called in process,
//! so this is the embedded default. Exit 0 on success, 2 on bad input, 1 on other failures;
//! `--json` prints exactly the capability's response (or error body) on stdout.

mod chart;
mod human;
mod tables;

use std::io::Read as _;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use kenny::capabilities::coordinate::CoordinateRequest;
use kenny::domain::error::{ApiError, parse_request};
use kenny::domain::plan::Capability;
use kenny::ports::sibling::Call;
use kenny::wiring::app::App;
use kenny::wiring::config::Config;
use serde_json::{Value, json};

#[derive(Debug, Parser)]
#[command(name = "kenny", version, about = "Answers calendar questions from your calendars and contacts, fast.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Answer a plain-English question ("what meetings do I have with Sarah and Tom next week?").
    Ask {
        /// The question.
        question: String,
        /// "Now" for time words (RFC 3339); default: the current time.
        #[arg(long)]
        now: Option<String>,
        /// IANA time zone; default: KENNY_TIMEZONE.
        #[arg(long)]
        tz: Option<String>,
        /// Run the plan one step at a time (the A/B baseline).
        #[arg(long)]
        sequential: bool,
        #[command(flatten)]
        out: Output,
    },
    /// Calendar commands.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Contact commands.
    Contacts {
        #[command(subcommand)]
        command: ContactsCommand,
    },
    /// Plan commands.
    Plan {
        #[command(subcommand)]
        command: PlanCommand,
    },
    /// The performance report of a recent window of timing records: latency percentiles,
    /// outcomes and errors per capability and step kind, cache tiers, parallel speedup, the
    /// sequential/concurrent A/B result and trends; plus an SVG chart of latency over time.
    Report {
        /// How far back: e.g. 90m, 24h, 7d (at most 31 days).
        #[arg(long, default_value = kenny::capabilities::report::DEFAULT_SINCE)]
        since: String,
        /// Where to write the SVG chart. Default: kenny-report.svg in the working directory;
        /// with --json, a chart is written only when this is given.
        #[arg(long)]
        chart: Option<std::path::PathBuf>,
        #[command(flatten)]
        out: Output,
    },
    /// Serve Kenny's tools to a desktop assistant over MCP on stdin/stdout (ask, read_calendar,
    /// resolve_contact, free_busy, find_slots, run_plan). Logs go to stderr.
    Mcp,
    /// Timing-record commands.
    Timings {
        #[command(subcommand)]
        command: TimingsCommand,
    },
    /// Shared-cache (L2) commands.
    Cache {
        #[command(subcommand)]
        command: CacheCommand,
    },
    /// Write a generated data set as a vdir tree (calendars/ and contacts/); the defaults write
    /// the bundled sample data.
    Sample {
        /// Folder to write into.
        dir: std::path::PathBuf,
        /// Generated events beyond the hand-written series.
        #[arg(long, default_value_t = 200)]
        events: usize,
        /// Contacts.
        #[arg(long, default_value_t = 200)]
        contacts: usize,
        /// Calendars the generated events are spread over.
        #[arg(long, default_value_t = 4)]
        calendars: usize,
        /// Seed of the pseudo-random choices.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
}

#[derive(Debug, Subcommand)]
enum CalendarCommand {
    /// Events in a window, recurrences expanded.
    Read {
        #[command(flatten)]
        window: WindowArgs,
        /// Only events with this person (email or name); repeat for several (all must attend).
        #[arg(long = "attendee")]
        attendees: Vec<String>,
        /// Only events whose summary, description or location has these words.
        #[arg(long)]
        text: Option<String>,
        /// Only this calendar id; repeat for several.
        #[arg(long = "calendar")]
        calendars: Vec<String>,
        /// IANA time zone; default: KENNY_TIMEZONE.
        #[arg(long)]
        tz: Option<String>,
        /// Most events to return.
        #[arg(long)]
        limit: Option<usize>,
        #[command(flatten)]
        out: Output,
    },
    /// Busy times of the user and of other people (calendar.freebusy), merged per person.
    Freebusy {
        #[command(flatten)]
        window: WindowArgs,
        /// Another person's email (or name); repeat for several.
        #[arg(long = "attendee")]
        attendees: Vec<String>,
        /// Leave the user ("me") out.
        #[arg(long)]
        no_self: bool,
        /// IANA time zone; default: KENNY_TIMEZONE.
        #[arg(long)]
        tz: Option<String>,
        #[command(flatten)]
        out: Output,
    },
}

#[derive(Debug, Subcommand)]
enum ContactsCommand {
    /// Find contacts by a name as people say it.
    Resolve {
        /// Name, nickname, or part of an email.
        name: String,
        /// Most candidates.
        #[arg(long)]
        limit: Option<usize>,
        #[command(flatten)]
        out: Output,
    },
}

#[derive(Debug, Subcommand)]
enum TimingsCommand {
    /// Create the DynamoDB table KENNY_TIMINGS=dynamodb://TABLE names, as template.yaml defines
    /// it (for a local DynamoDB-compatible server; in AWS the stack creates it).
    CreateTable,
    /// Write back the timing records a failed write logged ("timing records not written" lines
    /// of a log file, text or JSON format) into KENNY_TIMINGS, skipping those already stored.
    Replay {
        /// The log file (e.g. a CloudWatch Logs export of the coordinate function).
        file: std::path::PathBuf,
        #[command(flatten)]
        out: Output,
    },
    /// Show the timing records of a recent window, read from KENNY_TIMINGS (a Query in DynamoDB).
    Show {
        /// How far back: e.g. 30m, 6h, 2d.
        #[arg(long, default_value = "1h")]
        since: String,
        #[command(flatten)]
        out: Output,
    },
}

#[derive(Debug, Subcommand)]
enum CacheCommand {
    /// Create the DynamoDB table KENNY_CACHE=dynamodb://TABLE names, as template.yaml defines it
    /// (for a local DynamoDB-compatible server; in AWS the stack creates it).
    CreateTable,
}

#[derive(Debug, Subcommand)]
enum PlanCommand {
    /// Run an explicit plan: a file (or - for stdin) holding a coordinate request with "plan",
    /// or just the plan's {"steps": [...]}.
    Run {
        /// The file, or - for standard input.
        file: String,
        #[command(flatten)]
        out: Output,
    },
}

/// A window: `--start` and `--end`.
#[derive(Debug, Args, Clone)]
struct WindowArgs {
    /// Window start: YYYY-MM-DD or RFC 3339.
    #[arg(long)]
    start: String,
    /// Window end (exclusive).
    #[arg(long)]
    end: String,
}

#[derive(Debug, Args, Clone, Copy)]
struct Output {
    /// Print exactly the JSON response on stdout.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(run(cli))
}

/// Bad input (a 4xx status) exits 2; everything else exits 1.
fn exit_for(err: &ApiError) -> ExitCode {
    if (400..500).contains(&err.status) { ExitCode::from(2) } else { ExitCode::from(1) }
}

fn report(err: ApiError, json_out: bool) -> ExitCode {
    let code = exit_for(&err);
    if json_out {
        println!("{}", serde_json::to_string_pretty(&err.into_body()).unwrap_or_default());
    } else {
        let field = err.field.as_deref().map(|f| format!(" (field: {f})")).unwrap_or_default();
        eprintln!("error [{}]: {}{field}", err.code, err.message);
    }
    code
}

/// The application for one answer (`ask`, `plan` and the capability commands), or for serving
/// many (`mcp`).
async fn app(one_shot: bool) -> Result<App, ApiError> {
    let config = Config::load().map_err(|e| ApiError::from_error(&e))?;
    let app = if one_shot { App::one_shot(config).await } else { App::from_config(config).await };
    app.map_err(|e| ApiError::from_error(&e))
}

async fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Sample { dir, events, contacts, calendars, seed } => sample(dir, events, contacts, calendars, seed),
        Command::Timings { command: TimingsCommand::CreateTable } => tables::create_table().await,
        Command::Timings { command: TimingsCommand::Show { since, out } } => show_timings(&since, out).await,
        Command::Timings { command: TimingsCommand::Replay { file, out } } => replay_timings(&file, out).await,
        Command::Cache { command: CacheCommand::CreateTable } => tables::create_cache_table().await,
        Command::Report { since, chart, out } => performance_report(since, chart, out).await,
        Command::Mcp => mcp().await,
        Command::Ask { question, now, tz, sequential, out } => {
            let mut req = json!({"question": question, "sequential": sequential});
            if let Some(n) = now {
                req["now"] = Value::String(n);
            }
            if let Some(z) = tz {
                req["timezone"] = Value::String(z);
            }
            coordinate(req, out).await
        }
        Command::Plan { command: PlanCommand::Run { file, out } } => {
            // The same cap as a request body: one byte more than it is read, then refused.
            let limit = kenny::edges::lambda::MAX_BODY_BYTES;
            let mut text = String::new();
            let read = if file == "-" {
                std::io::stdin().take(limit as u64 + 1).read_to_string(&mut text)
            } else {
                std::fs::File::open(&file).and_then(|f| f.take(limit as u64 + 1).read_to_string(&mut text))
            };
            if let Err(e) = read {
                return report(ApiError::invalid(Some("file"), format!("{file}: {e}")), out.json);
            }
            if text.len() > limit {
                let message = format!("{file}: a plan request is at most {limit} bytes");
                return report(ApiError::new("too_large", 413, message), out.json);
            }
            let mut req: Value = match serde_json::from_str(&text) {
                Ok(v) => v,
                Err(e) => return report(ApiError::invalid(Some("plan"), format!("{file}: not JSON: {e}")), out.json),
            };
            if req.get("steps").is_some() {
                req = json!({"plan": req});
            }
            coordinate(req, out).await
        }
        Command::Calendar { command: CalendarCommand::Read { window, attendees, text, calendars, tz, limit, out } } => {
            let mut req = json!({"start": window.start, "end": window.end});
            if !attendees.is_empty() {
                req["attendees"] = json!(attendees);
            }
            if !calendars.is_empty() {
                req["calendars"] = json!(calendars);
            }
            if let Some(t) = text {
                req["text"] = Value::String(t);
            }
            if let Some(z) = tz {
                req["timezone"] = Value::String(z);
            }
            if let Some(l) = limit {
                req["limit"] = json!(l);
            }
            capability(Capability::CalendarRead, req, out).await
        }
        Command::Calendar { command: CalendarCommand::Freebusy { window, attendees, no_self, tz, out } } => {
            let mut req = json!({"start": window.start, "end": window.end, "include_self": !no_self});
            if !attendees.is_empty() {
                req["attendees"] = json!(attendees);
            }
            if let Some(z) = tz {
                req["timezone"] = Value::String(z);
            }
            capability(Capability::CalendarFreeBusy, req, out).await
        }
        Command::Contacts { command: ContactsCommand::Resolve { name, limit, out } } => {
            let mut req = json!({"query": name});
            if let Some(l) = limit {
                req["limit"] = json!(l);
            }
            capability(Capability::ContactsResolve, req, out).await
        }
    }
}

/// `kenny mcp`: stdout carries only MCP messages; a start-up error goes to stderr.
async fn mcp() -> ExitCode {
    let app = match app(false).await {
        Ok(a) => a,
        Err(e) => return report(e, false),
    };
    match kenny::edges::mcp::stdio::serve(app).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

async fn capability(cap: Capability, req: Value, out: Output) -> ExitCode {
    let app = match app(true).await {
        Ok(a) => a,
        Err(e) => return report(e, out.json),
    };
    let call = match Call::from_params(cap, req) {
        Ok(c) => c,
        Err(e) => return report(e, out.json),
    };
    match app.caps.invoke(call, None).await {
        Ok(reply) => {
            if out.json {
                let json = reply.to_json().unwrap_or_default();
                println!("{}", serde_json::to_string_pretty(&json).unwrap_or_default());
            } else {
                print!("{}", human::capability(&reply));
            }
            ExitCode::SUCCESS
        }
        Err(e) => report(e, out.json),
    }
}

async fn coordinate(req: Value, out: Output) -> ExitCode {
    let request: CoordinateRequest = match parse_request(req) {
        Ok(r) => r,
        Err(e) => return report(e, out.json),
    };
    let app = match app(true).await {
        Ok(a) => a,
        Err(e) => return report(e, out.json),
    };
    let id = kenny::ports::timing::new_request_id();
    match app.coordinator.handle(request, &id, None).await {
        Ok(resp) => {
            if out.json {
                println!("{}", serde_json::to_string_pretty(&resp).unwrap_or_default());
            } else {
                print!("{}", human::coordinate(&resp));
            }
            ExitCode::SUCCESS
        }
        Err(e) => report(ApiError::from_error(&e), out.json),
    }
}

/// `30m`, `6h`, `2d` → a duration (at most 400 days).
fn parse_since(since: &str) -> Option<chrono::Duration> {
    kenny::capabilities::report::parse_duration(since).filter(|d| *d <= chrono::Duration::days(400))
}

/// The chart goes to `--chart`, else to `kenny-report.svg` — except under `--json`, where only
/// an explicit `--chart` writes one (the JSON is the machine form; a file appearing beside it
/// would surprise a script).
const DEFAULT_CHART: &str = "kenny-report.svg";

async fn performance_report(since: String, chart: Option<std::path::PathBuf>, out: Output) -> ExitCode {
    let request = kenny::capabilities::report::ReportRequest { since: Some(since) };
    // Bad input is exit 2 before any store is opened.
    if let Err(e) = kenny::capabilities::report::window(&request, chrono::Utc::now()) {
        return report(ApiError::from_error(&e), out.json);
    }
    let store = match timings_store().await {
        Ok(s) => s,
        Err(e) => return report(e, out.json),
    };
    let reading = match kenny::capabilities::report::read(store.as_ref(), &request, chrono::Utc::now()).await {
        Ok(r) => r,
        Err(e) => return report(ApiError::from_error(&e), out.json),
    };
    let chart = chart.or_else(|| (!out.json).then(|| DEFAULT_CHART.into()));
    if let Some(path) = &chart {
        let written = chart::render(&reading.report, &reading.records)
            .and_then(|svg| std::fs::write(path, svg).map_err(Into::into));
        if let Err(e) = written {
            let message = format!("writing the chart {}: {e}", path.display());
            return report(ApiError::new("chart_failed", 500, message), out.json);
        }
    }
    if out.json {
        println!("{}", serde_json::to_string_pretty(&reading.report).unwrap_or_default());
    } else {
        print!("{}", human::report(&reading.report));
        if let Some(path) = chart {
            let shown = std::path::absolute(&path).unwrap_or(path);
            println!("\nChart: {}", shown.display());
        }
    }
    ExitCode::SUCCESS
}

/// The timing store `KENNY_TIMINGS` names.
async fn timings_store() -> Result<std::sync::Arc<dyn kenny::ports::timing::TimingStore>, ApiError> {
    let config = Config::load().map_err(|e| ApiError::from_error(&e))?;
    kenny::adapters::timing::open_store(&config.timings).await.map_err(|e| ApiError::from_error(&e))
}

async fn show_timings(since: &str, out: Output) -> ExitCode {
    let Some(back) = parse_since(since) else {
        return report(
            ApiError::invalid(Some("since"), format!("{since:?} is not a duration like 30m, 6h or 2d")),
            out.json,
        );
    };
    let store = match timings_store().await {
        Ok(s) => s,
        Err(e) => return report(e, out.json),
    };
    let now = chrono::Utc::now();
    match store.query(now - back, now + chrono::Duration::minutes(1)).await {
        Ok(records) => {
            if out.json {
                println!("{}", serde_json::to_string_pretty(&records).unwrap_or_default());
            } else {
                print!("{}", human::timings(&records));
            }
            ExitCode::SUCCESS
        }
        Err(e) => report(ApiError::from_error(&e), out.json),
    }
}

async fn replay_timings(file: &std::path::Path, out: Output) -> ExitCode {
    use kenny::adapters::timing::replay;
    let read = std::fs::metadata(file).and_then(|m| {
        if m.len() > replay::MAX_LOG_BYTES {
            Err(std::io::Error::other(format!("larger than {} bytes", replay::MAX_LOG_BYTES)))
        } else {
            std::fs::read(file)
        }
    });
    let log = match read {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => return report(ApiError::invalid(Some("file"), format!("{}: {e}", file.display())), out.json),
    };
    let store = match timings_store().await {
        Ok(s) => s,
        Err(e) => return report(e, out.json),
    };
    match replay::replay(store.as_ref(), replay::records_in_log(&log)).await {
        Ok(summary) => {
            if out.json {
                println!("{}", serde_json::to_string_pretty(&summary).unwrap_or_default());
            } else {
                println!(
                    "{} records found, {} already stored, {} written{}",
                    summary.found,
                    summary.already_stored,
                    summary.written,
                    match summary.unreadable_lines {
                        0 => String::new(),
                        n => format!(" ({n} lines could not be read)"),
                    }
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => report(ApiError::from_error(&e), out.json),
    }
}

fn sample(dir: std::path::PathBuf, events: usize, contacts: usize, calendars: usize, seed: u64) -> ExitCode {
    let spec = kenny::domain::sample::SampleSpec { events, contacts, calendars, seed };
    let bar = indicatif::ProgressBar::new((events + contacts) as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} generating [{bar:40}] {pos}/{len} items ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let set = kenny::domain::sample::generate(&spec, &mut |n| bar.set_position(n as u64));
    bar.set_message("writing");
    let result = kenny::domain::sample::write_vdir(&set, &dir);
    bar.finish_and_clear();
    match result {
        Ok(()) => {
            let items: usize = set.calendars.iter().map(|c| c.items.len()).sum();
            println!(
                "wrote {} calendars ({items} items) and {} contacts to {}\n  KENNY_CALENDARS=file://{}/calendars KENNY_CONTACTS=file://{}/contacts",
                set.calendars.len(),
                set.contacts.len(),
                dir.display(),
                dir.canonicalize().unwrap_or(dir.clone()).display(),
                dir.canonicalize().unwrap_or(dir.clone()).display(),
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: writing {}: {e}", dir.display());
            ExitCode::from(1)
        }
    }
}
