import { statSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { ConfigError, describeIssues } from './errors';

export const LogLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevelName = (typeof LogLevels)[number];

// Every setting the product reads from the environment, in one place, parsed once.
const list = z
  .string()
  .default('')
  .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean));
const Env = z.object({
  /** TLS, mTLS, an API key or a TOML profile come through @temporalio/envconfig (runtime/temporal-connection.ts). */
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('disputes'),
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  TEMPORAL_DB_FILE: z.string().min(1).default('.data/temporal.sqlite'),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  TEMPORAL_TEST_SERVER_PATH: z.string().min(1).optional(),
  POLICY_DIR: z.string().min(1).optional(),
  DIRECTORY_FILE: z.string().min(1).optional(),
  HOLIDAYS_FILE: z.string().min(1).optional(),
  BANK_HOLIDAYS_FEED_FILE: z.string().min(1).optional(),
  SMTP_HOST: z.string().min(1).default('127.0.0.1'),
  SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(1025),
  SMTP_SECURE: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
  SMTP_USER: z.string().min(1).optional(),
  SMTP_PASSWORD: z.string().min(1).optional(),
  MAIL_FROM: z.string().min(3).default('Safeguarding disputes <disputes@localhost>'),
  MAIL_DOMAIN: z.string().min(1).default('localhost'),
  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** The key file's content (YAML or JSON); wins over API_KEYS_FILE. */
  API_KEYS: z.string().min(1).optional(),
  API_KEYS_FILE: z.string().min(1).optional(),
  /** Requests a minute each caller may make to the HTTP service (client/api/rate-limits.ts): writes, and everything else. */
  API_WRITES_PER_MINUTE: z.coerce.number().int().min(1).default(120),
  API_READS_PER_MINUTE: z.coerce.number().int().min(1).default(1200),
  /** Callers the HTTP limits remember at once; the least recently seen beyond this are forgotten. */
  API_RATE_LIMIT_CALLERS: z.coerce.number().int().min(100).max(1_000_000).default(10_000),
  /** Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For names the client; nobody else's is believed. */
  API_TRUSTED_PROXIES: list.refine((items) => items.every((item) => isAddressOrRange(item)), 'expected IP addresses or CIDR ranges, comma-separated'),
  /** `npm start` only: accept the demo keys when no keys are configured. */
  API_DEMO_KEYS: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
  /** `npm start` only: run MailDev on SMTP_PORT, with its web inbox on this port (0: no inbox). */
  MAIL_INBOX_WEB_PORT: z.coerce.number().int().min(0).max(65535).default(1080),
  /** Signs reply addresses and links. `npm start` makes one in .data/ when unset. */
  REPLY_SECRET: z.string().min(16, 'expected at least 16 characters').optional(),
  REPLY_LOCAL_PART: z.string().regex(/^[a-z0-9._-]+$/i).default('reply'),
  REPLY_DOMAIN: z.string().min(1).default('localhost'),
  REPLY_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  REPLY_MAX_BYTES: z.coerce.number().int().min(1024).default(256 * 1024),
  /** The API as managers' browsers reach it, for decision links. Default: http://<API_HOST>:<API_PORT>. */
  PUBLIC_URL: z.url().optional(),
  /** authserv-ids whose Authentication-Results (the council's own mail servers) vouch for a reply's sender. */
  REPLY_TRUSTED_AUTHSERV_IDS: list,
  /** SMTP clients (IP addresses) that may hand the inbound server such a verdict: the council's forwarding servers. */
  REPLY_TRUSTED_RELAYS: list,
  INBOUND_SMTP_HOST: z.string().min(1).default('127.0.0.1'),
  INBOUND_SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(2525),
  /** Bounds on the inbound SMTP server (client/replies/smtp-limits.ts). */
  INBOUND_SMTP_MAX_CLIENTS: z.coerce.number().int().min(1).max(10_000).default(50),
  INBOUND_SMTP_MAX_CLIENTS_PER_ADDRESS: z.coerce.number().int().min(1).max(10_000).default(10),
  INBOUND_SMTP_CONNECTIONS_PER_MINUTE: z.coerce.number().int().min(1).default(60),
  INBOUND_SMTP_MESSAGES_PER_CONNECTION: z.coerce.number().int().min(1).default(20),
  INBOUND_SMTP_MESSAGES_PER_MINUTE: z.coerce.number().int().min(1).default(60),
  /** Seconds a connection may go without beginning a message, and seconds any connection may stay open. */
  INBOUND_SMTP_IDLE_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  INBOUND_SMTP_CONNECTION_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  IMAP_HOST: z.string().min(1).optional(),
  IMAP_PORT: z.coerce.number().int().min(1).max(65535).default(993),
  IMAP_SECURE: z.enum(['true', 'false']).default('true').transform((value) => value === 'true'),
  IMAP_USER: z.string().min(1).optional(),
  IMAP_PASSWORD: z.string().min(1).optional(),
  IMAP_MAILBOX: z.string().min(1).default('INBOX'),
  IMAP_POLL_SECONDS: z.coerce.number().int().min(5).default(30),
  LOG_LEVEL: z.enum(LogLevels).default('info'),
  /** Payload encryption keys, '<id> <base64 key>' per line (runtime/key-ring.ts checks them); or the file holding them. */
  PAYLOAD_KEYS: z.string().min(1).optional(),
  PAYLOAD_KEYS_FILE: z.string().min(1).optional(),
  /** Operator keys for the codec endpoint (client/api/operator-keys.ts); the file's content, or its path. */
  OPERATOR_KEYS: z.string().min(1).optional(),
  OPERATOR_KEYS_FILE: z.string().min(1).optional(),
  /** Web UI origins allowed to call the codec endpoint, comma-separated. Default: the dev server's UI. */
  CODEC_UI_ORIGINS: z.string().min(1).optional(),
  /** The records store on a PostgreSQL server (postgres://…); without it, PGlite in RECORDS_DIR. */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'expected postgres://user:password@host:5432/database' }).optional(),
  RECORDS_DIR: z.string().min(1).default('.data/records'),
  /** `npm start` only: how long its dev server keeps a closed dispute's workflow (the store keeps the record). */
  TEMPORAL_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(7),
});
export type Config = z.infer<typeof Env>;

function isAddressOrRange(item: string): boolean {
  const [address = '', bits, ...rest] = item.split('/');
  const family = isIP(address);
  if (!family || rest.length) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(`Invalid configuration in the environment: ${describeIssues(parsed.error)}`);
  }
  checkPaths(parsed.data);
  return parsed.data;
}

// A folder or file named in the environment that is not there is a setting to fix, not a crash.
const folders = ['POLICY_DIR'] as const;
const files = ['DIRECTORY_FILE', 'HOLIDAYS_FILE', 'BANK_HOLIDAYS_FEED_FILE', 'API_KEYS_FILE'] as const;

function checkPaths(config: Config): void {
  for (const variable of [...folders, ...files]) {
    const path = config[variable];
    if (path === undefined) continue;
    const folder = (folders as readonly string[]).includes(variable);
    let found;
    try {
      found = statSync(path);
    } catch {
      throw new ConfigError(`Invalid configuration in the environment: ${variable}: no ${folder ? 'folder' : 'file'} at ${path}`);
    }
    if (folder !== found.isDirectory()) throw new ConfigError(`Invalid configuration in the environment: ${variable}: ${path} is not a ${folder ? 'folder' : 'file'}`);
  }
}

export function publicUrl(config: Config): string {
  return config.PUBLIC_URL ?? `http://${config.API_HOST === '0.0.0.0' ? '127.0.0.1' : config.API_HOST}:${config.API_PORT}`;
}

/** Reply settings, when a secret is given: decision emails then carry a Reply-To and links. */
export function replySettings(config: Config, secret = config.REPLY_SECRET) {
  if (!secret) return undefined;
  return {
    secret,
    addressing: { localPart: config.REPLY_LOCAL_PART, domain: config.REPLY_DOMAIN },
    linkBase: publicUrl(config),
    ttlDays: config.REPLY_TTL_DAYS,
    maxBytes: config.REPLY_MAX_BYTES,
    auth: { trustedAuthservIds: config.REPLY_TRUSTED_AUTHSERV_IDS, trustedRelays: config.REPLY_TRUSTED_RELAYS },
  };
}

/** The IMAP mailbox to read replies from, when one is configured. */
export function imapSettings(config: Config) {
  if (!config.IMAP_HOST) return undefined;
  if (!config.IMAP_USER || !config.IMAP_PASSWORD) throw new ConfigError('Invalid configuration in the environment: IMAP_USER and IMAP_PASSWORD go with IMAP_HOST');
  return {
    host: config.IMAP_HOST,
    port: config.IMAP_PORT,
    secure: config.IMAP_SECURE,
    user: config.IMAP_USER,
    password: config.IMAP_PASSWORD,
    mailbox: config.IMAP_MAILBOX,
    everyMs: config.IMAP_POLL_SECONDS * 1000,
  };
}

export function mailSettings(config: Config, secret = config.REPLY_SECRET) {
  return {
    decisions: replySettings(config, secret),
    host: config.SMTP_HOST,
    port: config.SMTP_PORT,
    secure: config.SMTP_SECURE,
    user: config.SMTP_USER,
    password: config.SMTP_PASSWORD,
    from: config.MAIL_FROM,
    messageIdDomain: config.MAIL_DOMAIN,
  };
}

/** Where the records store is: the PostgreSQL server, or the embedded PGlite folder. */
export function recordsLocation(config: Config) {
  return config.DATABASE_URL ? { databaseUrl: config.DATABASE_URL } : { dataDir: config.RECORDS_DIR };
}

/** Each caller's allowance at the HTTP service, a minute at a time (client/api/rate-limits.ts). */
export function rateLimits(config: Config) {
  return { writes: config.API_WRITES_PER_MINUTE, reads: config.API_READS_PER_MINUTE, windowMs: 60_000, callers: config.API_RATE_LIMIT_CALLERS };
}

/** The inbound SMTP server's bounds (client/replies/smtp-limits.ts). */
export function inboundSmtpLimits(config: Config) {
  return {
    maxClients: config.INBOUND_SMTP_MAX_CLIENTS,
    maxClientsPerAddress: config.INBOUND_SMTP_MAX_CLIENTS_PER_ADDRESS,
    connectionsPerMinute: config.INBOUND_SMTP_CONNECTIONS_PER_MINUTE,
    messagesPerConnection: config.INBOUND_SMTP_MESSAGES_PER_CONNECTION,
    messagesPerMinute: config.INBOUND_SMTP_MESSAGES_PER_MINUTE,
    windowMs: 60_000,
    idleMs: config.INBOUND_SMTP_IDLE_SECONDS * 1000,
    lifetimeMs: config.INBOUND_SMTP_CONNECTION_SECONDS * 1000,
  };
}
