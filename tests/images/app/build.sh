#!/usr/bin/env bash
# Build the sample app images FROM mirrorbuddy-test/base:latest and print their references, one a line:
#   mirrorbuddy-app:1.0.0, mirrorbuddy-app:1.1.0 (healthy) and mirrorbuddy-app:2.0.0-unhealthy (its
#   /api/health responds with status 503, for failed deploys).
# An image is rebuilt only when its inputs changed: the label io.mirrorbuddy.app.inputs carries a digest
# of the base image ID, the files in this directory and the build arguments.
# Set MIRRORBUDDY_APP_REPOSITORY to build under another repository name.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repository=${MIRRORBUDDY_APP_REPOSITORY:-mirrorbuddy-app}
base=mirrorbuddy-test/base:latest

base_id=$(docker image inspect --format '{{.Id}}' "$base") || {
  echo "the base image $base is missing; build it with tests/images/build.sh" >&2
  exit 1
}
files_digest=$(cat "$here/build.sh" "$here/Dockerfile" "$here/server.js" "$here/package.json" \
  "$here/package-lock.json" | sha256sum | cut -c1-16)

# tag version healthy
variants=(
  "1.0.0 1.0.0 true"
  "1.1.0 1.1.0 true"
  "2.0.0-unhealthy 2.0.0 false"
)

for variant in "${variants[@]}"; do
  read -r tag version healthy <<<"$variant"
  image="$repository:$tag"
  digest=$(printf '%s %s %s %s' "$base_id" "$files_digest" "$version" "$healthy" | sha256sum | cut -c1-16)
  current=$(docker image inspect --format '{{index .Config.Labels "io.mirrorbuddy.app.inputs"}}' "$image" \
    2>/dev/null || true)
  if [ "$current" != "$digest" ]; then
    echo "Building $image" >&2
    DOCKER_BUILDKIT=0 docker build --quiet --tag "$image" --build-arg "APP_VERSION=$version" \
      --build-arg "APP_HEALTHY=$healthy" --build-arg "INPUTS_DIGEST=$digest" "$here" >&2
    # Distinct creation dates keep the image-date fallback of rollback deterministic.
    sleep 1
  fi
  echo "$image"
done
