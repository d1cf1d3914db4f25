"""Decides policy rules offline with the installed services' own policy engines.

usage: /usr/bin/python3 policy_check.py <service> <policy-file or -> <roles> <rule>...

<service> is glance, nova or cinder; their rules and defaults are those of the installed
packages (oslo.policy with each service's registered defaults, deprecated rules included,
as the running API sees them when its conf sets no [oslo_policy] enforce_* options). With a
policy file, its rules replace those defaults. <roles> is a comma-separated list (the
token's roles, implied ones included). Prints one JSON object: rule -> {"own": bool,
"other": bool}, the decision on a target of the caller's own project and of another one.
Nothing is contacted: the stack need not be running, and nothing of it is changed.
"""
import importlib
import json
import os
import sys
import warnings

warnings.simplefilter('ignore')

from oslo_config import cfg  # noqa: E402
from oslo_policy import policy  # noqa: E402

MODULES = {'glance': 'glance.policies', 'nova': 'nova.policies', 'cinder': 'cinder.policies'}


def main(argv):
    if len(argv) < 4 or argv[0] not in MODULES:
        sys.exit(__doc__)
    service, policy_file, roles, rules = argv[0], argv[1], argv[2].split(','), argv[3:]
    conf = cfg.ConfigOpts()
    conf([], project=service)
    if policy_file == '-':
        # a file that does not exist leaves the registered defaults alone
        policy_file = '/nonexistent/policy.yaml'
    else:
        policy_file = os.path.abspath(policy_file)
        if not os.path.isfile(policy_file):
            sys.exit(f'{policy_file}: no such policy file')
    enforcer = policy.Enforcer(conf, policy_file=policy_file)
    enforcer.register_defaults(importlib.import_module(MODULES[service]).list_rules())
    enforcer.load_rules()
    if not policy_file.startswith('/nonexistent/') and enforcer.policy_path != policy_file:
        sys.exit(f'{policy_file}: not loaded')
    known = set(enforcer.registered_rules)
    unknown = [rule for rule in rules if rule not in known]
    if unknown:
        sys.exit(f'{service}: no such rule: {", ".join(unknown)}')
    creds = {'roles': roles, 'project_id': 'own-project', 'user_id': 'caller',
             'is_admin': False, 'system_scope': None, 'domain_id': None}
    own = {'project_id': 'own-project', 'owner': 'own-project', 'user_id': 'caller'}
    other = {'project_id': 'other-project', 'owner': 'other-project', 'user_id': 'someone'}
    json.dump({rule: {'own': bool(enforcer.enforce(rule, own, creds)),
                      'other': bool(enforcer.enforce(rule, other, creds))} for rule in rules},
              sys.stdout)
    print()


if __name__ == '__main__':
    main(sys.argv[1:])
