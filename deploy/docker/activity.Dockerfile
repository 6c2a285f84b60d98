# syntax=docker/dockerfile:1
#
# The activity service's image. Build from the workspace root (the build needs go.work and
# the pkg module beside services/activity):
#
#   docker build -f deploy/docker/activity.Dockerfile -t <your-registry>/nuanxin/activity:<git-sha> .
#
# then point deploy/k8s/kustomization.yaml at it (images:). Not built in CI here: the
# development machines and CI have no Docker engine; `make run` builds and runs the binaries
# directly. activity.Dockerfile.dockerignore beside this file keeps .data/ and .git/ out of
# the build context (BuildKit reads <Dockerfile>.dockerignore).
#
# A copy of registry.Dockerfile with the service's name and port (8082) replaced, plus the
# photo directory; keep the two in step.

FROM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w" -o /out/activity ./services/activity/cmd/activity \
 && mkdir -p /out/photos

# Static binary, no shell, no package manager; runs as uid/gid 65532 (nonroot).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/activity /activity
# Report photos (PHOTO_DIR). The binary's default, .data/photos, is relative to the working
# directory and not writable here; mount a persistent volume at this path (deploy/k8s/activity
# uses a PersistentVolumeClaim), or the photos go with the container. The empty directory is
# owned by nonroot so that a fresh Docker volume mounted here is writable too.
COPY --from=build --chown=65532:65532 /out/photos /var/lib/nuanxin/photos
ENV PHOTO_DIR=/var/lib/nuanxin/photos
USER 65532:65532
# The binary's own default is 127.0.0.1:8082 (right for `make run`); in a container it must
# listen on every interface.
ENV HTTP_ADDR=:8082
EXPOSE 8082
ENTRYPOINT ["/activity"]
