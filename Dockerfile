# syntax=docker/dockerfile:1
# Build:       docker build -t dexcom-share-proxy .
# Multi-arch:  docker buildx build --platform linux/amd64,linux/arm64,linux/arm/v7 -t … .
#              (README, "Multi-arch"). Both base images are published for all three.

# Build stage: the official Rust image (Debian 12), the same Debian as the runtime image, so
# the binary links against the glibc it will run with. `--locked`: exactly Cargo.lock.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Only what the two binaries are built from (.dockerignore keeps the rest out of the context).
COPY Cargo.toml Cargo.lock ./
COPY src ./src
# The registry cache survives between builds; `locked`: parallel platform builds take turns.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    cargo build --release --locked --bin dexcom-share-proxy --bin share-simulator

# Runtime: distroless "cc" (glibc and libgcc, no shell, no package manager), as its numeric
# non-root user. TLS roots are compiled into the binary (webpki-roots): no CA bundle needed.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/dexcom-share-proxy /src/target/release/share-simulator /usr/local/bin/
USER 65532:65532
EXPOSE 8080
# No shell in the image: the binary probes itself. Its default URL is this one; it is spelt
# out so that a changed port shows here (scripts/compose-check.py compares them).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["dexcom-share-proxy", "healthcheck", "--url", "http://127.0.0.1:8080/health"]
# SIGTERM (the default stop signal) drains in-flight requests for up to
# [server] shutdown_timeout_seconds (5 s by default), within `docker stop`'s 10 s.
ENTRYPOINT ["dexcom-share-proxy"]
CMD ["--listen", "0.0.0.0:8080"]
