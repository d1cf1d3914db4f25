// The names users find images by. The Latest name is fixed per series; a community image
// carries the date of its first upload, and a second image of the same series uploaded on
// the same day gets a stable suffix ("#2", "#3" in upload order).

export function latestName(title: string): string {
  return `${title} - Latest`;
}

/** `createdAt` is Glance's created_at of the image (its first upload), an ISO timestamp. */
export function communityName(title: string, createdAt: string, sameDayIndex = 1): string {
  const day = createdAt.slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`not an ISO date: "${createdAt}"`);
  return sameDayIndex > 1 ? `${title} - ${day} #${sameDayIndex}` : `${title} - ${day}`;
}
