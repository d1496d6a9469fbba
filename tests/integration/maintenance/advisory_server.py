"""A stand-in for the npm registry's advisory endpoint, run inside the app container on 127.0.0.1.

The registry reachable from this test machine accepts only GET requests, so npm audit's POST to the
advisory endpoint fails there. This server returns published advisories of the fixture's pinned packages
for the bulk advisory request, and small packuments for GET requests, so npm audit produces a full report.
Usage: python3 advisory_server.py PORT
"""

import gzip
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

ADVISORIES = {
    "minimist": [
        {"id": 1179, "url": "https://github.com/advisories/GHSA-vh95-rmgr-6w4m", "title": "Prototype Pollution in minimist",
         "severity": "moderate", "vulnerable_versions": "<0.2.1", "cwe": ["CWE-1321"], "cvss": {"score": 5.6}},
        {"id": 1096466, "url": "https://github.com/advisories/GHSA-xvch-5gv4-984h",
         "title": "Prototype Pollution in minimist", "severity": "critical", "vulnerable_versions": "<0.2.4",
         "cwe": ["CWE-1321"], "cvss": {"score": 9.8}},
    ],
    "lodash": [
        {"id": 1523, "url": "https://github.com/advisories/GHSA-p6mc-m468-83gw", "title": "Prototype Pollution in lodash",
         "severity": "high", "vulnerable_versions": ">=3.7.0 <4.17.19", "cwe": ["CWE-770"], "cvss": {"score": 7.4}},
    ],
}
VERSIONS = {"minimist": ["0.0.8", "0.2.4", "1.2.8"], "lodash": ["4.17.15", "4.17.21"]}


class Handler(BaseHTTPRequestHandler):
    def _send(self, status, document):
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        if not self.path.startswith("/-/npm/v1/security/advisories/bulk"):
            return self._send(404, {"error": "not found"})
        wanted = json.loads(body or b"{}")
        self._send(200, {name: ADVISORIES[name] for name in wanted if name in ADVISORIES})

    def do_GET(self):
        name = self.path.strip("/").replace("%2f", "/")
        if name not in VERSIONS:
            return self._send(404, {"error": "not found"})
        versions = {version: {"name": name, "version": version, "dependencies": {}} for version in VERSIONS[name]}
        self._send(200, {"name": name, "dist-tags": {"latest": VERSIONS[name][-1]}, "versions": versions})

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
