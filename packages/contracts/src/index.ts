export { MANAGED_TAG, LIFECYCLE_STATES, PROPERTY, type LifecycleState } from './managed-image.ts';
export { latestName, communityName } from './image-names.ts';
