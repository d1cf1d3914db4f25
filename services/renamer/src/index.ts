/** A reconciler: from a series' managed images it derives the desired names and visibility (n... */
export const serviceName = 'renamer';
