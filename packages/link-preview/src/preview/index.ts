export { AddressPolicy, nonPublicRange } from './address-policy.js';
export { decodeHtml, detectEncoding } from './charset.js';
export { PreviewError, type PreviewErrorStatus } from './errors.js';
export { extractPreview, MAX_DESCRIPTION_LENGTH, MAX_IMAGE_URL_LENGTH, MAX_TITLE_LENGTH } from './extract.js';
export { createLinkPreviewer, type LinkPreviewer, type LinkPreviewerOptions } from './previewer.js';
export { systemHostLookup, type HostLookup, type ResolvedAddress } from './safe-lookup.js';
export type { LinkPreview } from './types.js';
