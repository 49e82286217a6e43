# Build: docker build -t dexcom-share-proxy .
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY tests ./tests
COPY openapi ./openapi
RUN cargo build --release --locked --bin dexcom-share-proxy --bin share-simulator

FROM debian:bookworm-slim
# webpki roots are compiled in: no CA bundle needed.
RUN useradd --system --uid 10001 --no-create-home proxy
COPY --from=build /src/target/release/dexcom-share-proxy /src/target/release/share-simulator /usr/local/bin/
USER 10001
EXPOSE 8080
ENTRYPOINT ["dexcom-share-proxy"]
CMD ["--listen", "0.0.0.0:8080"]
