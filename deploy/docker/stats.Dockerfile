# syntax=docker/dockerfile:1
#
# The stats service's image. Build from the workspace root (the build needs go.work and
# the pkg module beside services/stats):
#
#   docker build -f deploy/docker/stats.Dockerfile -t <your-registry>/nuanxin/stats:<git-sha> .
#
# then point deploy/k8s/kustomization.yaml at it (images:). Not built in CI here: the
# development machines and CI have no Docker engine; `make run` builds and runs the binaries
# directly. stats.Dockerfile.dockerignore beside this file keeps .data/ and .git/ out of
# the build context (BuildKit reads <Dockerfile>.dockerignore).
#
# A copy of registry.Dockerfile with the service's name and port (8085) replaced; keep the two in
# step.

FROM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w" -o /out/stats ./services/stats/cmd/stats

# Static binary, no shell, no package manager; runs as uid/gid 65532 (nonroot). The distroless
# static image carries the zoneinfo for Asia/Shanghai, whose days and months the figures are
# counted in (the binary falls back to a fixed UTC+8 without it).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/stats /stats
USER 65532:65532
# The binary's own default is 127.0.0.1:8085 (right for `make run`); in a container it must
# listen on every interface.
ENV HTTP_ADDR=:8085
EXPOSE 8085
ENTRYPOINT ["/stats"]
