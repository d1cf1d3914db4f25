"""NOT Neutron: a stand-in on 127.0.0.1:9696.

Nova asks the network service about ports and security groups on every server
show/list/delete. Servers here are booted with "networks": "none", so every
read-only look-up is answered with an empty list; anything else is a 404.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

EMPTY = {'ports': 'ports', 'security-groups': 'security_groups',
         'networks': 'networks', 'extensions': 'extensions',
         'floatingips': 'floatingips', 'subnets': 'subnets',
         'security-group-rules': 'security_group_rules', 'trunks': 'trunks'}
UNLIMITED = {'port': -1, 'network': -1, 'subnet': -1, 'security_group': -1,
             'security_group_rule': -1, 'floatingip': -1, 'router': -1}


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def _send(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        parts = [p for p in urlparse(self.path).path.split('/') if p]
        if not parts:
            return self._send(200, {'versions': [{
                'id': 'v2.0', 'status': 'CURRENT',
                'links': [{'rel': 'self', 'href': 'http://127.0.0.1:9696/v2.0/'}]}]})
        if parts[0] == 'v2.0' and len(parts) == 2:
            kind = parts[1].removesuffix('.json')
            if kind in EMPTY:
                return self._send(200, {EMPTY[kind]: []})
        if parts[0] == 'v2.0' and len(parts) == 3 and parts[1] == 'quotas':
            return self._send(200, {'quota': UNLIMITED})  # pre-2.37 boots check port quota
        return self._send(404, {'NeutronError': {
            'type': 'NotFound', 'detail': '',
            'message': 'not available in the imagecycle test stack'}})

    do_POST = do_PUT = do_DELETE = do_GET

    def log_message(self, fmt, *args):
        sys.stderr.write('%s %s\n' % (self.address_string(), fmt % args))


ThreadingHTTPServer(('127.0.0.1', 9696), Handler).serve_forever()
