import { z } from 'zod';
import { describeIssues } from './errors';

// Every setting the product reads from the environment, in one place, parsed once.
const Env = z.object({
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
  /** `npm start` only: accept the demo keys when no keys are configured. */
  API_DEMO_KEYS: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
  /** `npm start` only: run MailDev on SMTP_PORT, with its web inbox on this port (0: no inbox). */
  MAIL_INBOX_WEB_PORT: z.coerce.number().int().min(0).max(65535).default(1080),
});
export type Config = z.infer<typeof Env>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    throw new Error(`Invalid configuration in the environment: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

export function mailSettings(config: Config) {
  return {
    host: config.SMTP_HOST,
    port: config.SMTP_PORT,
    secure: config.SMTP_SECURE,
    user: config.SMTP_USER,
    password: config.SMTP_PASSWORD,
    from: config.MAIL_FROM,
    messageIdDomain: config.MAIL_DOMAIN,
  };
}
