//! `bare`: the physical limit the benchmark compares the proxy with. A bare actix-web server
//! (default worker count, like the service) that answers GET on each given path with a file's
//! bytes as `application/json`: no middleware, no logging, no per-request work.
//!
//! ```text
//! bare --listen 127.0.0.1:0 --serve /readings/current=current.json --serve /readings=day.json
//! ```
//! The first stdout line is `bare listening on http://IP:PORT`.

use std::io::Write;
use std::net::TcpListener;
use std::process::ExitCode;

use actix_web::{web, App, HttpResponse, HttpServer};
use bytes::Bytes;
use clap::Parser;

/// Serves files' bytes at fixed paths, nothing else.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    /// `PATH=FILE`: answer GET PATH (any query string) with FILE's bytes. Repeatable.
    #[arg(long, value_name = "PATH=FILE", required = true)]
    serve: Vec<String>,
}

fn load(serve: &[String]) -> Result<Vec<(String, Bytes)>, String> {
    serve
        .iter()
        .map(|spec| {
            let (path, file) = spec
                .split_once('=')
                .ok_or_else(|| format!("{spec:?} is not PATH=FILE"))?;
            let body = std::fs::read(file).map_err(|e| format!("cannot read {file}: {e}"))?;
            Ok((path.to_owned(), Bytes::from(body)))
        })
        .collect()
}

#[actix_web::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let routes = match load(&args.serve) {
        Ok(routes) => routes,
        Err(e) => {
            eprintln!("bare: {e}");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(&args.listen) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bare: cannot listen on {}: {e}", args.listen);
            return ExitCode::from(1);
        }
    };
    let addr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("bare: {e}");
            return ExitCode::from(1);
        }
    };
    let server = HttpServer::new(move || {
        routes.iter().fold(App::new(), |app, (path, body)| {
            let body = body.clone();
            app.route(
                path,
                web::get().to(move || {
                    let body = body.clone();
                    async move {
                        HttpResponse::Ok()
                            .content_type("application/json")
                            .body(body)
                    }
                }),
            )
        })
    })
    .listen(listener);
    let server = match server {
        Ok(server) => server.run(),
        Err(e) => {
            eprintln!("bare: {e}");
            return ExitCode::from(1);
        }
    };
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "bare listening on http://{addr}");
    let _ = stdout.flush();
    drop(stdout);
    match server.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bare: {e}");
            ExitCode::from(1)
        }
    }
}
