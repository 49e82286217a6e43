//! Builds the service: shared state once, the feeds' thread (which owns the Share client),
//! the routes, the Swagger UI, and the listener (port 0 works, so tests run the production
//! wiring).

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use std::time::Duration;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName};
use actix_web::http::Method;
use actix_web::middleware::{from_fn, Condition};
use actix_web::{web, App, HttpServer};
use tokio::sync::watch;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::accounts::Accounts;
use crate::auth::AuthFailures;
use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::AccountName;
use crate::feed::{FeedThread, Feeds};
use crate::metrics::{FeedCollector, Metrics};
use crate::middleware;
use crate::mqtt::{MqttProbe, MqttPublisher};
use crate::push::Slots;
use crate::render::RenderCache;
use crate::routes::{self, KnownPaths, DOCS_PATH, OPENAPI_PATH, SIMULATED_HEADER};
use crate::shutdown::{self, ShutdownHandle};
use crate::state::AppState;

/// A client gets this long to send its request head (slow-loris defence; actix's default,
/// made explicit).
const REQUEST_HEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// The bound, ready-to-run service.
pub struct Application {
    addr: SocketAddr,
    server: Server,
    // Stops the feeds (and their Share calls) when the application goes.
    feeds: FeedThread,
    // Publishes to the MQTT broker while the application runs; says `offline` when it stops.
    mqtt: Option<MqttPublisher>,
    // The server and the event streams stop when this is set (or dropped).
    stop: Arc<watch::Sender<bool>>,
}

impl Application {
    pub fn build(settings: &Settings) -> std::io::Result<Application> {
        let listener = listen(settings.listen)?;
        Self::with_listener(settings, listener, Clock::system())
    }

    /// The service on `listener`, with `clock` for every time-driven rule (tests and the
    /// benchmark share a fast one with the simulator). Must run inside an actix system.
    pub fn with_listener(
        settings: &Settings,
        listener: TcpListener,
        clock: Clock,
    ) -> std::io::Result<Application> {
        install_crypto_provider();
        let addr = listener.local_addr()?;
        // main checks this too, with a friendlier exit; this guards every other caller.
        settings
            .check_access(addr)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
        let names: Vec<AccountName> = settings.accounts.iter().map(|a| a.name.clone()).collect();
        let mut metrics = Metrics::new(&settings.metrics, &names);
        let (feeds, feed_thread) = Feeds::start(
            &settings.accounts,
            settings.feed.clone(),
            clock,
            metrics.share_observer(),
        );
        metrics.collect_feeds(FeedCollector::new(
            feeds.board(),
            names,
            clock,
            settings.metrics.glucose,
        ));
        let mqtt = settings
            .mqtt
            .as_ref()
            .map(|mqtt| crate::mqtt::start(mqtt, &settings.accounts, &feeds))
            .transpose()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
        let (stop, stopping) = shutdown::channel();
        let state = web::Data::new(AppState {
            accounts: Accounts::new(settings, settings.anonymous_allowed(addr)),
            auth_failures: AuthFailures::new(settings.auth.failure_delay_max),
            feeds,
            renders: RenderCache::new(settings.render_cache_bytes),
            clock,
            streams: Slots::new(settings.push.max_streams),
            push: settings.push.clone(),
            stopping: stopping.clone(),
            metrics,
        });
        let origins = settings.cors.allowed_origins.clone();
        let access_log = settings.access_log;
        let log_format = settings.log_format;
        let shutdown_timeout = settings.shutdown_timeout.as_secs();
        let spec = crate::openapi::document();
        let parts = Parts {
            state,
            known: web::Data::new(KnownPaths::of(&spec, settings.accounts.len() == 1)),
            spec,
        };
        // Every layer costs every request, even switched off: without CORS and the access
        // log, the application goes without their layers.
        let server = if origins.is_empty() && !access_log {
            HttpServer::new(move || app(&parts))
                .client_request_timeout(REQUEST_HEAD_TIMEOUT)
                .shutdown_signal(stopping.wait())
                .shutdown_timeout(shutdown_timeout)
                .listen(listener)?
                .run()
        } else {
            HttpServer::new(move || {
                app(&parts)
                    .wrap(Condition::new(!origins.is_empty(), cors(&origins)))
                    .wrap(Condition::new(
                        access_log,
                        middleware::access_log(log_format),
                    ))
            })
            .client_request_timeout(REQUEST_HEAD_TIMEOUT)
            .shutdown_signal(stopping.wait())
            .shutdown_timeout(shutdown_timeout)
            .listen(listener)?
            .run()
        };
        Ok(Application {
            addr,
            server,
            feeds: feed_thread,
            mqtt,
            stop,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What the MQTT publisher tells about itself, when `[mqtt]` is configured.
    pub fn mqtt_probe(&self) -> Option<MqttProbe> {
        self.mqtt.as_ref().map(MqttPublisher::probe)
    }

    /// Stops the application gracefully when asked (see [`crate::shutdown`]).
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle::new(Arc::clone(&self.stop))
    }

    /// Serves until a stop is asked for and the server has drained, then stops the feeds and
    /// MQTT.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let _feeds = self.feeds;
        let _stop = self.stop;
        let served = self.server.await;
        log::info!("server stopped");
        if let Some(mqtt) = self.mqtt {
            mqtt.stop().await;
        }
        served
    }
}

/// What every worker's application is built from, built once (cloning shares it).
#[derive(Clone)]
struct Parts {
    state: web::Data<AppState>,
    spec: utoipa::openapi::OpenApi,
    known: web::Data<KnownPaths>,
}

/// One worker's application: the routes, the Swagger UI, the fallback, and the guard layer.
fn app(
    parts: &Parts,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, _) = App::new()
        .into_utoipa_app()
        .configure(routes::configure)
        .split_for_parts();
    let root_aliases = parts.known.root_aliases();
    app.configure(|config| routes::nightscout_facade::configure_aliases(config, root_aliases))
        .app_data(parts.state.clone())
        .app_data(parts.known.clone())
        // GET only (`web::redirect` answers every method): other methods get the fallback's 405.
        .route(DOCS_PATH, web::get().to(to_docs))
        .service(
            SwaggerUi::new(format!("{DOCS_PATH}/{{_:.*}}")).url(OPENAPI_PATH, parts.spec.clone()),
        )
        .default_service(web::to(routes::fallback))
        .wrap(from_fn(middleware::guard))
}

/// `/docs` → `/docs/`, where the Swagger UI's relative links resolve.
async fn to_docs() -> actix_web::HttpResponse {
    actix_web::HttpResponse::TemporaryRedirect()
        .insert_header((header::LOCATION, format!("{DOCS_PATH}/")))
        .finish()
}

/// Connections the kernel queues while the workers are busy (std's own `bind` queues 128:
/// a crowd of 200 clients then waits a second for a retransmitted SYN).
const LISTEN_BACKLOG: i32 = 2048;

/// A listening socket on `addr` with a deep queue, as actix's own `bind` makes.
pub fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(LISTEN_BACKLOG)?;
    Ok(socket.into())
}

/// Browsers on these origins may call the API with GET and an `Authorization` header.
fn cors(origins: &[String]) -> Cors {
    origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods([Method::GET])
        .allowed_headers([header::AUTHORIZATION])
        .expose_headers([
            header::WWW_AUTHENTICATE,
            header::RETRY_AFTER,
            HeaderName::from_static(SIMULATED_HEADER),
        ])
        .max_age(3600)
}

/// awc's rustls feature compiles rustls without a crypto provider; without one, the first
/// HTTPS call panics. Installing twice is harmless (tests build several applications).
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
