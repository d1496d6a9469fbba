# Shared steps of scripts/demo and scripts/test: Debian packages, the Python environment and dockerd.
# Source it from bash with `repo` set to the repository root.

log() {
  printf '==> %s\n' "$*" >&2
}

require_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "$0 installs Debian packages and starts services: run it as root (for example with sudo)" >&2
    exit 1
  fi
}

# Install the Debian packages that are missing; apt-get update runs only when something is missing.
ensure_debian_packages() {
  local missing=()
  local package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    log "Installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# Create the virtual environment in .venv (or $MIRRORBUDDY_VENV) and install requirements.txt when it changed.
ensure_venv() {
  venv=${MIRRORBUDDY_VENV:-$repo/.venv}
  local stamp="$venv/.requirements.sha256"
  local digest
  digest=$(sha256sum "$repo/requirements.txt" | cut -d' ' -f1)
  if [ ! -x "$venv/bin/python" ]; then
    log "Creating the Python environment in $venv"
    python3 -m venv "$venv"
  fi
  if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
    log "Installing Python packages from requirements.txt"
    mkdir -p "$repo/.tmp"
    if ! "$venv/bin/pip" install -q -r "$repo/requirements.txt" >"$repo/.tmp/pip.log" 2>&1; then
      echo "pip install -r requirements.txt failed; the end of $repo/.tmp/pip.log:" >&2
      tail -n 20 "$repo/.tmp/pip.log" >&2
      exit 1
    fi
    echo "$digest" >"$stamp"
  fi
  export PATH="$venv/bin:$PATH"
  export VIRTUAL_ENV="$venv"
}

# Build the collection tarball and install it into .tmp/collections, as users install it.
install_collection() {
  local build
  build=$(mktemp -d)
  ansible-galaxy collection build --force --output-path "$build" "$repo" >/dev/null
  export ANSIBLE_COLLECTIONS_PATH="$repo/.tmp/collections"
  rm -rf "$ANSIBLE_COLLECTIONS_PATH/ansible_collections/mirrorbuddy/ops"
  ansible-galaxy collection install --offline --force -p "$ANSIBLE_COLLECTIONS_PATH" "$build"/mirrorbuddy-ops-*.tar.gz >/dev/null
  rm -rf "$build"
}

# Start dockerd when no Docker Engine responds, and wait until it responds.
ensure_dockerd() {
  if docker info >/dev/null 2>&1; then
    return
  fi
  log "Starting dockerd"
  mkdir -p "$repo/.tmp"
  nohup dockerd >"$repo/.tmp/dockerd.log" 2>&1 &
  local waited=0
  until docker info >/dev/null 2>&1; do
    sleep 1
    waited=$((waited + 1))
    if [ "$waited" -ge 60 ]; then
      echo "dockerd did not respond within 60 seconds; see $repo/.tmp/dockerd.log" >&2
      exit 1
    fi
  done
}
