export { desiredState, type DesiredEntry, type Role } from './desired-state.ts';
export { reconcile, type ReconcileDeps, type ReconcileResult } from './reconcile.ts';
