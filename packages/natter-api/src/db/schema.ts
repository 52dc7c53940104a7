/** One forward-only schema change. Applied versions are recorded in `schema_migrations`. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Append only: never edit a migration once it has shipped; add a new one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'natter schema',
    sql: `
      CREATE TABLE users (
        user_id VARCHAR(30) PRIMARY KEY,
        pw_hash VARCHAR(255) NOT NULL
      );
      CREATE SEQUENCE space_id_seq;
      CREATE TABLE spaces (
        space_id BIGINT PRIMARY KEY,
        name VARCHAR(255) NOT NULL UNIQUE,
        owner VARCHAR(30) NOT NULL REFERENCES users(user_id)
      );
      CREATE SEQUENCE msg_id_seq;
      CREATE TABLE messages (
        space_id BIGINT NOT NULL REFERENCES spaces(space_id),
        msg_id BIGINT PRIMARY KEY,
        author VARCHAR(30) NOT NULL,
        msg_time TIMESTAMPTZ NOT NULL DEFAULT now(),
        msg_text VARCHAR(1024) NOT NULL
      );
      CREATE INDEX msg_timestamp_idx ON messages(space_id, msg_time);
      CREATE SEQUENCE audit_id_seq;
      CREATE TABLE audit_log (
        audit_id BIGINT NOT NULL,
        method VARCHAR(16) NOT NULL,
        path VARCHAR(1024) NOT NULL,
        user_id VARCHAR(30),
        status INT,
        audit_time TIMESTAMPTZ NOT NULL DEFAULT now()
      );
      CREATE INDEX audit_time_idx ON audit_log(audit_time);
      CREATE TABLE tokens (
        token_id VARCHAR(64) PRIMARY KEY,
        user_id VARCHAR(30) NOT NULL REFERENCES users(user_id),
        expiry TIMESTAMPTZ NOT NULL,
        attributes JSONB NOT NULL
      );
      CREATE INDEX expired_token_idx ON tokens(expiry);
      CREATE TABLE role_permissions (
        role_id VARCHAR(30) PRIMARY KEY,
        perms VARCHAR(3) NOT NULL
      );
      INSERT INTO role_permissions(role_id, perms)
        VALUES ('owner', 'rwd'), ('moderator', 'rd'), ('member', 'rw'), ('observer', 'r');
      CREATE TABLE user_roles (
        space_id BIGINT NOT NULL REFERENCES spaces(space_id),
        user_id VARCHAR(30) NOT NULL REFERENCES users(user_id),
        role_id VARCHAR(30) NOT NULL REFERENCES role_permissions(role_id),
        PRIMARY KEY (space_id, user_id, role_id)
      );
      CREATE TABLE group_members (
        group_id VARCHAR(30) NOT NULL,
        user_id VARCHAR(30) NOT NULL REFERENCES users(user_id),
        PRIMARY KEY (group_id, user_id)
      );
    `,
  },
  {
    version: 2,
    name: 'audit client address',
    // The address the request came from, as the API resolved it (the edge's X-Forwarded-For only
    // from a trusted proxy). NULL for rows written before this column existed.
    sql: `ALTER TABLE audit_log ADD COLUMN client_address VARCHAR(64);`,
  },
];

/**
 * Exactly what the API role may do (the contract's least-privilege list). Everything else is
 * revoked on every run, so a grant added by hand is taken away again.
 */
export const API_GRANTS: readonly { readonly table: string; readonly privileges: readonly string[] }[] = [
  { table: 'spaces', privileges: ['SELECT', 'INSERT'] },
  { table: 'messages', privileges: ['SELECT', 'INSERT', 'DELETE'] },
  { table: 'users', privileges: ['SELECT', 'INSERT'] },
  { table: 'audit_log', privileges: ['SELECT', 'INSERT'] },
  { table: 'tokens', privileges: ['SELECT', 'INSERT', 'DELETE'] },
  { table: 'group_members', privileges: ['SELECT', 'INSERT', 'DELETE'] },
  { table: 'user_roles', privileges: ['SELECT', 'INSERT', 'DELETE'] },
  { table: 'role_permissions', privileges: ['SELECT'] },
];

/** nextval() needs USAGE on the sequences the API draws ids from. */
export const API_SEQUENCES: readonly string[] = ['space_id_seq', 'msg_id_seq', 'audit_id_seq'];
