"""Test-only Cinder volume driver.

Cinder's own FakeLoggingVolumeDriver (shipped in python3-cinder) with the data
copies made no-ops, so a volume created from an image becomes 'available'
(carrying volume_image_metadata) without LVM or iSCSI. Everything else in
Cinder (API, scheduler, quotas, DB) is the real thing.
"""
from cinder.tests.fake_driver import FakeLoggingVolumeDriver


class Driver(FakeLoggingVolumeDriver):
    def copy_image_to_volume(self, context, volume, image_service, image_id,
                             **kwargs):
        pass

    def copy_volume_to_image(self, context, volume, image_service, image_meta):
        pass

    def extend_volume(self, volume, new_size):
        pass
