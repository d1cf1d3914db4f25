export { listManagedImages, type ManagedImageQuery } from './managed-images.ts';
export { newestUploadFirst } from './order.ts';
