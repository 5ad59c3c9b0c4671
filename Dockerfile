# syntax=docker/dockerfile:1
#
# One image, six binaries: ingress, worker, dispatcher, api, cwctl (operator CLI) and chatwoot-sim
# (the Chatwoot simulator used by the demo). The image has no ENTRYPOINT: the container's command picks
# the process (`command: ["worker"]` in compose, `command: ["/usr/local/bin/worker"]` in Kubernetes).
#
#   docker build -t chatwoot-pipeline:dev .                                # runtime (default): distroless, no shell
#   docker build --target runtime-debug -t chatwoot-pipeline:dev-debug .   # + busybox, for compose healthchecks
#
# Builds need BuildKit (the default builder of Docker >= 23): the cargo registry and target directory live
# in cache mounts, so a rebuild after a source change recompiles only the changed crates, and a change to
# deploy/ or docs never invalidates anything (see .dockerignore).

ARG RUST_IMAGE=rust:1-bookworm
# Both runtime bases are Debian 12 (glibc 2.36), like the builder, so the binaries link against the same libc.
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot
ARG DEBUG_IMAGE=gcr.io/distroless/cc-debian12:debug-nonroot

############################################################################################################
FROM ${RUST_IMAGE} AS builder
WORKDIR /src
ENV CARGO_TERM_COLOR=never \
    CARGO_INCREMENTAL=0 \
    CARGO_NET_RETRY=10
# Binaries to build and ship; every one of them must exist as a [[bin]] of the workspace.
ARG BINARIES="ingress worker dispatcher api cwctl chatwoot-sim"

COPY . .
# The target directory is a cache mount, so it is not part of the layer: copy the binaries out of it.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    set -eu; \
    set --; for bin in ${BINARIES}; do set -- "$@" -p "${bin}"; done; \
    cargo build --release --locked "$@"; \
    mkdir -p /out; \
    for bin in ${BINARIES}; do install -m 0755 "target/release/${bin}" "/out/${bin}"; done

############################################################################################################
# Debug variant: the same binaries on distroless `debug-nonroot`, which adds busybox under /busybox
# (sh, wget). docker-compose.yml uses it so its healthchecks can call /readyz with /busybox/wget.
FROM ${DEBUG_IMAGE} AS runtime-debug
COPY --from=builder /out/ /usr/local/bin/
USER 65532:65532
EXPOSE 8080 8081 8082 8083 9090 9093 3000
STOPSIGNAL SIGTERM
CMD ["/usr/local/bin/ingress"]

############################################################################################################
# Production image (the default target, last stage): distroless cc = glibc, libgcc, CA certificates,
# tzdata; no shell, no package manager; runs as nonroot (uid/gid 65532). Kubernetes probes are HTTP
# probes made by the kubelet, so nothing inside the image is needed for health checking.
FROM ${RUNTIME_IMAGE} AS runtime
LABEL org.opencontainers.image.title="chatwoot-pipeline" \
      org.opencontainers.image.description="Chatwoot webhook pipeline: ingress, worker, dispatcher, api, cwctl, chatwoot-sim" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=builder /out/ /usr/local/bin/
USER 65532:65532
# ingress 8080 (webhooks) + 9090 (metrics); worker 8081 and dispatcher 8082 (health + metrics); api 8083 +
# 9093 (metrics); simulator 3000.
EXPOSE 8080 8081 8082 8083 9090 9093 3000
# The services drain on SIGTERM within DRAIN_TIMEOUT.
STOPSIGNAL SIGTERM
CMD ["/usr/local/bin/ingress"]
