# check: dockerfile
# expect: is not pinned to a release
# syntax=docker/dockerfile:1
#
# One multi-stage build for the three images the demo uses:
#
#   docker build -t grpc-load-balancing/client:1 --target client -f Dockerfile .
#   docker build -t grpc-load-balancing/server:1 --target server -f Dockerfile .
#   docker build -t grpc-load-balancing/xds:1    --target xds    -f Dockerfile .
#
# The builder installs the build dependencies and builds with the same commands CI uses
# (`bash scripts/deps.sh`, `make`). Each runtime target gets only its binary and the shared
# libraries that binary links (its ldd closure, deploy/image/stage-rootfs.sh), on the same Debian
# release the builder used, and runs as a non-root numeric user so that Kubernetes can enforce
# `runAsNonRoot`.

ARG DEBIAN_IMAGE=debian:latest

FROM ${DEBIAN_IMAGE} AS builder
WORKDIR /src
# Dependencies first, so that a source change does not re-install them.
COPY scripts/deps.sh scripts/deps.sh
RUN bash scripts/deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN make BUILD=build
# Stage /out/<program>/: the stripped program and the shared libraries it links, nothing else
# (tests/deploy runs the same script and chroots into the result).
RUN bash deploy/image/stage-rootfs.sh build/bin /out greeter-server greeter-client xdsd

# The common runtime base: the builder's Debian release, nothing added.
FROM ${DEBIAN_IMAGE} AS runtime
LABEL org.opencontainers.image.description="gRPC load-balancing demo in C"

FROM runtime AS client
COPY --from=builder /out/greeter-client/ /
# Fails the build if a shared library is missing from the image.
RUN ldd /usr/local/bin/greeter-client | awk '/not found/ { bad = 1; print } END { exit bad }'
USER 65532:65532
ENV SERVER_ADDRESS=dns:///server:50051
ENTRYPOINT ["/usr/local/bin/greeter-client"]

FROM runtime AS xds
COPY --from=builder /out/xdsd/ /
RUN ldd /usr/local/bin/xdsd | awk '/not found/ { bad = 1; print } END { exit bad }'
USER 65532:65532
EXPOSE 9002
ENTRYPOINT ["/usr/local/bin/xdsd"]
CMD ["--config", "/config/config.yaml", "--listen", "0.0.0.0:9002"]

FROM runtime AS server
COPY --from=builder /out/greeter-server/ /
RUN ldd /usr/local/bin/greeter-server | awk '/not found/ { bad = 1; print } END { exit bad }'
USER 65532:65532
EXPOSE 50051
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/greeter-server"]
