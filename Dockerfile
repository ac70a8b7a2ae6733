# Build: the gongkai binary in release mode.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --bin gongkai

# Run: a slim image with the binary; point DATABASE_URL at a PostgreSQL server.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/gongkai --create-home gongkai
COPY --from=build /src/target/release/gongkai /usr/local/bin/gongkai
USER gongkai
ENV GONGKAI_BIND=0.0.0.0:8080 GONGKAI_DATA_DIR=/var/lib/gongkai
VOLUME /var/lib/gongkai
EXPOSE 8080
# bash, not dash: the probe uses /dev/tcp.
HEALTHCHECK CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /readyz HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q ' 200 ' <&3"]
ENTRYPOINT ["/usr/local/bin/gongkai"]
CMD ["serve"]
