//! `obs`: look at the traces a service recorded in its embedded trace file.
//!
//! ```text
//! obs trace --slowest            the slowest trace, as a waterfall
//! obs trace --failed             the latest failed trace, with the span where it failed
//! obs trace <trace id>           one trace
//! obs trace --list               the latest traces, one line each
//!   --file <path>                the trace file (default: $OBS_TRACES_FILE, else obs-traces.jsonl)
//!   --width <n>                  width of the time axis (default 48)
//!   --color                      colour failed spans red and the slowest span yellow
//! ```

use obs::traceview::{Style, TraceView, read_file};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: obs trace [--slowest | --failed | --list | <trace id>] [--file <path>] [--width <n>] [--color]";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("obs: {message}\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Other(message)) => {
            eprintln!("obs: {message}");
            ExitCode::FAILURE
        }
    }
}

enum Failure {
    Usage(String),
    Other(String),
}

fn run() -> Result<(), Failure> {
    let mut args = pico_args::Arguments::from_env();
    if args.contains(["-h", "--help"]) {
        println!("{USAGE}");
        return Ok(());
    }
    match args.subcommand().map_err(|e| Failure::Usage(e.to_string()))?.as_deref() {
        Some("trace") => {}
        Some(other) => return Err(Failure::Usage(format!("unknown command `{other}`"))),
        None => return Err(Failure::Usage("which command? `obs trace …`".into())),
    }
    let file: PathBuf = args
        .opt_value_from_str("--file")
        .map_err(|e| Failure::Usage(e.to_string()))?
        .or_else(|| std::env::var_os("OBS_TRACES_FILE").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(obs::config::DEFAULT_TRACES_FILE));
    let width: usize = args
        .opt_value_from_str("--width")
        .map_err(|e| Failure::Usage(e.to_string()))?
        .unwrap_or(48);
    let style = Style { width, color: args.contains("--color") };
    let (slowest, failed, list) =
        (args.contains("--slowest"), args.contains("--failed"), args.contains("--list"));
    let id: Option<String> = args.opt_free_from_str().map_err(|e| Failure::Usage(e.to_string()))?;
    let rest = args.finish();
    if !rest.is_empty() {
        return Err(Failure::Usage(format!("unexpected {rest:?}")));
    }

    let traces = read_file(&file).map_err(|e| Failure::Other(e.to_string()))?;
    let chosen: &TraceView = match (slowest, failed, list, id) {
        (true, false, false, None) => slowest_trace(&traces),
        (false, true, false, None) => traces
            .iter()
            .find(|t| t.failed())
            .ok_or_else(|| Failure::Other("no failed trace in the file".into()))?,
        (false, false, true, None) => {
            for trace in traces.iter().take(20) {
                let root = trace.roots().next().map_or("?", |r| r.name.as_str());
                let service = trace.roots().next().map_or("?", |r| r.service.as_str());
                let status = if trace.failed() { "FAILED" } else { "ok" };
                println!(
                    "{}  {:>9.1} ms  {status:6}  {service}  {root}",
                    trace.trace_id,
                    trace.duration_ms()
                );
            }
            return Ok(());
        }
        (false, false, false, Some(id)) => traces
            .iter()
            .find(|t| t.trace_id.starts_with(&id))
            .ok_or_else(|| Failure::Other(format!("no trace {id} in {}", file.display())))?,
        (false, false, false, None) => {
            return Err(Failure::Usage("which trace? --slowest, --failed, --list or an id".into()));
        }
        _ => {
            return Err(Failure::Usage(
                "choose one of --slowest, --failed, --list or an id".into(),
            ));
        }
    };
    print!("{}", chosen.render(&style));
    Ok(())
}

/// The trace whose root took longest. The file holds at least one trace.
fn slowest_trace(traces: &[TraceView]) -> &TraceView {
    traces.iter().max_by(|a, b| a.duration_ms().total_cmp(&b.duration_ms())).unwrap_or(&traces[0])
}
