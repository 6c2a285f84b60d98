# syntax=docker/dockerfile:1
#
# The registry service's image. Build from the workspace root (the build needs go.work and
# the pkg module beside services/registry):
#
#   docker build -f deploy/docker/registry.Dockerfile -t <your-registry>/nuanxin/registry:<git-sha> .
#
# then point deploy/k8s/kustomization.yaml at it (images:). Not built in CI here: the
# development machines and CI have no Docker engine; `make run` builds and runs the binaries
# directly. registry.Dockerfile.dockerignore beside this file keeps .data/ and .git/ out of
# the build context (BuildKit reads <Dockerfile>.dockerignore).
#
# activity.Dockerfile (8082, plus its photo directory), points.Dockerfile (8083),
# notification.Dockerfile (8084), stats.Dockerfile (8085) and identity.Dockerfile (8086) are copies
# of this file; keep them in step. Another service: copy this file and its .dockerignore, replace
# "registry" in the build path and the binary name, and the port in HTTP_ADDR/EXPOSE.

FROM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w" -o /out/registry ./services/registry/cmd/registry

# Static binary, no shell, no package manager; runs as uid/gid 65532 (nonroot).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/registry /registry
USER 65532:65532
# The binary's own default is 127.0.0.1:8081 (right for `make run`); in a container it must
# listen on every interface.
ENV HTTP_ADDR=:8081
EXPOSE 8081
ENTRYPOINT ["/registry"]
