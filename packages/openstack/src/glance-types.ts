// The image record as Glance v2 returns it: fixed members plus custom properties at the
// same level (Glance keeps custom properties as strings).
export type ImageStatus =
  | 'queued'
  | 'saving'
  | 'uploading'
  | 'importing'
  | 'active'
  | 'deactivated'
  | 'killed'
  | 'deleted'
  | 'pending_delete';

export type Visibility = 'public' | 'private' | 'shared' | 'community';

export interface GlanceImage {
  id: string;
  name: string | null;
  status: ImageStatus;
  visibility: Visibility;
  os_hidden: boolean;
  protected: boolean;
  owner: string | null;
  tags: string[];
  created_at: string;
  updated_at: string;
  size: number | null;
  virtual_size: number | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  disk_format: string | null;
  container_format: string | null;
  min_disk: number;
  min_ram: number;
  [property: string]: unknown;
}

/** A custom property's value, when it is a string (as Glance stores them). */
export function imageProperty(image: GlanceImage, name: string): string | undefined {
  const value = image[name];
  return typeof value === 'string' ? value : undefined;
}

export interface NewImage {
  name: string;
  disk_format: string;
  container_format?: string;
  visibility?: Visibility;
  os_hidden?: boolean;
  protected?: boolean;
  min_disk?: number;
  min_ram?: number;
  tags?: string[];
  id?: string;
  /** Custom properties; Glance accepts only strings. */
  properties?: Record<string, string>;
}

export interface ImageFilters {
  /** `all` lists every visibility the caller may see, community included. */
  visibility?: Visibility | 'all';
  /** true: only hidden images; false or absent: Glance's default (hidden ones left out). */
  os_hidden?: boolean;
  /** Images carrying every one of these tags. */
  tags?: readonly string[];
  owner?: string;
  status?: ImageStatus;
  name?: string;
  /** Custom property equality filters, e.g. { imagecycle_series: 'ubuntu-24.04' }. */
  properties?: Record<string, string>;
  /** Page size. */
  limit?: number;
  sort?: string;
}
