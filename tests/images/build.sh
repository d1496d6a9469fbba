#!/usr/bin/env bash
# Build the test base image locally and print its reference. No container registry is reachable, so the
# root filesystem comes from debootstrap (Debian bookworm, minbase) with the apt mirror this machine uses,
# and is imported with `docker import`. The tag is a digest of this script and the files it copies, so an
# unchanged image is reused and any change to its inputs builds a new one.
#
# The image runs PostgreSQL 15 by default and carries python3, curl, Node.js and npm for the sample app
# images and the security scan.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repository=mirrorbuddy-test/base
packages=postgresql-15,postgresql-client-15,python3,curl,ca-certificates,procps,cron,iproute2,nodejs
# debootstrap's own dependency resolution cannot configure npm, so apt installs it in a chroot afterwards.
chroot_packages=npm

inputs_digest=$(cat "$here/build.sh" "$here/postgres/docker-entrypoint.sh" | sha256sum | cut -c1-12)
image="$repository:$inputs_digest"

if docker image inspect "$image" >/dev/null 2>&1; then
  echo "$image"
  exit 0
fi

mirror=$("$here/../../scripts/apt-mirror")
rootfs=$(mktemp -d /var/tmp/mirrorbuddy-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT

echo "Building $image with debootstrap from $mirror (a few minutes)" >&2
debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" "$mirror" >&2
chroot "$rootfs" apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive chroot "$rootfs" apt-get install -y -qq --no-install-recommends $chroot_packages >&2

install -m 0755 "$here/postgres/docker-entrypoint.sh" "$rootfs/usr/local/bin/docker-entrypoint.sh"
# Debian's postgresql-common creates a cluster at install time; the entrypoint makes its own in PGDATA.
rm -rf "$rootfs/var/lib/postgresql/15" "$rootfs/etc/postgresql/15"
rm -rf "$rootfs/var/cache/apt/archives"/*.deb "$rootfs/var/lib/apt/lists"/*

tar --numeric-owner -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV PGDATA=/var/lib/postgresql/data' \
  --change 'EXPOSE 5432' \
  --change 'CMD ["/usr/local/bin/docker-entrypoint.sh"]' \
  - "$image" >&2
docker tag "$image" "$repository:latest"
echo "$image"
