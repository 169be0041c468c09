#!/usr/bin/env bash
# Builds the payments service and rolls it out to one environment.
# Usage: scripts/deploy.sh <staging|prod>
set -euo pipefail

ENV="${1:?usage: deploy.sh <staging|prod>}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD_DIR="$ROOT/build/$ENV"
TAG="$(git -C "$ROOT" rev-parse --short HEAD)"
IMAGE="registry.example.com/acme/payments:$TAG"

log() { printf '[deploy %s] %s\n' "$ENV" "$*" >&2; }

log "staging sources in $BUILD_DIR"
mkdir -p "$BUILD_DIR"
cp -R "$ROOT/services" "$ROOT/go.mod" "$BUILD_DIR/"

log "building $IMAGE"
docker build -t "$IMAGE" "$BUILD_DIR"
docker push "$IMAGE"

log "applying migrations"
for migration in "$ROOT"/db/migrations/*.sql; do
  psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f "$migration"
done

log "rolling out"
kubectl --context "$ENV" set image deployment/payments payments="$IMAGE"
kubectl --context "$ENV" rollout status deployment/payments --timeout=120s
log "done"
