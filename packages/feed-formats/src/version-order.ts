// Version ordering is part of the shared vocabulary (the renamer and the reaper order by it too).
export { compareVersions, newestFirst } from '@imagecycle/contracts';
