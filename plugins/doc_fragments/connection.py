# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The connection options of every database module, defined once in module_utils/target.py.
    DOCUMENTATION = r"""
options:
  target:
    description:
      - Where PostgreSQL runs.
      - V(container) runs the client programs inside a Docker container on the managed node through the
        Docker Engine API exec endpoint, without a TTY, as the runbook does with C(docker exec mirrorbuddy-db).
      - V(host) runs the client programs installed on the managed node and connects with libpq options.
    type: str
    choices: [container, host]
    default: container
  container:
    description: Name or ID of the database container, for O(target=container).
    type: str
    default: mirrorbuddy-db
  container_user:
    description:
      - User (name or UID) that runs the client programs inside the container, for O(target=container).
      - By default the container's own user.
    type: str
  docker_host:
    description:
      - URL of the Docker daemon, for O(target=container), for example C(unix:///var/run/docker.sock).
      - By default the E(DOCKER_HOST) environment variable or the local socket.
    type: str
  database:
    description:
      - Name of the database. A connection string or URI is rejected, because it could carry a password
        into an argument vector; use the other options instead.
    type: str
    default: mirrorbuddy
    aliases: [db]
  login_user:
    description: Database role to connect as.
    type: str
    default: mirrorbuddy
    aliases: [user]
  login_password:
    description:
      - Password of O(login_user). It reaches the client programs only through the E(PGPASSWORD)
        environment variable, never their arguments, and never appears in results or logs.
      - Without a password (here or in O(passfile)) a login that needs one fails at once; nothing prompts.
    type: str
  passfile:
    description:
      - Path of a libpq password file (E(PGPASSFILE)). For O(target=container) the path is inside the container.
    type: str
  login_host:
    description:
      - Host name, IP address or socket directory of the server. By default the client's default (the local
        Unix socket).
    type: str
    aliases: [host]
  port:
    description: TCP port of the server (or the number in its socket file name).
    type: int
    aliases: [login_port]
  ssl_mode:
    description: libpq C(sslmode) of the connection.
    type: str
    choices: [disable, allow, prefer, require, verify-ca, verify-full]
  service:
    description: Name of a service in the libpq connection service file (E(PGSERVICE)).
    type: str
  connect_timeout:
    description: Seconds to wait for a connection before failing (E(PGCONNECT_TIMEOUT)); at least 1.
    type: int
    default: 10
  pg_bin_dir:
    description:
      - Directory of the PostgreSQL client programs on the managed node, for O(target=host), for example
        C(/usr/lib/postgresql/15/bin). By default they are looked up on E(PATH).
    type: path
requirements:
  - docker (the Python SDK) on the managed node, for O(target=container)
  - psycopg2 and the PostgreSQL client programs on the managed node, for O(target=host)
"""
