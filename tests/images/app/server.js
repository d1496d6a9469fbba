'use strict';
// MirrorBuddy sample app for deploy and rollback tests: Node.js 18, no npm dependencies.
//
// GET /api/health  200 {"status": "ok", "version": ...}, or 503 when the build is unhealthy or stopping
// GET /api/slow    responds after ?ms= milliseconds (at most 30000), to keep a request in flight
// GET /            200 {"app": "mirrorbuddy-app", "version": ...}
//
// On SIGTERM the server stops accepting connections, answers the requests in flight with
// "Connection: close" and exits once the last one is done, or after SHUTDOWN_TIMEOUT_MS.

const http = require('http');

// Read once at start: a running process always reports the version it was started with.
const VERSION = process.env.APP_VERSION || '0.0.0';
const HEALTHY = process.env.APP_HEALTHY !== 'false';
const PORT = Number(process.env.PORT || 3000);
const SHUTDOWN_TIMEOUT_MS = Number(process.env.SHUTDOWN_TIMEOUT_MS || 25000);
const MAX_SLOW_MS = 30000;
const STARTED_AT = new Date().toISOString();

let stopping = false;
let inFlight = 0;

function sendJson(response, statusCode, body) {
  const payload = JSON.stringify(body);
  response.writeHead(statusCode, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(payload),
  });
  response.end(payload);
}

function health() {
  if (stopping) {
    return [503, { status: 'stopping', version: VERSION, started_at: STARTED_AT }];
  }
  if (!HEALTHY) {
    return [503, { status: 'error', version: VERSION, started_at: STARTED_AT, error: 'this build is unhealthy' }];
  }
  return [200, { status: 'ok', version: VERSION, started_at: STARTED_AT }];
}

const server = http.createServer((request, response) => {
  inFlight += 1;
  response.on('close', () => {
    inFlight -= 1;
  });
  if (stopping) {
    response.setHeader('Connection', 'close');
  }

  const url = new URL(request.url, 'http://localhost');
  if (url.pathname === '/api/health') {
    const [statusCode, body] = health();
    sendJson(response, statusCode, body);
  } else if (url.pathname === '/api/slow') {
    const delay = Math.min(Math.max(Number(url.searchParams.get('ms')) || 1000, 0), MAX_SLOW_MS);
    setTimeout(() => sendJson(response, 200, { version: VERSION, waited_ms: delay }), delay);
  } else if (url.pathname === '/') {
    sendJson(response, 200, { app: 'mirrorbuddy-app', version: VERSION });
  } else {
    sendJson(response, 404, { error: 'not found', path: url.pathname });
  }
});

server.keepAliveTimeout = 5000;

function shutDown(signal) {
  if (stopping) {
    return;
  }
  stopping = true;
  console.log(`${signal} received: finishing ${inFlight} request(s) in flight, then exiting`);
  server.close(() => {
    console.log('all connections closed, exiting');
    process.exit(0);
  });
  // Idle keep-alive connections carry no request; closing them lets close() finish.
  server.closeIdleConnections();
  setTimeout(() => {
    console.log(`shutdown timeout of ${SHUTDOWN_TIMEOUT_MS} ms reached with ${inFlight} request(s) open`);
    process.exit(1);
  }, SHUTDOWN_TIMEOUT_MS).unref();
}

process.on('SIGTERM', () => shutDown('SIGTERM'));
process.on('SIGINT', () => shutDown('SIGINT'));

server.listen(PORT, () => {
  console.log(`mirrorbuddy-app ${VERSION} listening on port ${PORT} (healthy: ${HEALTHY})`);
});
