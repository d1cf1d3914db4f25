/** The HTTP face: Bull Board behind auth, the API (series, images, events, plan, trigger), /h... */
export const serviceName = 'control-plane';
