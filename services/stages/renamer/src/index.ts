export { reconcile, type ReconcileDeps, type ReconcileResult } from './reconcile.ts';
