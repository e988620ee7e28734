# mnemos container image: one static-ish binary on distroless, running as non-root.
#
#   docker build -t mnemos:dev .
#   docker run --rm mnemos:dev --version
#
# Not built in CI (no container engine on the CI machines); see docs/kubernetes.md.

# --- build -------------------------------------------------------------------------------
FROM rust:1.88-bookworm AS build
WORKDIR /src
# The whole workspace: crates/, proto/ (compiled by build scripts with the vendored protoc)
# and tests/ (a workspace member, so Cargo needs its manifest). .dockerignore drops the rest.
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p mnemos \
    && install -D -m 0755 target/release/mnemos /out/mnemos

# --- runtime -----------------------------------------------------------------------------
# distroless/cc: glibc and libgcc for a Rust binary, CA certificates, no shell; the
# :nonroot tag runs as uid/gid 65532, which the Helm chart's securityContext also sets.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/mnemos /bin/mnemos
USER 65532:65532
# gRPC (StoreAPI) and HTTP (/metrics, /-/healthy, /-/ready, the query API).
EXPOSE 10901 10902
ENTRYPOINT ["/bin/mnemos"]
CMD ["--help"]
