/** Deletes one community image by a guarded protocol: re-check usage, deactivate, settle, re-... */
export const serviceName = 'reaper';
