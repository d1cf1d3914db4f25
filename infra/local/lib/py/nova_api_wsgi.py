# WSGI entry for nova-api under uwsgi (the nova-api package that ships
# /usr/bin/nova-api-wsgi is deliberately not installed).
from nova.api.openstack.compute.wsgi import init_application

application = init_application()
