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
# libraries that binary links (its ldd closure), on the same Debian release the builder used,
# and runs as a non-root numeric user so that Kubernetes can enforce `runAsNonRoot`.

ARG DEBIAN_IMAGE=debian:latest

FROM ${DEBIAN_IMAGE} AS builder
WORKDIR /src
# Dependencies first, so that a source change does not re-install them.
COPY scripts/deps.sh scripts/deps.sh
RUN bash scripts/deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN make BUILD=build
# Stage /out/<binary>/ as a root file system holding the stripped binary and its ldd closure
# (libraries copied under their canonical /usr/lib path with their SONAME file name).
# A binary that this tree does not build (yet) is skipped; its image target then fails.
RUN set -eu; \
    for bin in greeter-server greeter-client xdsd; do \
      [ -x "build/bin/$bin" ] || { echo "builder: build/bin/$bin not built, skipped"; continue; }; \
      root="/out/$bin"; \
      install -D -m 0755 "build/bin/$bin" "$root/usr/local/bin/$bin"; \
      strip --strip-unneeded "$root/usr/local/bin/$bin"; \
      ldd "build/bin/$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | while read -r lib; do \
        dir="$(dirname "$(readlink -f "$lib")")"; \
        install -D -m 0644 "$lib" "$root$dir/$(basename "$lib")"; \
      done; \
    done

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
