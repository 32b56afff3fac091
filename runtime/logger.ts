import { pino, type DestinationStream, type Logger as Pino, type LoggerOptions } from 'pino';
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';

// One logger per process: JSON lines on stdout (pretty only in `npm start`), at LOG_LEVEL, with the
// Temporal runtime's own logs routed through it. Disputes concern vulnerable adults, so fields that
// may hold personal data are redacted by name, and anything shaped like an email address is masked
// wherever it appears in a message.

import type { LogLevelName } from './config';

const personalFields = [
  'email', 'emails', 'name', 'names', 'to', 'from', 'cc', 'by', 'recipient', 'recipients', 'address', 'addresses',
  'summary', 'notes', 'note', 'text', 'reason', 'agreedActions', 'personReference', 'contacts', 'subject', 'body',
];
/** The same names at the top of a log line (where `name` is the process's), one level down and two levels down. */
const redactPaths = personalFields.flatMap((field) => [...(field === 'name' ? [] : [field]), `*.${field}`, `*.*.${field}`]);

const emailAddress = /[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*/g;

/** Masks what looks like an email address: a message may quote one (an SMTP answer, an error). */
export function maskAddresses(text: string): string {
  return text.replace(emailAddress, '[email]');
}

function options(name: string, level: LogLevelName): LoggerOptions {
  return {
    name,
    level,
    redact: { paths: redactPaths, censor: '[redacted]' },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((arg) => (typeof arg === 'string' ? maskAddresses(arg) : arg)) as Parameters<typeof method>);
      },
    },
    serializers: { err: (error: unknown) => serializeError(error) },
  };
}

/**
 * Errors by type and message (addresses masked), never their payloads or stacks of user data: a
 * Temporal failure's `details` (an email batch's progress names who was reached) stay out, and
 * its cause is written the same way.
 */
function serializeError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: maskAddresses(String(error)) };
  const type = (error as { type?: unknown }).type;
  return {
    type: typeof type === 'string' ? type : error.name,
    message: maskAddresses(error.message),
    ...(error.stack ? { stack: maskAddresses(error.stack) } : {}),
    ...(error.cause !== undefined && depth < 3 ? { cause: serializeError(error.cause, depth + 1) } : {}),
  };
}

/**
 * The Temporal runtime's log metadata as it may be written: the SDK puts whole errors in it
 * ("Activity failed" with `error`), which pino would write field by field, and no redaction path
 * reaches an error's details. Errors are serialized, strings masked, nesting cut short.
 */
function safeMeta(value: unknown, depth = 0): unknown {
  if (value instanceof Error) return serializeError(value);
  if (typeof value === 'string') return maskAddresses(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= 4) return '[nested]';
  if (Array.isArray(value)) return value.map((item) => safeMeta(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, safeMeta(field, depth + 1)]));
}

/** JSON lines on stdout (or the stream given). */
export function createLogger(name: string, level: LogLevelName = 'info', destination?: DestinationStream): Pino {
  return destination ? pino(options(name, level), destination) : pino(options(name, level));
}

/**
 * For people at a terminal (`npm start`): the same logger, printed by pino-pretty. pino-pretty is
 * a development dependency, loaded only here, so a production install never needs it.
 */
export async function createPrettyLogger(name: string, level: LogLevelName = 'info'): Promise<Pino> {
  const { default: pretty } = await import('pino-pretty');
  return pino(options(name, level), pretty({ colorize: process.stdout.isTTY ?? false, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss' }));
}

const temporalLevels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** The Temporal SDK's logger interface, writing to pino. */
export class PinoTemporalLogger implements TemporalLogger {
  constructor(private readonly logger: Pino) {}
  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    this.logger[temporalLevels[level] ?? 'info'](safeMeta(meta ?? {}) as LogMetadata, message);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

const coreLevels: Record<LogLevelName, 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'> = {
  fatal: 'ERROR',
  error: 'ERROR',
  warn: 'WARN',
  info: 'INFO',
  debug: 'DEBUG',
  trace: 'TRACE',
  silent: 'ERROR',
};

/**
 * Routes the Temporal runtime's logs (the SDK's, the workflows' and activities', and the native
 * core's, forwarded) through this process's logger. Must run before the first worker or native
 * connection of the process.
 */
export function installTemporalLogging(logger: Pino, level: LogLevelName): void {
  const temporal = logger.child({ component: 'temporal' });
  const core = coreLevels[level];
  Runtime.install({
    logger: new PinoTemporalLogger(temporal),
    telemetryOptions: { logging: { filter: { core: core === 'INFO' ? 'WARN' : core, other: 'ERROR' }, forward: {} } },
  });
}
