// The contract's input rules, in one place.

export const USERNAME = /^[a-zA-Z][a-zA-Z0-9]{1,29}$/;
export const AUTHOR = /^[a-zA-Z][a-zA-Z0-9]{0,29}$/;
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_SPACE_NAME_LENGTH = 255;
export const MAX_MESSAGE_LENGTH = 1024;
/** Ids in paths: digits that fit a BIGINT. Anything else is an unknown path. */
export const PATH_ID = /^\d{1,18}$/;

export const ALL_SCOPES = ['create_space', 'post_message', 'read_message', 'list_messages', 'delete_message', 'add_member', 'full_access'] as const;
export const DEFAULT_SCOPE = 'create_space post_message read_message list_messages delete_message add_member';
export const ROLES = ['owner', 'moderator', 'member', 'observer'] as const;

/** Length in characters (code points), as a user would count them. */
export function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** PostgreSQL text cannot hold NUL; refusing it here keeps it a 400 rather than a database error. */
export function containsNul(text: string): boolean {
  return text.includes('\u0000');
}
