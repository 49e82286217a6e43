//! [`Simulator`]: the HTTP server wiring (Share paths + control paths).

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpResponse, HttpServer};

use super::config::SimulatorConfig;
use super::response::post_only;
use super::state::{SimControl, SimState};
use super::{control, share};

/// Path prefix of every Share endpoint.
pub const SHARE_BASE_PATH: &str = "/ShareWebServices/Services/";

/// A running Share simulator.
pub struct Simulator {
    addr: SocketAddr,
    handle: ServerHandle,
    task: actix_web::rt::task::JoinHandle<std::io::Result<()>>,
    control: SimControl,
}

fn share_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/ShareWebServices/Services/General/AuthenticatePublisherAccount")
            .route(web::post().to(share::authenticate))
            .default_service(web::to(post_only)),
    )
    .service(
        web::resource("/ShareWebServices/Services/General/LoginPublisherAccountById")
            .route(web::post().to(share::login_by_id))
            .default_service(web::to(post_only)),
    )
    .service(
        web::resource("/ShareWebServices/Services/Publisher/ReadPublisherLatestGlucoseValues")
            .route(web::post().to(share::read))
            .default_service(web::to(post_only)),
    );
}

impl Simulator {
    /// Serves `config` on `listener` (binds nothing itself) and spawns the
    /// server on the current actix/tokio runtime; works inside
    /// `#[actix_web::test]` and `#[actix_web::main]`.
    pub fn start(config: SimulatorConfig, listener: TcpListener) -> std::io::Result<Simulator> {
        Self::start_with(config, listener, true)
    }

    /// As [`start`](Self::start), but deaf to SIGTERM and SIGINT: inside the proxy
    /// (`--demo`) the proxy's graceful shutdown decides, and actix's own handling would stop
    /// the simulator, and then the whole actix system, while requests still drain.
    pub fn start_embedded(
        config: SimulatorConfig,
        listener: TcpListener,
    ) -> std::io::Result<Simulator> {
        Self::start_with(config, listener, false)
    }

    fn start_with(
        config: SimulatorConfig,
        listener: TcpListener,
        signals: bool,
    ) -> std::io::Result<Simulator> {
        config
            .validate()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let addr = listener.local_addr()?;
        let state = Arc::new(SimState::new(config));
        let control = SimControl::new(state.clone());
        let state_data = web::Data::from(state);
        let control_data = web::Data::new(control.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state_data.clone())
                .app_data(control_data.clone())
                // Share bodies are tiny; anything is accepted as bytes.
                .app_data(web::PayloadConfig::new(64 * 1024))
                .configure(share_routes)
                .configure(control::configure)
                .default_service(web::to(HttpResponse::NotFound))
        })
        .workers(1)
        .shutdown_timeout(2);
        let server = if signals {
            server
        } else {
            server.disable_signals()
        };
        let server = server.listen(listener)?.run();
        let handle = server.handle();
        let task = actix_web::rt::spawn(server);
        log::info!("share-simulator serving on {addr}");
        Ok(Simulator {
            addr,
            handle,
            task,
            control,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://IP:PORT/ShareWebServices/Services/`; an unspecified bind
    /// address (0.0.0.0 / ::) is reported as 127.0.0.1 so the URL is usable.
    pub fn base_url(&self) -> String {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
        }
        format!("http://{addr}{SHARE_BASE_PATH}")
    }

    /// The knobs (cheap clone).
    pub fn control(&self) -> SimControl {
        self.control.clone()
    }

    /// Graceful stop: in-flight requests get up to 2 s.
    pub async fn stop(self) {
        self.handle.stop(true).await;
        let _ = self.task.await;
    }

    /// Runs until the server ends (SIGINT/SIGTERM or a stop elsewhere).
    pub async fn wait(self) {
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => log::error!("share-simulator ended with an error: {e}"),
            Err(e) => log::error!("share-simulator task failed: {e}"),
        }
    }
}
