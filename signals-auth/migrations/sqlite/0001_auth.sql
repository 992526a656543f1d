-- signals-auth's tables, SQLite. Uniqueness lives here, in the keys and
-- constraints, so it holds under concurrent flows: an address (its primary
-- key), a username (case-insensitively, through its lowercased key) and a
-- provider account (provider and uid). Keys (confirmation, reset, session)
-- are stored as SHA-256 hashes; times are microseconds since the Unix epoch.

CREATE TABLE auth_user (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT,
    username_key TEXT,
    email TEXT,
    password_hash TEXT,
    CONSTRAINT auth_user_username_unique UNIQUE (username_key)
);

CREATE TABLE auth_email_address (
    email TEXT NOT NULL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES auth_user (id) ON DELETE CASCADE,
    verified BOOLEAN NOT NULL,
    is_primary BOOLEAN NOT NULL
);
CREATE INDEX auth_email_address_user ON auth_email_address (user_id);

CREATE TABLE auth_email_confirmation (
    key_hash TEXT NOT NULL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES auth_user (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    verified BOOLEAN NOT NULL,
    is_primary BOOLEAN NOT NULL,
    created BIGINT NOT NULL,
    sent BIGINT
);
CREATE INDEX auth_email_confirmation_email ON auth_email_confirmation (email);

CREATE TABLE auth_reset_key (
    key_hash TEXT NOT NULL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES auth_user (id) ON DELETE CASCADE,
    created BIGINT NOT NULL
);
CREATE INDEX auth_reset_key_user ON auth_reset_key (user_id);

CREATE TABLE auth_session (
    key_hash TEXT NOT NULL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES auth_user (id) ON DELETE CASCADE
);
CREATE INDEX auth_session_user ON auth_session (user_id);

CREATE TABLE auth_social_account (
    provider TEXT NOT NULL,
    uid TEXT NOT NULL,
    user_id INTEGER REFERENCES auth_user (id) ON DELETE CASCADE,
    last_login BIGINT,
    date_joined BIGINT,
    PRIMARY KEY (provider, uid)
);
CREATE INDEX auth_social_account_user ON auth_social_account (user_id);

CREATE TABLE auth_social_extra_data (
    provider TEXT NOT NULL,
    uid TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (provider, uid, name),
    FOREIGN KEY (provider, uid) REFERENCES auth_social_account (provider, uid) ON DELETE CASCADE
);

CREATE TABLE auth_social_token (
    provider TEXT NOT NULL,
    uid TEXT NOT NULL,
    token TEXT NOT NULL,
    token_secret TEXT,
    expires_at BIGINT,
    app_provider TEXT,
    app_name TEXT,
    app_client_id TEXT,
    app_secret TEXT,
    app_key TEXT,
    PRIMARY KEY (provider, uid),
    FOREIGN KEY (provider, uid) REFERENCES auth_social_account (provider, uid) ON DELETE CASCADE
);
