//! A real Mosquitto broker on 127.0.0.1 for one test, and a subscriber that records every
//! message it is sent. Mosquitto is Debian's `mosquitto` package (`.ci/run` installs it); a
//! machine without it fails these tests rather than skipping them.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

/// A running broker; killed when dropped.
pub struct Mosquitto {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

fn binary() -> PathBuf {
    let installed = Path::new("/usr/sbin/mosquitto");
    if installed.exists() {
        return installed.to_owned();
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("mosquitto"))
        .find(|path| path.exists())
        .unwrap_or_else(|| {
            panic!(
                "the MQTT tests need the Mosquitto broker, and neither /usr/sbin/mosquitto nor \
                 a `mosquitto` on PATH exists: install it (Debian/Ubuntu: \
                 `sudo apt-get install -y mosquitto`; .ci/run does)"
            )
        })
}

impl Mosquitto {
    /// A broker on a free port, anonymous, without persistence (a restart forgets every
    /// retained message, so what is there after one was published again).
    pub fn start() -> Mosquitto {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let dir = tempfile::tempdir().expect("temp dir");
        let config = format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n\
             log_dest stderr\nlog_type all\nconnection_messages true\n"
        );
        std::fs::write(dir.path().join("mosquitto.conf"), config).expect("write config");
        let mut broker = Mosquitto {
            port,
            dir,
            child: None,
        };
        broker.run();
        broker
    }

    fn run(&mut self) {
        // Written by this process, not by mosquitto (which, started as root, drops to its
        // own user and could not write into this directory).
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("mosquitto.log"))
            .expect("open the broker's log");
        let child = Command::new(binary())
            .arg("-c")
            .arg(self.dir.path().join("mosquitto.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start mosquitto");
        self.child = Some(child);
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("mosquitto exited ({status}): {}", self.log());
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "mosquitto did not listen on {} within 20 s: {}",
                self.port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the broker (SIGKILL: no goodbye to its clients, as when its host goes away).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the broker again on the same port, with no retained message.
    pub fn restart(&mut self) {
        self.stop();
        self.run();
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// What the broker logged (connections, disconnections, wills).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("mosquitto.log")).unwrap_or_default()
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One message as the subscriber received it.
#[derive(Clone, Debug)]
pub struct Message {
    pub topic: String,
    pub payload: Vec<u8>,
    /// Set on messages the broker held retained and sent at subscription.
    pub retain: bool,
}

impl Message {
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.payload).expect("UTF-8 payload")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.payload)
            .unwrap_or_else(|e| panic!("{} is not JSON ({e}): {}", self.topic, self.text()))
    }
}

/// A client subscribed to every topic (`#`), recording what arrives; it subscribes again
/// after the broker comes back.
pub struct Subscriber {
    messages: Arc<Mutex<Vec<Message>>>,
    task: actix_web::rt::task::JoinHandle<()>,
}

impl Subscriber {
    pub fn connect(broker: &Mosquitto, name: &str) -> Subscriber {
        let mut options = MqttOptions::new(name, "127.0.0.1", broker.port());
        options.set_keep_alive(Duration::from_secs(5));
        let (client, mut events) = AsyncClient::new(options, 10);
        let messages = Arc::new(Mutex::new(Vec::new()));
        let received = Arc::clone(&messages);
        let task = actix_web::rt::spawn(async move {
            loop {
                match events.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        let _ = client.try_subscribe("#", QoS::AtLeastOnce);
                    }
                    Ok(Event::Incoming(Packet::Publish(publish))) => {
                        lock(&received).push(Message {
                            topic: publish.topic.clone(),
                            payload: publish.payload.to_vec(),
                            retain: publish.retain,
                        });
                    }
                    Ok(_) => {}
                    Err(_) => actix_web::rt::time::sleep(Duration::from_millis(100)).await,
                }
            }
        });
        Subscriber { messages, task }
    }

    /// Everything received so far, oldest first.
    pub fn messages(&self) -> Vec<Message> {
        lock(&self.messages).clone()
    }

    /// The newest message on `topic`.
    pub fn latest(&self, topic: &str) -> Option<Message> {
        lock(&self.messages)
            .iter()
            .rev()
            .find(|m| m.topic == topic)
            .cloned()
    }

    /// Waits (at most `timeout` of real time) until `found` finds something in what was
    /// received so far.
    pub async fn until<T>(
        &self,
        what: &str,
        timeout: Duration,
        found: impl Fn(&[Message]) -> Option<T>,
    ) -> T {
        let start = Instant::now();
        loop {
            if let Some(value) = found(&lock(&self.messages)) {
                return value;
            }
            assert!(
                start.elapsed() < timeout,
                "timed out after {timeout:?} waiting for {what}; received: {:#?}",
                self.messages()
                    .iter()
                    .map(|m| format!("{} {}", m.topic, m.text()))
                    .collect::<Vec<_>>()
            );
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until a message on `topic` satisfies `ok`; returns it.
    pub async fn until_on(
        &self,
        topic: &str,
        timeout: Duration,
        ok: impl Fn(&Message) -> bool,
    ) -> Message {
        self.until(topic, timeout, |messages| {
            messages
                .iter()
                .rev()
                .find(|m| m.topic == topic)
                .filter(|m| ok(m))
                .cloned()
        })
        .await
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(messages: &Mutex<Vec<Message>>) -> MutexGuard<'_, Vec<Message>> {
    messages.lock().unwrap_or_else(|e| e.into_inner())
}
