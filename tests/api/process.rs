//! The real `dexcom-share-proxy` binary as a child process, with everything it logs captured.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The binary, with none of the service's environment variables inherited.
pub fn proxy() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dexcom-share-proxy"));
    for var in [
        "DEXCOM_USERNAME",
        "DEXCOM_ACCOUNT_ID",
        "DEXCOM_PASSWORD",
        "DEXCOM_PASSWORD_FILE",
        "DEXCOM_REGION",
        "DEXCOM_BASE_URL",
        "DEXCOM_TOKENS",
        "DEXCOM_TOKENS_FILE",
        "DEXCOM_ALLOW_ANONYMOUS",
        "DEXCOM_SHARE_PROXY_CONFIG",
        "RUST_LOG",
    ] {
        command.env_remove(var);
    }
    command
}

/// Kills the child process when the test ends, pass or fail.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A started proxy: its address and everything it writes to stdout and stderr.
pub struct Logged {
    pub addr: String,
    running: Running,
    log: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

impl Logged {
    /// Starts `command` and waits (at most 30 s) until it logs the address it listens on.
    pub fn start(mut command: Command) -> Logged {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the proxy");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let readers = vec![
            collect(stdout, Arc::clone(&log), tx.clone()),
            collect(stderr, Arc::clone(&log), tx),
        ];
        let running = Running(child);
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| {
                panic!("the proxy did not log its address: {}", lock(&log).as_str())
            });
        Logged {
            addr,
            running,
            log,
            readers,
        }
    }

    /// The process ID, to read `/proc/<pid>/status`.
    pub fn pid(&self) -> u32 {
        self.running.0.id()
    }

    /// Sends `signal` (`TERM`, `INT`…) to the process.
    pub fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args([format!("-{signal}"), self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -{signal} failed");
    }

    /// Waits at most `within` for the process to exit by itself; its exit status, if it did.
    pub fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let start = std::time::Instant::now();
        loop {
            if let Some(status) = self.exited() {
                return Some(status);
            }
            if start.elapsed() >= within {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The exit status, if the process has exited (does not wait).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.running.0.try_wait().expect("poll the proxy")
    }

    /// Everything logged so far.
    pub fn log(&self) -> String {
        lock(&self.log).clone()
    }

    /// Stops the process and returns all it logged.
    pub fn stop(self) -> String {
        drop(self.running);
        for reader in self.readers {
            reader.join().expect("log reader");
        }
        let text = lock(&self.log).clone();
        text
    }
}

fn lock(log: &Mutex<String>) -> std::sync::MutexGuard<'_, String> {
    log.lock().unwrap_or_else(|e| e.into_inner())
}

fn collect(
    stream: impl Read + Send + 'static,
    log: Arc<Mutex<String>>,
    listening: mpsc::Sender<String>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("listening on http://").nth(1) {
                let addr = rest.split_whitespace().next().unwrap_or_default();
                let _ = listening.send(addr.to_owned());
            }
            let mut log = lock(&log);
            log.push_str(&line);
            log.push('\n');
        }
    })
}
