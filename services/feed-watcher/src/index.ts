/** Checks each series' upstream feed (daily and on demand), picks the newest release by the f... */
export const serviceName = 'feed-watcher';
