/** Creates the hidden candidate image in Glance with every property in one request, streams t... */
export const serviceName = 'uploader';
