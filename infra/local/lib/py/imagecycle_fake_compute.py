"""Test-only Nova compute driver.

Nova's own FakeDriver (shipped in python3-nova: servers go ACTIVE at once, no VM
runs) whose guests print a serial console log that depends on the image they
were booted from, so imagecycle's smoke test can tell a guest that booted from
one that did not. Nova stores the image's properties in the instance's system
metadata (image_<property>), which is what get_console_output reads:

- os_type / os_distro `windows`: a Windows boot with cloudbase-init logging to
  COM1, ending in cloudbase-init's "Plugins execution done";
- os_distro `fedora-coreos`: the initramfs' Ignition stages ("Ignition finished
  successfully"), Afterburn and the login prompt's Ignition lines;
- os_distro `flatcar`: the same Ignition lines, Flatcar's coreos-metadata
  (Afterburn) and its login banner;
- any other image: a cloud-init boot ending in cloud-init's final message
  "Cloud-init v. <version> finished at <date>. Datasource <ds>.  Up <s> seconds".

An image with the property `test_guest_boot: fail` never boots: its console
ends in a kernel panic and prints none of the lines above. (The property is not
named imagecycle_*: that prefix is reserved for imagecycle's own properties, so
a catalogue could not set it.) Any other value of it is a mistake in a test; the
console then says so and the guest does not boot either.

Everything else (spawn, delete, resources) is FakeDriver's.
"""
import datetime

from nova import utils
from nova.virt import fake

BOOT_PROPERTY = 'test_guest_boot'

CLOUD_INIT_VERSION = '24.1.3-0ubuntu1~24.04.1'
CLOUDBASE_INIT_VERSION = '1.1.6'
IGNITION_FAMILY = ('fedora-coreos', 'flatcar')


def _image_properties(instance):
    """The image's properties as Nova recorded them at boot (sysmeta image_*)."""
    sysmeta = utils.instance_sys_meta(instance)
    prefix = utils.SM_IMAGE_PROP_PREFIX
    return {key[len(prefix):]: value for key, value in sysmeta.items()
            if key.startswith(prefix) and value is not None}


def _boot_time(instance):
    launched = instance.get('launched_at', None)
    if isinstance(launched, datetime.datetime):
        return launched if launched.tzinfo else launched.replace(
            tzinfo=datetime.timezone.utc)
    return datetime.datetime.now(datetime.timezone.utc)


def _kernel(release, hostname):
    return [
        '[    0.000000] Linux version %s (buildd@lcy02-amd64) '
        '(x86_64-linux-gnu-gcc-13) #1 SMP PREEMPT_DYNAMIC' % release,
        '[    0.000000] Command line: root=LABEL=root ro console=tty1 '
        'console=ttyS0',
        '[    0.000000] DMI: OpenStack Foundation OpenStack Nova, BIOS '
        '1.16.3-debian-1.16.3-2 04/01/2014',
        '[    0.412114] Run /init as init process',
        '[    1.934211] systemd[1]: Hostname set to <%s>.' % hostname,
    ]


def _cloud_init(instance, at, distro):
    hostname = instance.get('hostname', None) or 'localhost'
    stamp = at.strftime('%a, %d %b %Y %H:%M:%S +0000')
    lines = _kernel('6.8.0-45-generic', hostname)
    lines += [
        '[    4.105532] cloud-init[612]: Cloud-init v. %s running '
        "'init-local' at %s. Up 4.05 seconds." % (CLOUD_INIT_VERSION, stamp),
        '[    6.842190] cloud-init[701]: Cloud-init v. %s running '
        "'init' at %s. Up 6.80 seconds." % (CLOUD_INIT_VERSION, stamp),
        '[    6.901337] cloud-init[701]: ci-info: ++++++++++++++++++++++++++'
        '+++++++++++Net device info++++++++++++++++++++++++++++++++++++++',
        '[    9.517004] cloud-init[843]: Cloud-init v. %s running '
        "'modules:config' at %s. Up 9.47 seconds." % (CLOUD_INIT_VERSION,
                                                      stamp),
        '[   10.223718] cloud-init[861]: Cloud-init v. %s running '
        "'modules:final' at %s. Up 10.18 seconds." % (CLOUD_INIT_VERSION,
                                                      stamp),
        '[   10.301542] cloud-init[861]: Cloud-init v. %s finished at %s. '
        'Datasource DataSourceOpenStackLocal [net,ver=2].  Up 10.29 seconds'
        % (CLOUD_INIT_VERSION, stamp),
        '',
        '%s %s ttyS0' % (distro or 'Linux', hostname),
        '',
        '%s login: ' % hostname,
    ]
    return lines


def _ignition(instance, at, distro):
    hostname = instance.get('hostname', None) or 'localhost'
    flatcar = distro == 'flatcar'
    lines = _kernel('6.6.54-flatcar' if flatcar else '6.11.3-200.fc40.x86_64',
                    'localhost')
    for pid, stage in ((623, 'fetch-offline'), (641, 'fetch'),
                       (655, 'kargs'), (668, 'disks'), (681, 'mount'),
                       (702, 'files')):
        if stage == 'fetch':
            lines.append(
                '[    2.%06d] ignition[%d]: GET http://169.254.169.254/'
                'openstack/latest/user_data: attempt #1' % (pid * 1000, pid))
        lines += [
            '[    2.%06d] ignition[%d]: %s: %s passed' % (pid * 1000 + 1, pid,
                                                          stage, stage),
            '[    2.%06d] ignition[%d]: Ignition finished successfully' % (
                pid * 1000 + 2, pid),
        ]
    if flatcar:
        lines += [
            '[    5.310022] coreos-metadata[902]: Fetching http://169.254.169.'
            '254/latest/meta-data/hostname: Attempt #1',
            '[    5.402218] coreos-metadata[902]: Fetch successful',
            '[  OK  ] Finished coreos-metadata.service - Flatcar Metadata '
            'Agent.',
            '',
            'This is %s (Linux x86_64 6.6.54-flatcar) %s' % (
                hostname, at.strftime('%H:%M:%S')),
            'SSH host key: SHA256:6Pq0cUG4vC0xVd1sFmJd2xM1ZsR0n3q9d8h3b1uQe0c '
            '(ED25519)',
            'eth0: 10.0.0.5 fe80::f816:3eff:fe12:3456',
            '',
            '%s login: ' % hostname,
        ]
    else:
        lines += [
            '[    6.118304] afterburn[905]: Fetching http://169.254.169.254/'
            'latest/meta-data/public-keys: Attempt #1',
            '[    6.204711] afterburn[905]: Fetch successful',
            '[  OK  ] Finished afterburn-sshkeys@core.service - Afterburn '
            '(SSH Keys).',
            '',
            'Fedora CoreOS 40.20241019.3.0',
            'Kernel 6.11.3-200.fc40.x86_64 on an x86_64 (ttyS0)',
            '',
            'SSH host key: SHA256:6Pq0cUG4vC0xVd1sFmJd2xM1ZsR0n3q9d8h3b1uQe0c '
            '(ED25519)',
            'ens3: 10.0.0.5 fe80::f816:3eff:fe12:3456',
            'Ignition: ran on %s (this boot)' % at.strftime(
                '%Y/%m/%d %H:%M:%S UTC'),
            'Ignition: user-provided config was applied',
            '%s login: ' % hostname,
        ]
    return lines


def _cloudbase_init(instance, at):
    stamp = at.strftime('%Y-%m-%d %H:%M:%S')

    def log(ms, level, module, text):
        return '%s.%03d 1832 %s %s [-] %s' % (stamp, ms, level, module, text)

    return [
        log(101, 'INFO', 'cloudbaseinit.init',
            'Cloudbase-Init version: %s' % CLOUDBASE_INIT_VERSION),
        log(380, 'INFO', 'cloudbaseinit.init',
            'Metadata service loaded: \'HttpService\''),
        log(512, 'INFO', 'cloudbaseinit.init',
            'Executing plugin \'SetHostNamePlugin\''),
        log(733, 'INFO', 'cloudbaseinit.init',
            'Executing plugin \'CreateUserPlugin\''),
        log(948, 'INFO', 'cloudbaseinit.init',
            'Executing plugin \'SetUserPasswordPlugin\''),
        log(990, 'INFO', 'cloudbaseinit.init', 'Plugins execution done'),
    ]


def _panic(reason):
    return _kernel('6.8.0-45-generic', 'localhost')[:4] + [
        '[    1.104512] VFS: Cannot open root device "LABEL=root" or '
        'unknown-block(0,0): error -6',
        '[    1.104977] Please append a correct "root=" boot option; here '
        'are the available partitions:',
        '[    1.105803] Kernel panic - not syncing: VFS: Unable to mount root '
        'fs on unknown-block(0,0)',
        '[    1.106410] ---[ end Kernel panic - not syncing: VFS: Unable to '
        'mount root fs on unknown-block(0,0) ]---',
    ] + ([reason] if reason else [])


def console_for(instance):
    """The console log of a guest booted from the instance's image."""
    props = _image_properties(instance)
    boot = props.get(BOOT_PROPERTY)
    if boot == 'fail':
        return _panic(None)
    if boot is not None:
        return _panic('imagecycle_fake_compute: image property %s=%r is not '
                      'understood (only "fail" is): the guest does not boot'
                      % (BOOT_PROPERTY, boot))
    at = _boot_time(instance)
    distro = props.get('os_distro', '')
    if props.get('os_type') == 'windows' or distro == 'windows':
        return _cloudbase_init(instance, at)
    if distro in IGNITION_FAMILY:
        return _ignition(instance, at, distro)
    return _cloud_init(instance, at, distro)


class ConsoleFakeDriver(fake.FakeDriver):
    """FakeDriver whose console log shows whether the image's guest booted."""

    def get_console_output(self, context, instance):
        return '\n'.join(console_for(instance)) + '\n'
