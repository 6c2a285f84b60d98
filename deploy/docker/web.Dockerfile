# syntax=docker/dockerfile:1
#
# The web service's image (the console's backend-for-frontend, the UI embedded in the binary).
# Build from the workspace root (the build needs go.work and the pkg module beside services/web):
#
#   docker build -f deploy/docker/web.Dockerfile -t <your-registry>/nuanxin/web:<git-sha> .
#
# then point deploy/k8s/kustomization.yaml at it (images:). Not built in CI here: the
# development machines and CI have no Docker engine; `make run` builds and runs the binaries
# directly. web.Dockerfile.dockerignore beside this file keeps .data/ and .git/ out of the build
# context (BuildKit reads <Dockerfile>.dockerignore).
#
# identity.Dockerfile with the service's name and port (8080), and a first stage that builds the
# UI (services/web/ui: the console and the rider's pages) from its lock file, as `make ui` does;
# the Go build embeds it (go:embed). Keep them in step. No key is baked in: WEB_SESSION_KEY is a
# Secret (deploy/k8s/web).

FROM node:20 AS ui
WORKDIR /ui
COPY services/web/ui/package.json services/web/ui/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY services/web/ui/ ./
RUN node_modules/.bin/vite build --outDir /out/app --emptyOutDir

FROM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY . .
COPY --from=ui /out/app ./services/web/dist/app
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w" -o /out/web ./services/web/cmd/web

# Static binary, no shell, no package manager; runs as uid/gid 65532 (nonroot).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/web /web
USER 65532:65532
# The binary's own default is 127.0.0.1:8080 (right for `make run`); in a container it must
# listen on every interface.
ENV HTTP_ADDR=:8080
EXPOSE 8080
ENTRYPOINT ["/web"]
