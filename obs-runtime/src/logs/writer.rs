//! The log writer: lines are appended to one shared buffer, and a thread writes what has
//! gathered, then lingers a moment before it looks again.
//!
//! Written here rather than taken from `tracing-appender`: its non-blocking writer allocates a
//! `Vec` per line and sends it through a channel, and its thread sleeps as soon as the channel
//! drains, so that a service logging a few lines per request pays a wake-up (a `futex` call on
//! the request's thread, a context switch on the writer's) about once per request. Here a line
//! costs a short lock and a copy into the buffer; the thread is woken only when it waits, and
//! it waits only after a [`LINGER`] without new lines, so that under load it writes batches
//! without being woken at all.
//!
//! Lossy, as before: when stdout cannot keep up and [`MAX_BUFFERED`] bytes wait, a new line is
//! dropped whole and counted; the instrumented program never blocks on its logs.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;
use tracing_subscriber::fmt::MakeWriter;

/// How many bytes may wait for the writer before new lines are dropped.
const MAX_BUFFERED: usize = 4 * 1024 * 1024;

/// How long the writer thread keeps looking for new lines after a write before it waits to be
/// woken: the longest a line waits under load, and what saves a wake-up per request.
const LINGER: Duration = Duration::from_millis(1);

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    woken: Condvar,
    /// Signalled after each write, for a flush that waits.
    wrote: Condvar,
    dropped: AtomicU64,
}

#[derive(Default)]
struct State {
    lines: Vec<u8>,
    /// Bytes ever appended, and ever handed to the output: a flush waits for the second to
    /// reach what the first was.
    appended: u64,
    written: u64,
    /// The writer waits on `woken` and must be told of new lines.
    waiting: bool,
    /// The guard is gone: write what is left and stop.
    closing: bool,
}

/// Where log lines go: a handle on the shared buffer (cheap to clone, one per event).
#[derive(Clone)]
pub(crate) struct LineWriter {
    shared: Arc<Shared>,
}

/// How many lines were dropped because the output could not keep up.
#[derive(Clone)]
pub(crate) struct DroppedLines {
    shared: Arc<Shared>,
}

impl DroppedLines {
    pub(crate) fn get(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }
}

/// Writes what is left when dropped, and stops the thread (waiting for it at most a second:
/// an output that does not take its bytes must not hold the program's exit).
pub(crate) struct WriterGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// Starts the writer thread on `output`.
pub(crate) fn start<W: Write + Send + 'static>(
    output: W,
) -> std::io::Result<(LineWriter, DroppedLines, WriterGuard)> {
    let shared = Arc::new(Shared::default());
    let thread = std::thread::Builder::new().name("obs-log-writer".into()).spawn({
        let shared = shared.clone();
        move || run(&shared, output)
    })?;
    Ok((
        LineWriter { shared: shared.clone() },
        DroppedLines { shared: shared.clone() },
        WriterGuard { shared, thread: Some(thread) },
    ))
}

fn run(shared: &Shared, mut output: impl Write) {
    let mut batch = Vec::new();
    loop {
        let closing = {
            let mut state = shared.state.lock().unwrap_or_else(PoisonError::into_inner);
            while state.lines.is_empty() && !state.closing {
                state.waiting = true;
                state = shared.woken.wait(state).unwrap_or_else(PoisonError::into_inner);
            }
            std::mem::swap(&mut state.lines, &mut batch);
            state.closing
        };
        // An output that fails loses this batch, not the program: logs are best effort.
        let _ = output.write_all(&batch).and_then(|()| output.flush());
        shared.state.lock().unwrap_or_else(PoisonError::into_inner).written += batch.len() as u64;
        shared.wrote.notify_all();
        batch.clear();
        if closing {
            let state = shared.state.lock().unwrap_or_else(PoisonError::into_inner);
            if state.lines.is_empty() {
                return;
            }
            continue;
        }
        std::thread::sleep(LINGER);
    }
}

impl LineWriter {
    /// Appends `line` (whole lines only: a line is dropped whole or kept whole).
    fn append(&self, line: &[u8]) {
        let mut state = self.shared.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.lines.len() + line.len() > MAX_BUFFERED {
            drop(state);
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        state.lines.extend_from_slice(line);
        state.appended += line.len() as u64;
        if std::mem::take(&mut state.waiting) {
            drop(state);
            self.shared.woken.notify_one();
        }
    }
}

impl Write for LineWriter {
    /// Takes `buf` as one or more whole lines, as the JSON layer writes them.
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.append(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LineWriter {
    type Writer = LineWriter;

    fn make_writer(&'a self) -> LineWriter {
        self.clone()
    }
}

impl WriterGuard {
    /// Waits until the lines appended so far are written, at most `timeout`; `false` if they
    /// were not (an output that does not take its bytes).
    pub(crate) fn flush(&self, timeout: Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        let mut state = self.shared.state.lock().unwrap_or_else(PoisonError::into_inner);
        let target = state.appended;
        while state.written < target {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return false;
            }
            state = self
                .shared
                .wrote
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }
}

impl Drop for WriterGuard {
    fn drop(&mut self) {
        {
            let mut state = self.shared.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.closing = true;
        }
        self.shared.woken.notify_one();
        let Some(thread) = self.thread.take() else { return };
        let deadline = std::time::Instant::now() + Duration::from_secs(1);
        while !thread.is_finished() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        if thread.is_finished() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// Whether the output takes bytes, and its signal when that changes.
    type Gate = Arc<(Mutex<bool>, Condvar)>;

    /// An output that hands each write to the test, or blocks until told to go on.
    struct Output {
        writes: mpsc::Sender<Vec<u8>>,
        gate: Gate,
    }

    impl Write for Output {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let (open, opened) = &*self.gate;
            let mut open = open.lock().unwrap();
            while !*open {
                open = opened.wait(open).unwrap();
            }
            let _ = self.writes.send(buf.to_vec());
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn output(open: bool) -> (Output, mpsc::Receiver<Vec<u8>>, Gate) {
        let (writes, written) = mpsc::channel();
        let gate = Arc::new((Mutex::new(open), Condvar::new()));
        (Output { writes, gate: gate.clone() }, written, gate)
    }

    #[test]
    fn lines_are_written_in_order_while_the_program_runs() {
        let (out, written, _gate) = output(true);
        let (mut writer, dropped, _guard) = start(out).unwrap();
        writer.write_all(b"one\n").unwrap();
        let first = written.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(first, b"one\n");
        for line in [&b"two\n"[..], b"three\n"] {
            writer.write_all(line).unwrap();
        }
        let mut rest = Vec::new();
        while rest.len() < b"two\nthree\n".len() {
            rest.extend(written.recv_timeout(Duration::from_secs(5)).unwrap());
        }
        assert_eq!(rest, b"two\nthree\n");
        assert_eq!(dropped.get(), 0);
    }

    #[test]
    fn a_stuck_output_drops_whole_lines_and_counts_them_without_blocking() {
        let (out, written, gate) = output(false);
        let (mut writer, dropped, guard) = start(out).unwrap();
        // The first line reaches the (stuck) output; the buffer then fills up.
        writer.write_all(b"first\n").unwrap();
        std::thread::sleep(Duration::from_millis(50));
        let mut line = vec![b'x'; 1023];
        line.push(b'\n');
        let lines = MAX_BUFFERED / line.len() + 10;
        let started = std::time::Instant::now();
        for _ in 0..lines {
            writer.write_all(&line).unwrap();
        }
        assert!(started.elapsed() < Duration::from_secs(5), "the writes blocked");
        assert_eq!(dropped.get(), 10);
        // Once the output takes bytes again, what was kept is written, whole lines only.
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        drop(guard);
        let all: Vec<u8> = written.try_iter().flatten().collect();
        assert!(all.starts_with(b"first\n"));
        assert!(all.ends_with(b"\n"));
        assert_eq!(all.len(), b"first\n".len() + (lines - 10) * line.len());
    }

    #[test]
    fn a_flush_waits_for_the_lines_so_far_and_gives_up_on_a_stuck_output() {
        let (out, written, gate) = output(false);
        let (mut writer, _dropped, guard) = start(out).unwrap();
        writeln!(writer, "held").unwrap();
        assert!(!guard.flush(Duration::from_millis(100)), "flushed into a stuck output");
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        writeln!(writer, "then").unwrap();
        assert!(guard.flush(Duration::from_secs(5)));
        // Both lines are written when the flush returns, not later.
        let all: Vec<u8> = written.try_iter().flatten().collect();
        assert_eq!(all, b"held\nthen\n");
    }

    #[test]
    fn dropping_the_guard_writes_what_is_left() {
        let (out, written, _gate) = output(true);
        let (mut writer, _dropped, guard) = start(out).unwrap();
        for i in 0..1000 {
            writeln!(writer, "line {i}").unwrap();
        }
        drop(guard);
        let all = String::from_utf8(written.try_iter().flatten().collect()).unwrap();
        assert_eq!(all.lines().count(), 1000);
        assert_eq!(all.lines().last(), Some("line 999"));
    }
}
