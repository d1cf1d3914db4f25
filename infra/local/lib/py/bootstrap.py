"""Keystone content for the imagecycle test stack; writes clouds.yaml.

usage: /usr/bin/python3 bootstrap.py <stack_dir>
       /usr/bin/python3 bootstrap.py <stack_dir> --role-accounts
       /usr/bin/python3 bootstrap.py <stack_dir> --region-two
       /usr/bin/python3 bootstrap.py <stack_dir> --drop-region-two

Creates the catalog (image, compute, placement, network stand-in, volumev3),
the service users, the project identities and an application credential for
the imagecycle user, then writes <stack_dir>/clouds.yaml and
<stack_dir>/appcred.json.

With --role-accounts it only makes sure the least-privilege accounts exist
(ROLE_ACCOUNTS: their roles, users and role assignments) and that clouds.yaml
has their entries; every other entry of clouds.yaml is kept as it is. That part
is idempotent: it creates what is missing and changes nothing that exists, so
it may run against a stack that is up (it only calls Keystone's API).

With --region-two it makes sure region RegionTwo and its endpoints (REGION_TWO) exist,
and adds to clouds.yaml a copy of every RegionOne cloud named <cloud>-r2 with
region_name RegionTwo; idempotent and additive in the same way. --drop-region-two
deletes RegionTwo's endpoints and the *-r2 clouds again (a stack back to one region).
"""
import json
import os
import sys

import openstack
import yaml

AUTH_URL = 'http://127.0.0.1:5000/v3'
REGION = 'RegionOne'
STACK_DIR = sys.argv[1]

SERVICES = [  # name, type, url
    ('glance', 'image', 'http://127.0.0.1:9292'),
    ('nova', 'compute', 'http://127.0.0.1:8774/v2.1'),
    ('placement', 'placement', 'http://127.0.0.1:8778'),
    ('neutron-stub', 'network', 'http://127.0.0.1:9696'),
    ('cinderv3', 'volumev3', 'http://127.0.0.1:8776/v3/$(project_id)s'),
]
SERVICE_USERS = ['glance', 'nova', 'placement', 'cinder']

# RegionTwo (lib/region2.sh): service type -> url. The services (and their service users)
# are region one's; only the endpoints are new. Its Glance serves the "one Glance per
# region" topology; its Nova and Cinder use RegionOne's Glance (their configs say so).
# The network stand-in is stateless, so both regions use the same one.
REGION_TWO = 'RegionTwo'
REGION_TWO_ENDPOINTS = {
    'image': 'http://127.0.0.1:9293',
    'compute': 'http://127.0.0.1:8784/v2.1',
    'placement': 'http://127.0.0.1:8788',
    'network': 'http://127.0.0.1:9696',
    'volumev3': 'http://127.0.0.1:8786/v3/$(project_id)s',
}
R2_SUFFIX = '-r2'
# cloud name -> (user, password, project, role)
CLOUDS = {
    'imagecycle': ('imagecycle', 'imagecyclepass', 'imagecycle', 'admin'),
    'tenant': ('demo', 'demopass', 'demo', 'member'),
    'tenant2': ('demo2', 'demo2pass', 'demo2', 'member'),
    'admin': ('admin', 'adminpass', 'admin', 'admin'),
}

# The least-privilege accounts, one per kind of work (README, "Least privilege"):
# cloud name -> (user, password, project, roles). Both live in the imagecycle project,
# which owns the managed images.
#   imagecycle-publish  uploader, renamer, reaper (its Glance part), janitor: create,
#                       update, delete the project's images (member) and make them
#                       public (image-manager; Glance's publicize_image and
#                       communitize_image rules name it in templates/glance-policy.yaml)
#   imagecycle-usage    usage-checker, reaper (its re-check): read the project's images
#                       (reader) and every project's servers and volumes (usage-auditor;
#                       the Nova and Cinder policy files in templates/ name it)
# The feed-watcher and the downloader have no account: they never call the cloud.
CUSTOM_ROLES = ['image-manager', 'usage-auditor']
ROLE_ACCOUNTS = {
    'imagecycle-publish': ('imagecycle-publish', 'imagecyclepublishpass', 'imagecycle',
                           ['member', 'image-manager']),
    'imagecycle-usage': ('imagecycle-usage', 'imagecycleusagepass', 'imagecycle',
                         ['reader', 'usage-auditor']),
}


def connect(user, password, project):
    return openstack.connect(
        auth_url=AUTH_URL, username=user, password=password,
        project_name=project, user_domain_name='Default',
        project_domain_name='Default', region_name=REGION,
        identity_api_version='3')


def cloud_entry(user, password, project):
    return {
        'auth_type': 'password',
        'auth': {'auth_url': AUTH_URL, 'username': user, 'password': password,
                 'project_name': project, 'user_domain_name': 'Default',
                 'project_domain_name': 'Default'},
        'region_name': REGION, 'interface': 'public', 'identity_api_version': 3}


def ensure_role_accounts(idn):
    """Creates the custom roles, the ROLE_ACCOUNTS users and their role assignments that
    are missing; returns their clouds.yaml entries. Looks each thing up by name first, so
    a second run changes nothing."""
    roles = {r.name: r for r in idn.roles()}
    for name in CUSTOM_ROLES:
        if name not in roles:
            roles[name] = idn.create_role(name=name)
    entries = {}
    for cloud, (uname, pw, pname, role_names) in ROLE_ACCOUNTS.items():
        project = next(idn.projects(name=pname, domain_id='default'))
        user = next(idn.users(name=uname, domain_id='default'), None)
        if user is None:
            user = idn.create_user(name=uname, password=pw, domain_id='default',
                                   default_project_id=project.id)
        held = {a.role['id'] for a in idn.role_assignments(
            user_id=user.id, scope_project_id=project.id)}
        for role_name in role_names:
            if roles[role_name].id not in held:
                idn.assign_project_role_to_user(project, user, roles[role_name])
        entries[cloud] = cloud_entry(uname, pw, pname)
    return entries


def write_clouds(clouds):
    path = os.path.join(STACK_DIR, 'clouds.yaml')
    with open(path + '.tmp', 'w') as f:
        f.write('# written by infra/local/stack up -- local test stack only\n')
        yaml.safe_dump({'clouds': clouds}, f, default_flow_style=False, sort_keys=False)
    os.replace(path + '.tmp', path)


def read_clouds():
    with open(os.path.join(STACK_DIR, 'clouds.yaml')) as f:
        return (yaml.safe_load(f) or {}).get('clouds') or {}


def region_two():
    """Creates RegionTwo and the REGION_TWO_ENDPOINTS that are missing (one per interface);
    adds the <cloud>-r2 entries to clouds.yaml. Changes nothing that exists."""
    idn = connect('admin', 'adminpass', 'admin').identity
    if REGION_TWO not in {r.id for r in idn.regions()}:
        idn.create_region(id=REGION_TWO, description='imagecycle test stack, region two')
    services = {s.type: s for s in idn.services()}
    have = {(e.service_id, e.interface) for e in idn.endpoints()
            if e.region_id == REGION_TWO}
    made = []
    for typ, url in REGION_TWO_ENDPOINTS.items():
        svc = services[typ]
        for iface in ('public', 'internal', 'admin'):
            if (svc.id, iface) not in have:
                idn.create_endpoint(service_id=svc.id, interface=iface, url=url,
                                    region_id=REGION_TWO)
                made.append('%s/%s' % (typ, iface))
    clouds = read_clouds()
    entries = {name + R2_SUFFIX: {**entry, 'region_name': REGION_TWO}
               for name, entry in clouds.items()
               if entry.get('region_name') == REGION and not name.endswith(R2_SUFFIX)}
    if any(clouds.get(name) != entry for name, entry in entries.items()):
        write_clouds({**clouds, **entries})
    json.dump({'endpoints_created': made, 'clouds': sorted(entries)}, sys.stdout)
    print()


def drop_region_two():
    """Deletes RegionTwo's endpoints and the clouds.yaml entries that name RegionTwo."""
    idn = connect('admin', 'adminpass', 'admin').identity
    gone = 0
    for e in list(idn.endpoints()):
        if e.region_id == REGION_TWO:
            idn.delete_endpoint(e)
            gone += 1
    clouds = read_clouds()
    kept = {n: c for n, c in clouds.items() if c.get('region_name') != REGION_TWO}
    if kept != clouds:
        write_clouds(kept)
    json.dump({'endpoints_deleted': gone, 'clouds_removed': sorted(set(clouds) - set(kept))},
              sys.stdout)
    print()


def role_accounts_only():
    idn = connect('admin', 'adminpass', 'admin').identity
    entries = ensure_role_accounts(idn)
    path = os.path.join(STACK_DIR, 'clouds.yaml')
    with open(path) as f:
        clouds = (yaml.safe_load(f) or {}).get('clouds') or {}
    if any(clouds.get(name) != entry for name, entry in entries.items()):
        write_clouds({**clouds, **entries})
    json.dump({'role_accounts': sorted(entries)}, sys.stdout)
    print()


def main():
    idn = connect('admin', 'adminpass', 'admin').identity
    for name, typ, url in SERVICES:
        svc = idn.create_service(name=name, type=typ)
        for iface in ('public', 'internal', 'admin'):
            idn.create_endpoint(service_id=svc.id, interface=iface, url=url,
                                region_id=REGION)
    # list by name (find_role would first GET /roles/<name> and log a 404 traceback)
    roles = {r.name: r for r in idn.roles() if r.name in ('admin', 'member')}
    # the role service tokens carry: Cinder lets only a request with a service token delete
    # an attachment Nova uses (detaching the volume of a deleted boot-from-volume server)
    roles['service'] = idn.create_role(name='service')
    service = idn.create_project(name='service', domain_id='default')
    for u in SERVICE_USERS:
        user = idn.create_user(name=u, password=u + 'pass', domain_id='default')
        idn.assign_project_role_to_user(service, user, roles['admin'])
        idn.assign_project_role_to_user(service, user, roles['service'])

    ids = {}
    for cloud, (uname, pw, pname, role) in CLOUDS.items():
        if uname == 'admin':  # made by keystone-manage bootstrap
            ids[cloud] = next(idn.projects(name='admin')).id
            continue
        project = idn.create_project(name=pname, domain_id='default',
                                     description='imagecycle test stack')
        user = idn.create_user(name=uname, password=pw, domain_id='default',
                               default_project_id=project.id)
        idn.assign_project_role_to_user(project, user, roles[role])
        ids[cloud] = project.id

    # application credential, created by the imagecycle user for itself
    ic = connect('imagecycle', 'imagecyclepass', 'imagecycle')
    ac = ic.identity.create_application_credential(
        user=ic.current_user_id, name='imagecycle-local', unrestricted=False,
        description='imagecycle test stack')

    common = {'region_name': REGION, 'interface': 'public',
              'identity_api_version': 3}
    clouds = {}
    for cloud, (uname, pw, pname, _role) in CLOUDS.items():
        clouds[cloud] = cloud_entry(uname, pw, pname)
        if cloud == 'imagecycle':
            clouds['imagecycle-appcred'] = {
                'auth_type': 'v3applicationcredential',
                'auth': {'auth_url': AUTH_URL,
                         'application_credential_id': ac.id,
                         'application_credential_secret': ac.secret},
                **common}
    clouds.update(ensure_role_accounts(idn))
    write_clouds(clouds)
    with open(os.path.join(STACK_DIR, 'appcred.json'), 'w') as f:
        json.dump({'id': ac.id, 'secret': ac.secret, 'name': ac.name,
                   'user': 'imagecycle', 'project': 'imagecycle'}, f, indent=2)
    json.dump({'project_ids': ids, 'appcred_id': ac.id}, sys.stdout)
    print()


if __name__ == '__main__':
    if sys.argv[2:] == ['--role-accounts']:
        role_accounts_only()
    elif sys.argv[2:] == ['--region-two']:
        region_two()
    elif sys.argv[2:] == ['--drop-region-two']:
        drop_region_two()
    else:
        main()
