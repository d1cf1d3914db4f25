/** The one error a parser throws for bad input: which feed, which document, where, what. */
export class FeedError extends Error {
  override name = 'FeedError';
  readonly feed: string;
  readonly source: string;
  readonly where: string | undefined;

  constructor(feed: string, source: string, message: string, where?: string) {
    super(`${feed} feed ${source}${where ? ` (${where})` : ''}: ${message}`);
    this.feed = feed;
    this.source = source;
    this.where = where;
  }
}
