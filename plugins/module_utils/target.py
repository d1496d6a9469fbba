# -*- coding: utf-8 -*-
# Copyright: MirrorBuddy operations team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Database targets: PostgreSQL in a Docker container on the managed node, or a server reached with libpq.

Both targets run the PostgreSQL client programs (pg_dump, psql) as an argument vector, stream their
output without a TTY and close their standard input, so no program can wait at a password prompt. The
password reaches the programs only through PGPASSWORD or a passfile in their environment, never in argv.

- ContainerTarget runs the programs inside the container through the Docker Engine API's exec endpoint.
- HostTarget runs the programs installed on the managed node, and SQL through psycopg2.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import threading
import time

from ansible_collections.mirrorbuddy.ops.plugins.module_utils.errors import (
    CommandFailed,
    InvalidArgument,
    TargetError,
)

try:
    import docker
    from docker import errors as docker_errors
except ImportError:
    docker = None
    docker_errors = None

try:
    import psycopg2
    import psycopg2.extras
    from psycopg2 import sql as psycopg2_sql
except ImportError:
    psycopg2 = None
    psycopg2_sql = None

CHUNK_SIZE = 1 << 20  # bytes read from a program's output at a time
OUTPUT_CHUNK_SIZE = 256 << 10  # container output is passed on in chunks of at least this size

SSL_MODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]

# The connection options every database module accepts; the doc fragment
# mirrorbuddy.ops.connection documents them. Copy it with connection_argument_spec().
_CONNECTION_ARGUMENT_SPEC = dict(
    target=dict(type="str", choices=["container", "host"], default="container"),
    container=dict(type="str", default="mirrorbuddy-db"),
    container_user=dict(type="str"),
    docker_host=dict(type="str"),
    database=dict(type="str", default="mirrorbuddy", aliases=["db"]),
    login_user=dict(type="str", default="mirrorbuddy", aliases=["user"]),
    login_password=dict(type="str", no_log=True),
    passfile=dict(type="str", no_log=False),
    login_host=dict(type="str", aliases=["host"]),
    port=dict(type="int", aliases=["login_port"]),
    ssl_mode=dict(type="str", choices=SSL_MODES),
    service=dict(type="str"),
    connect_timeout=dict(type="int", default=10),
    pg_bin_dir=dict(type="path"),
)

_CONNINFO_PATTERN = re.compile(r"^\s*(postgres(ql)?://|\w+\s*=)")
_PSQL_VARIABLE = re.compile(r"(?<!:):(['\"])([A-Za-z_][A-Za-z0-9_]*)\1")


def connection_argument_spec(**overrides):
    """Return a fresh copy of the connection options, with some entries replaced (for example database)."""
    spec = {name: dict(option) for name, option in _CONNECTION_ARGUMENT_SPEC.items()}
    for name, option in overrides.items():
        spec[name] = option
    return spec


def check_database_name(name, option="database"):
    """Reject connection strings where a database name is expected, so no password can land in argv."""
    if not name or not name.strip():
        raise InvalidArgument("%s is empty; give the name of a database" % option)
    if _CONNINFO_PATTERN.match(name):
        raise InvalidArgument(
            "%s must be a database name, not a connection string; give host, port, user and password "
            "with login_host, port, login_user and login_password (or a service name)" % option)
    return name


class CommandResult:
    """The outcome of a finished client program."""

    def __init__(self, argv, exit_code, stderr, stdout=b""):
        self.argv = list(argv)
        self.exit_code = exit_code
        self.stderr = stderr
        self.stdout = stdout

    @property
    def stderr_text(self):
        return self.stderr.decode("utf-8", "replace").strip()

    def raise_for_status(self, what=None):
        if self.exit_code != 0:
            raise CommandFailed(
                "%s failed with exit status %s: %s" % (
                    what or self.argv[0], self.exit_code, self.stderr_text or "(no message on stderr)"),
                exit_code=self.exit_code, stderr=self.stderr_text, command=self.argv)
        return self


class Target:
    """Common parts of both targets: connection options and the client programs' command lines."""

    kind = None

    def __init__(self, params):
        self.params = params
        self.database = check_database_name(params["database"])
        self.user = params["login_user"]
        if params.get("connect_timeout") is not None and params["connect_timeout"] < 1:
            raise InvalidArgument(
                "connect_timeout is %s; give a number of seconds of at least 1" % params["connect_timeout"])

    def describe(self):
        """Return where the database is, without secrets, for results and manifests."""
        described = {"kind": self.kind, "database": self.database, "user": self.user}
        for option in ("login_host", "port", "service"):
            if self.params.get(option):
                described[option] = self.params[option]
        return described

    def client_environment(self):
        """Return the libpq environment of a client program; the only place the password goes."""
        env = {"PGCONNECT_TIMEOUT": str(self.params.get("connect_timeout") or 10)}
        if self.params.get("login_password"):
            env["PGPASSWORD"] = self.params["login_password"]
        if self.params.get("passfile"):
            env["PGPASSFILE"] = self.params["passfile"]
        if self.params.get("ssl_mode"):
            env["PGSSLMODE"] = self.params["ssl_mode"]
        if self.params.get("service"):
            env["PGSERVICE"] = self.params["service"]
        return env

    def client_argv(self, program, database=None, extra=()):
        """Return the argument vector of a libpq client program; --no-password rules out any prompt."""
        argv = [self.program_path(program), "--no-password"]
        if self.params.get("login_host"):
            argv += ["--host", self.params["login_host"]]
        if self.params.get("port"):
            argv += ["--port", str(self.params["port"])]
        if self.user:
            argv += ["--username", self.user]
        argv += list(extra)
        argv += ["--dbname", check_database_name(database or self.database)]
        return argv

    def program_path(self, program):
        return program

    def psql_argv(self, database=None, variables=None, extra=()):
        argv = ["--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1"]
        for name, value in (variables or {}).items():
            argv += ["--set", "%s=%s" % (name, value)]
        return self.client_argv("psql", database, extra=argv + list(extra))

    def stream(self, argv, input_chunks=None):
        """Start a program and return a CommandStream of its standard output."""
        raise NotImplementedError

    def run(self, argv, input_bytes=None):
        """Run a program to the end and return its CommandResult with stdout collected."""
        process = self.stream(argv, [input_bytes] if input_bytes else None)
        output = b"".join(process.chunks())
        result = process.wait()
        result.stdout = output
        return result

    def run_sql_script(self, script, database=None, variables=None):
        """Run SQL through psql with ON_ERROR_STOP; each statement outside BEGIN/COMMIT is autocommitted."""
        argv = self.psql_argv(database, variables)
        return self.run(argv, script.encode("utf-8")).raise_for_status("psql")

    def query(self, statement, variables=None, database=None):
        """Run one SELECT and return its rows as dicts.

        Values go in as psql variables: :'name' for a literal and :"name" for an identifier. Both
        targets accept the same statement text.
        """
        raise NotImplementedError

    def execute(self, statement, variables=None, database=None, settings=None):
        """Send one statement alone, in autocommit, after SET of each session setting in settings.

        Statements that refuse a transaction block (VACUUM, REINDEX CONCURRENTLY, DROP INDEX CONCURRENTLY)
        need this. A failure raises CommandFailed with the SQLSTATE in details["sqlstate"] where the server
        sent one. The setting names are checked; their values travel as psql variables.
        """
        raise NotImplementedError

    def close(self):
        pass


_SETTING_NAME = re.compile(r"^[a-z_]+$")
_SQLSTATE_IN_MESSAGE = re.compile(r"^(?:psql:[^\n]*?)?(?:ERROR|FATAL):\s+([0-9A-Z]{5}):", re.MULTILINE)


def _check_settings(settings):
    for name in settings or {}:
        if not _SETTING_NAME.match(name):
            raise InvalidArgument("%r is not a PostgreSQL setting name" % name)
    return dict(settings or {})


def _psql_error_message(stderr_text):
    """Drop the LOCATION lines and SQLSTATE codes that VERBOSITY=verbose adds, for a readable message."""
    lines = [line for line in stderr_text.splitlines() if not line.lstrip().startswith("LOCATION:")]
    return re.sub(r"(ERROR|FATAL):\s+[0-9A-Z]{5}:", r"\1:", "\n".join(lines)).strip()


class CommandStream:
    """A running program: iterate chunks() for its standard output, then call wait()."""

    def chunks(self):
        raise NotImplementedError

    def wait(self):
        raise NotImplementedError

    def abort(self):
        """Stop the program early, for example after a write error on the receiving side."""
        raise NotImplementedError


def _json_wrapped(statement):
    return (
        "SELECT coalesce(json_agg(row_to_json(mirrorbuddy_rows)), '[]'::json) "
        "FROM (\n%s\n) AS mirrorbuddy_rows;\n" % statement.strip().rstrip(";"))


class _InputWriter(threading.Thread):
    """Write input chunks to a program's standard input, then close it, while its output is read."""

    def __init__(self, chunks, write, close):
        super().__init__(daemon=True)
        self._chunks = chunks
        self._write = write
        self._close = close
        self.error = None

    def run(self):
        try:
            for chunk in self._chunks:
                if chunk:
                    self._write(chunk)
        except (OSError, ValueError) as exc:
            # The program exited early (for example psql on an error), and its exit status reports why.
            self.error = exc
        except Exception as exc:  # an exception of the input iterator itself, reported by wait()
            self.error = exc
        finally:
            try:
                self._close()
            except OSError:
                pass


class ContainerTarget(Target):
    """PostgreSQL in a Docker container on the managed node, reached through the Engine API exec endpoint."""

    kind = "container"

    def __init__(self, params):
        super().__init__(params)
        if docker is None:
            raise TargetError(
                "the docker Python SDK is not installed on the managed node; install it with "
                "'pip install docker' or Debian's python3-docker")
        self.container = params["container"]
        try:
            self.client = docker.from_env() if not params.get("docker_host") else docker.DockerClient(
                base_url=params["docker_host"])
            self.api = self.client.api
            self.api.ping()
        except docker_errors.DockerException as exc:
            raise TargetError(
                "cannot reach the Docker Engine at %s: %s; check that dockerd runs and that this user may "
                "use its socket" % (params.get("docker_host") or os.environ.get("DOCKER_HOST") or
                                    "unix:///var/run/docker.sock", exc))

    def describe(self):
        described = super().describe()
        described["container"] = self.container
        return described

    def container_state(self):
        try:
            info = self.api.inspect_container(self.container)
        except docker_errors.NotFound:
            raise TargetError(
                "container %s not found; check the container option or start the database container"
                % self.container)
        return info.get("State", {})

    def stream(self, argv, input_chunks=None):
        state = self.container_state()
        if not state.get("Running"):
            raise TargetError(
                "container %s is not running (status: %s); start it with 'docker start %s'" % (
                    self.container, state.get("Status", "unknown"), self.container))
        try:
            exec_id = self.api.exec_create(
                self.container, list(argv), stdout=True, stderr=True, stdin=input_chunks is not None,
                tty=False, environment=self.client_environment(), user=self.params.get("container_user") or "",
            )["Id"]
            connection = self.api.exec_start(exec_id, tty=False, socket=True)
        except docker_errors.APIError as exc:
            raise TargetError("docker exec of %s in container %s failed: %s" % (
                argv[0], self.container, exc.explanation or exc))
        return _ExecStream(self.api, exec_id, connection, argv, input_chunks)

    def query(self, statement, variables=None, database=None):
        argv = self.psql_argv(database, variables, extra=["--tuples-only", "--no-align"])
        result = self.run(argv, _json_wrapped(statement).encode("utf-8")).raise_for_status("psql")
        return json.loads(result.stdout.decode("utf-8") or "[]")

    def execute(self, statement, variables=None, database=None, settings=None):
        settings = _check_settings(settings)
        values = dict(variables or {})
        script = []
        for name, value in settings.items():
            values["mirrorbuddy_setting_%s" % name] = value
            script.append("SET %s = :'mirrorbuddy_setting_%s';\n" % (name, name))
        # psql reads standard input statement by statement and sends each alone, so none is in a block.
        script.append(statement.strip().rstrip(";") + ";\n")
        argv = self.psql_argv(database, values, extra=["--set", "VERBOSITY=verbose"])
        result = self.run(argv, "".join(script).encode("utf-8"))
        if result.exit_code != 0:
            match = _SQLSTATE_IN_MESSAGE.search(result.stderr_text)
            raise CommandFailed(
                _psql_error_message(result.stderr_text) or "psql failed with exit status %s" % result.exit_code,
                sqlstate=match.group(1) if match else None, exit_code=result.exit_code)

    def close(self):
        self.client.close()


class _ExecStream(CommandStream):
    """Read the multiplexed stdout and stderr frames of a Docker exec session (no TTY)."""

    _HEADER = struct.Struct(">BxxxL")  # stream type (1 stdout, 2 stderr), 3 padding bytes, payload size

    def __init__(self, api, exec_id, connection, argv, input_chunks):
        self._api = api
        self._exec_id = exec_id
        self._argv = argv
        self._connection = connection
        self._socket = getattr(connection, "_sock", connection)
        self._stderr = bytearray()
        self._writer = None
        if input_chunks is not None:
            self._writer = _InputWriter(input_chunks, self._socket.sendall, self._close_input)
            self._writer.start()

    def _close_input(self):
        self._socket.shutdown(socket.SHUT_WR)

    def abort(self):
        # Closing the connection makes the program's next write fail, which ends it inside the container.
        try:
            self._socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self._connection.close()
        except OSError:
            pass

    def chunks(self):
        # A large buffered reader turns the many small frames dockerd sends into few recv calls, and
        # payloads are joined into chunks of about OUTPUT_CHUNK_SIZE so that consumers see few, large chunks.
        reader = io.BufferedReader(socket.SocketIO(self._socket, "rb"), CHUNK_SIZE)
        pending, pending_size = [], 0
        while True:
            header = reader.read(self._HEADER.size)
            if not header:
                break
            if len(header) < self._HEADER.size:
                raise TargetError("the Docker exec stream of %s ended inside a frame header" % self._argv[0])
            stream_type, size = self._HEADER.unpack(header)
            payload = reader.read(size) if size else b""
            if len(payload) < size:
                raise TargetError("the Docker exec stream of %s ended inside a frame" % self._argv[0])
            if stream_type == 2:
                self._stderr += payload
                continue
            pending.append(payload)
            pending_size += size
            if pending_size >= OUTPUT_CHUNK_SIZE:
                yield b"".join(pending)
                pending, pending_size = [], 0
        if pending:
            yield b"".join(pending)

    def wait(self):
        for dummy in self.chunks():  # drain what the caller did not read
            pass
        if self._writer is not None:
            self._writer.join()
        try:
            self._connection.close()
        except OSError:
            pass
        # The exec's process may be reported as running for a moment after its stream closed.
        deadline = time.monotonic() + 10
        while True:
            info = self._api.exec_inspect(self._exec_id)
            if not info.get("Running") or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        exit_code = info.get("ExitCode")
        result = CommandResult(self._argv, exit_code if exit_code is not None else -1, bytes(self._stderr))
        if self._writer is not None and self._writer.error is not None and result.exit_code == 0:
            raise TargetError("writing to %s failed: %s" % (self._argv[0], self._writer.error))
        return result


class HostTarget(Target):
    """PostgreSQL reached from the managed node with libpq: client binaries and psycopg2."""

    kind = "host"

    def __init__(self, params):
        super().__init__(params)
        self.bin_dir = params.get("pg_bin_dir")

    def program_path(self, program):
        if self.bin_dir:
            path = os.path.join(self.bin_dir, program)
            if not os.access(path, os.X_OK):
                raise TargetError("%s not found in pg_bin_dir %s" % (program, self.bin_dir))
            return path
        path = shutil.which(program)
        if path is None:
            raise TargetError(
                "%s not found on PATH; install the PostgreSQL client (Debian: postgresql-client) or set "
                "pg_bin_dir" % program)
        return path

    def stream(self, argv, input_chunks=None):
        env = dict(os.environ)
        env.pop("PGPASSWORD", None)  # only the module's own options decide the credentials
        env.update(self.client_environment())
        try:
            process = subprocess.Popen(
                list(argv), stdin=subprocess.PIPE if input_chunks is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True)
        except OSError as exc:
            raise TargetError("cannot start %s: %s" % (argv[0], exc))
        return _ProcessStream(process, argv, input_chunks)

    def connect(self, database=None, autocommit=True):
        if psycopg2 is None:
            raise TargetError(
                "psycopg2 is not installed on the managed node; install it with 'pip install "
                "psycopg2-binary' or Debian's python3-psycopg2")
        options = {"dbname": check_database_name(database or self.database), "user": self.user,
                   "connect_timeout": self.params.get("connect_timeout") or 10}
        for option, keyword in (("login_host", "host"), ("port", "port"), ("login_password", "password"),
                                ("passfile", "passfile"), ("ssl_mode", "sslmode"), ("service", "service")):
            if self.params.get(option):
                options[keyword] = self.params[option]
        try:
            connection = psycopg2.connect(**options)
        except psycopg2.OperationalError as exc:
            raise TargetError("cannot connect to database %s: %s" % (options["dbname"], str(exc).strip()))
        connection.autocommit = autocommit
        return connection

    def query(self, statement, variables=None, database=None):
        text, values = to_psycopg2(statement, variables or {})
        connection = self.connect(database)
        try:
            with connection.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
                cursor.execute(text, values)
                rows = cursor.fetchall() if cursor.description else []
            # Normalise through JSON so both targets return the same value types.
            return json.loads(json.dumps([dict(row) for row in rows], default=str))
        except psycopg2.Error as exc:
            raise CommandFailed("query failed: %s" % str(exc).strip(), sqlstate=exc.pgcode)
        finally:
            connection.close()

    def execute(self, statement, variables=None, database=None, settings=None):
        settings = _check_settings(settings)
        text, values = to_psycopg2(statement.strip().rstrip(";"), variables or {})
        connection = self.connect(database, autocommit=True)
        try:
            with connection.cursor() as cursor:
                for name, value in settings.items():
                    cursor.execute(psycopg2_sql.SQL("SET {} = %s").format(psycopg2_sql.Identifier(name)), [value])
                cursor.execute(text, values)
        except psycopg2.Error as exc:
            raise CommandFailed(str(exc).strip(), sqlstate=exc.pgcode)
        finally:
            connection.close()


class _ProcessStream(CommandStream):
    def __init__(self, process, argv, input_chunks):
        self._process = process
        self._argv = argv
        self._stderr = []
        self._stderr_reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._stderr_reader.start()
        self._writer = None
        if input_chunks is not None:
            self._writer = _InputWriter(input_chunks, process.stdin.write, process.stdin.close)
            self._writer.start()

    def _read_stderr(self):
        for line in self._process.stderr:
            self._stderr.append(line)

    def chunks(self):
        stdout = self._process.stdout
        while True:
            chunk = stdout.read1(CHUNK_SIZE) if hasattr(stdout, "read1") else stdout.read(CHUNK_SIZE)
            if not chunk:
                return
            yield chunk

    def wait(self):
        for dummy in self.chunks():
            pass
        if self._writer is not None:
            self._writer.join()
        exit_code = self._process.wait()
        self._stderr_reader.join()
        result = CommandResult(self._argv, exit_code, b"".join(self._stderr))
        if self._writer is not None and self._writer.error is not None and exit_code == 0:
            raise TargetError("writing to %s failed: %s" % (self._argv[0], self._writer.error))
        return result

    def abort(self):
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()


def to_psycopg2(statement, variables):
    """Translate psql variables (:'name' literals, :"name" identifiers) into a psycopg2 query and values."""
    values = {}
    parts = []
    position = 0
    for match in _PSQL_VARIABLE.finditer(statement):
        quote, name = match.group(1), match.group(2)
        if name not in variables:
            raise InvalidArgument("the statement uses the variable %s, which has no value" % name)
        parts.append(psycopg2_sql.SQL(statement[position:match.start()].replace("%", "%%")))
        if quote == "'":
            parts.append(psycopg2_sql.Placeholder(name))
            values[name] = variables[name]
        else:
            parts.append(psycopg2_sql.Identifier(variables[name]))
        position = match.end()
    parts.append(psycopg2_sql.SQL(statement[position:].replace("%", "%%")))
    return psycopg2_sql.Composed(parts), values


def make_target(params):
    """Return the target the module options describe."""
    if params["target"] == "container":
        return ContainerTarget(params)
    return HostTarget(params)
