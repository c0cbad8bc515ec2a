# syntax=docker/dockerfile:1
#
# The peermatch image: `peermatchd` (the entrypoint) and the `peermatch` CLI,
# which the Kubernetes manifests use for the scheduled regroup and, in the
# production overlay, for the TLS health probes (k8s/, docs/kubernetes.md).
#
#   docker build -t peermatch/peermatchd:0.1.0 .
#
# The tag is the project version (CMakeLists.txt) and the image the manifests
# name (k8s/base); tests/k8s checks that the three agree and that the image
# runs as a non-root numeric user.

########## build: Debian 12's toolchain and -dev packages, a Release build.
FROM debian:bookworm-slim AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler \
      libabsl-dev libhiredis-dev libsimdjson-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what the two binaries are built from (.dockerignore keeps the rest out).
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY base/ base/
COPY matcher/ matcher/
COPY proto/ proto/
COPY service/ service/
COPY cli/ cli/
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DPEERMATCH_BUILD_TESTS=OFF -DPEERMATCH_BUILD_BENCH=OFF \
 && cmake --build /build --target peermatchd peermatch \
 && install -D -m 0755 -s /build/service/peermatchd /out/usr/local/bin/peermatchd \
 && install -D -m 0755 -s /build/cli/peermatch /out/usr/local/bin/peermatch

########## runtime: the shared libraries only, no compiler, no shell tools added.
FROM debian:bookworm-slim AS runtime
ARG DEBIAN_FRONTEND=noninteractive
# libgrpc++1.51 brings libgrpc29, c-ares, re2 and OpenSSL; tzdata provides the
# IANA zones that member availability is converted with; ca-certificates for
# TLS peers.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libgrpc++1.51 libprotobuf32 libabsl20220623 libhiredis0.14 \
      libsimdjson14 tzdata ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/usr/local/bin/peermatchd /usr/local/bin/peermatchd
COPY --from=build /out/usr/local/bin/peermatch /usr/local/bin/peermatch
LABEL org.opencontainers.image.title="peermatch" \
      org.opencontainers.image.description="peermatchd gRPC service and the peermatch CLI" \
      org.opencontainers.image.version="0.1.0"
# A numeric non-root user (the "nonroot" uid of distroless images), so that
# Kubernetes' runAsNonRoot can verify it without an /etc/passwd lookup.
USER 65532:65532
# gRPC (with grpc.health.v1) and Prometheus metrics (/metrics).
EXPOSE 50051 9464
ENTRYPOINT ["/usr/local/bin/peermatchd"]
