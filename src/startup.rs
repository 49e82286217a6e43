//! Builds the service: shared state once, one Share client per worker, the routes, the
//! Swagger UI, and the listener (port 0 works, so tests run the production wiring).

use std::net::{SocketAddr, TcpListener};

use actix_web::dev::{Server, Service};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Logger;
use actix_web::{web, App, HttpMessage, HttpServer};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::accounts::Accounts;
use crate::config::Settings;
use crate::routes::{self, SimulatedData, SIMULATED_HEADER};
use crate::share::ShareClient;

/// State shared by every worker. Built once: a cache built inside the worker closure would
/// silently become one cache per worker.
pub struct AppState {
    pub accounts: Accounts,
}

/// The bound, ready-to-run service.
pub struct Application {
    addr: SocketAddr,
    server: Server,
}

impl Application {
    pub fn build(settings: &Settings) -> std::io::Result<Application> {
        let listener = TcpListener::bind(settings.listen)?;
        Self::with_listener(settings, listener)
    }

    pub fn with_listener(
        settings: &Settings,
        listener: TcpListener,
    ) -> std::io::Result<Application> {
        install_crypto_provider();
        let addr = listener.local_addr()?;
        let state = web::Data::new(AppState {
            accounts: Accounts::new(settings),
        });
        let spec = crate::openapi::document();
        let timeout = settings.upstream_timeout;
        let root_aliases = settings.accounts.len() == 1;
        let server = HttpServer::new(move || {
            let (app, _) = App::new()
                .into_utoipa_app()
                .configure(routes::configure)
                .split_for_parts();
            app.configure(|config| routes::nightscout::configure_aliases(config, root_aliases))
                .app_data(state.clone())
                .app_data(web::Data::new(ShareClient::new(timeout)))
                .service(web::redirect("/docs", "/docs/"))
                .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", spec.clone()))
                .default_service(web::to(routes::fallback))
                .wrap_fn(|req, srv| {
                    let response = srv.call(req);
                    async move {
                        let mut response = response.await?;
                        if response.request().extensions().contains::<SimulatedData>() {
                            response.headers_mut().insert(
                                HeaderName::from_static(SIMULATED_HEADER),
                                HeaderValue::from_static("true"),
                            );
                        }
                        Ok(response)
                    }
                })
                .wrap(Logger::new("%a \"%r\" %s %b %Dms"))
        })
        .listen(listener)?
        .run();
        Ok(Application { addr, server })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// awc's rustls feature compiles rustls without a crypto provider; without one, the first
/// HTTPS call panics. Installing twice is harmless (tests build several applications).
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
