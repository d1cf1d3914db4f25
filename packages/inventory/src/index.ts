export { listManagedImages, type ManagedImageQuery } from './managed-images.ts';
