"""Offline test of the local stack's compute driver (imagecycle_fake_compute).

Runs with /usr/bin/python3 (python3-nova): imports Nova's FakeDriver and the
subclass, boots nothing, and asks get_console_output for real Nova Instance
objects whose system metadata carries image properties the way Nova records
them at boot (utils.get_system_metadata_from_image). Run by
test/infra/fake-compute.test.ts:

    /usr/bin/python3 -m unittest -v test_imagecycle_fake_compute
"""
import datetime
import inspect
import json
import os
import re
import unittest

from nova import objects
from nova import utils
from nova.virt import fake

import imagecycle_fake_compute
import nova_compute

objects.register_all()

# The console-log pattern of each family: the packaged catalogue's
# defaults.smokeTest.consoleLogPatterns when test/infra/fake-compute.test.ts
# passes them (JSON in IMAGECYCLE_CONSOLE_LOG_PATTERNS), else the same text.
PATTERNS = json.loads(os.environ.get('IMAGECYCLE_CONSOLE_LOG_PATTERNS') or '{}')
CLOUD_INIT = re.compile(PATTERNS.get(
    'cloud-init',
    r'Cloud-init v\. \S+ finished at .+\. Datasource \S+.*\.  Up [\d.]+ seconds'))
IGNITION = re.compile(PATTERNS.get(
    'ignition', r'ignition\[\d+\]: (?:INFO +: )?Ignition finished successfully'))
CLOUDBASE_INIT = re.compile(PATTERNS.get(
    'cloudbase-init', r'cloudbaseinit\.init \[-\] Plugins execution done'))
EVERY = (CLOUD_INIT, IGNITION, CLOUDBASE_INIT)

LAUNCHED = datetime.datetime(2026, 12, 5, 6, 30, 0,
                             tzinfo=datetime.timezone.utc)


def instance(properties):
    sysmeta = utils.get_system_metadata_from_image(
        {'properties': properties, 'min_ram': 512, 'min_disk': 8,
         'disk_format': 'qcow2', 'container_format': 'bare'})
    return objects.Instance(
        uuid='6b1a3f2e-8f6c-4d8e-9a49-2f1b7c1e0a11', hostname='smoke-1',
        launched_at=LAUNCHED, system_metadata=sysmeta)


class ConsoleOutputTest(unittest.TestCase):
    def setUp(self):
        self.driver = imagecycle_fake_compute.ConsoleFakeDriver(
            fake.FakeVirtAPI())

    def console(self, properties):
        out = self.driver.get_console_output(None, instance(properties))
        self.assertIsInstance(out, str)
        # nova-compute encodes latin-1 and decodes ascii: nothing else may appear
        out.encode('ascii')
        return out

    def matching(self, out):
        return [p.pattern for p in EVERY if p.search(out)]

    def test_is_novas_fake_driver_with_the_same_signature(self):
        self.assertTrue(issubclass(imagecycle_fake_compute.ConsoleFakeDriver,
                                   fake.FakeDriver))
        self.assertEqual(
            inspect.signature(fake.FakeDriver.get_console_output),
            inspect.signature(
                imagecycle_fake_compute.ConsoleFakeDriver.get_console_output))

    def test_cloud_init_distributions_print_the_final_message(self):
        for distro in ('ubuntu', 'debian', 'centos', 'almalinux', 'rocky'):
            out = self.console({'os_distro': distro, 'os_version': '9'})
            self.assertEqual(self.matching(out), [CLOUD_INIT.pattern], distro)
            self.assertIn(
                'Cloud-init v. %s finished at Sat, 05 Dec 2026 06:30:00 '
                '+0000. Datasource DataSourceOpenStackLocal [net,ver=2].  '
                'Up 10.29 seconds' % imagecycle_fake_compute.CLOUD_INIT_VERSION,
                out)

    def test_ignition_distributions_print_ignition_and_afterburn(self):
        fcos = self.console({'os_distro': 'fedora-coreos'})
        self.assertEqual(self.matching(fcos), [IGNITION.pattern])
        self.assertIn('Afterburn (SSH Keys)', fcos)
        self.assertIn('Ignition: ran on 2026/12/05 06:30:00 UTC (this boot)',
                      fcos)
        flatcar = self.console({'os_distro': 'flatcar'})
        self.assertEqual(self.matching(flatcar), [IGNITION.pattern])
        self.assertIn('Flatcar Metadata Agent', flatcar)

    def test_windows_prints_cloudbase_init(self):
        for props in ({'os_distro': 'windows', 'os_type': 'windows'},
                      {'os_type': 'windows'}):
            out = self.console(props)
            self.assertEqual(self.matching(out), [CLOUDBASE_INIT.pattern])
            self.assertIn('2026-12-05 06:30:00.990 1832 INFO '
                          'cloudbaseinit.init [-] Plugins execution done', out)

    def test_a_guest_told_to_fail_never_boots(self):
        for distro in ('ubuntu', 'fedora-coreos', 'windows'):
            out = self.console({'os_distro': distro,
                                'test_guest_boot': 'fail'})
            self.assertEqual(self.matching(out), [], distro)
            self.assertIn('Kernel panic - not syncing', out)
            self.assertNotIn('is not understood', out)

    def test_an_unknown_boot_value_says_so_and_does_not_boot(self):
        out = self.console({'os_distro': 'ubuntu', 'test_guest_boot': 'slow'})
        self.assertEqual(self.matching(out), [])
        self.assertIn("test_guest_boot='slow' is not understood", out)

    def test_the_tail_nova_returns_still_holds_the_final_line(self):
        # the smoke test asks for the last 200 lines; nova-compute's own tail
        out = self.console({'os_distro': 'debian'}).encode('latin-1')
        manager = type('M', (), {})()
        from nova.compute.manager import ComputeManager
        tail = ComputeManager._tail_log(manager, out, 200).decode('ascii')
        self.assertEqual(self.matching(tail), [CLOUD_INIT.pattern])


class LoadTest(unittest.TestCase):
    """nova.conf's compute_driver value, loaded the way nova-compute does."""

    DRIVER = 'imagecycle_fake_compute.ConsoleFakeDriver'

    def test_nova_compute_py_makes_the_configured_driver_loadable(self):
        from nova.virt import driver
        nova_compute.extend_nova_virt()
        loaded = driver.load_compute_driver(fake.FakeVirtAPI(), self.DRIVER)
        self.assertEqual(type(loaded).__name__, 'ConsoleFakeDriver')
        self.assertEqual(type(loaded).__module__,
                         'nova.virt.imagecycle_fake_compute')
        self.assertIn('Plugins execution done', loaded.get_console_output(
            None, instance({'os_type': 'windows'})))

    def test_the_conf_names_this_driver(self):
        conf = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            '..', '..', 'templates', 'nova.conf')
        with open(conf) as f:
            values = re.findall(r'^compute_driver = (\S+)$', f.read(), re.M)
        self.assertEqual(values, [self.DRIVER])


if __name__ == '__main__':
    unittest.main()
