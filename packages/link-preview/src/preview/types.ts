/** What a preview returns: the public contract of `GET /preview`. */
export interface LinkPreview {
  /** The final URL, after redirects. */
  readonly url: string;
  readonly title: string;
  readonly description?: string;
  /** An absolute http(s) URL; never fetched by this service. */
  readonly image?: string;
}
