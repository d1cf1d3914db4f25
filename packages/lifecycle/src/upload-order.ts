// The order the retention floor counts community images in: newest first by first upload,
// then - Glance's timestamps have one-second resolution - by version (numeric segments as
// numbers), then by id. (The renamer orders by release version instead: which release is
// newest, not which image was uploaded last.)
import { PROPERTY } from '@imagecycle/contracts';
import { type GlanceImage, imageProperty } from '@imagecycle/openstack';

export function newestUploadFirst(a: GlanceImage, b: GlanceImage): number {
  const version = (image: GlanceImage) => imageProperty(image, PROPERTY.version) ?? '';
  return (
    b.created_at.localeCompare(a.created_at) ||
    version(b).localeCompare(version(a), 'en', { numeric: true }) ||
    b.id.localeCompare(a.id)
  );
}
