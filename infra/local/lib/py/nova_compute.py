"""nova-compute with the project's compute driver (imagecycle_fake_compute).

Nova loads its compute driver as `nova.virt.<compute_driver>` and nothing else
(nova/virt/driver.py, load_compute_driver), so a driver kept outside Nova's
tree - like cinder's imagecycle_fake_volume, found through PYTHONPATH - cannot
be named in nova.conf as it stands. This entry point adds this directory to the
nova.virt package's search path, so that
`compute_driver = imagecycle_fake_compute.ConsoleFakeDriver` loads
nova.virt.imagecycle_fake_compute from here, then runs nova-compute as the
console script would.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def extend_nova_virt():
    """Make the modules of this directory importable as nova.virt.<name>."""
    import nova.virt
    if HERE not in nova.virt.__path__:
        nova.virt.__path__.append(HERE)


if __name__ == '__main__':
    sys.argv[0] = 'nova-compute'
    # nova.cmd monkey-patches eventlet on import: it comes first, as in the shim
    from nova.cmd.compute import main
    extend_nova_virt()
    sys.exit(main())
