/** Daily, one paged pass over every server and volume of every project; records on each commu... */
export const serviceName = 'usage-checker';
