# syntax=docker/dockerfile:1
#
# The identity service's image. Build from the workspace root (the build needs go.work and
# the pkg module beside services/identity):
#
#   docker build -f deploy/docker/identity.Dockerfile -t <your-registry>/nuanxin/identity:<git-sha> .
#
# then point deploy/k8s/kustomization.yaml at it (images:). Not built in CI here: the
# development machines and CI have no Docker engine; `make run` builds and runs the binaries
# directly. identity.Dockerfile.dockerignore beside this file keeps .data/ and .git/ out of
# the build context (BuildKit reads <Dockerfile>.dockerignore).
#
# A copy of registry.Dockerfile with the service's name and port (8086) replaced; keep the two in
# step. No key is baked in: the signing key (AUTH_PRIVATE_KEY_FILE) is a Secret mounted at run
# time (deploy/k8s/identity).

FROM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w" -o /out/identity ./services/identity/cmd/identity

# Static binary, no shell, no package manager; runs as uid/gid 65532 (nonroot).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/identity /identity
USER 65532:65532
# The binary's own default is 127.0.0.1:8086 (right for `make run`); in a container it must
# listen on every interface.
ENV HTTP_ADDR=:8086
EXPOSE 8086
ENTRYPOINT ["/identity"]
