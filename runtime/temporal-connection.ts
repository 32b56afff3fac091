import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { Config } from './config';
import { ConfigError } from './errors';

/** What both Temporal connections (the client's and the worker's native one) take. */
export interface TemporalConnectOptions {
  address: string;
  tls?: NonNullable<ReturnType<typeof loadClientConnectConfig>['connectionOptions']['tls']>;
  apiKey?: string;
  metadata?: Record<string, string>;
}

/**
 * The connection settings for Temporal, read the way every Temporal tool reads them
 * (@temporalio/envconfig): TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE, TEMPORAL_TLS, the client
 * certificate and key for mTLS (TEMPORAL_TLS_CLIENT_CERT_PATH, …_KEY_PATH, or …_DATA), a private CA
 * (TEMPORAL_TLS_SERVER_CA_CERT_PATH), TEMPORAL_API_KEY (Temporal Cloud), or a profile of a TOML file
 * (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE). Our own settings win for the address and namespace.
 */
export function temporalConnectOptions(config: Config, env: NodeJS.ProcessEnv = process.env): TemporalConnectOptions {
  let loaded;
  try {
    loaded = loadClientConnectConfig({ overrideEnvVars: { ...definedOnly(env), TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE: config.TEMPORAL_NAMESPACE } });
  } catch (error) {
    throw new ConfigError(`Invalid Temporal connection settings (TEMPORAL_TLS*, TEMPORAL_API_KEY, TEMPORAL_CONFIG_FILE): ${error instanceof Error ? error.message : error}`);
  }
  const { tls, apiKey, metadata } = loaded.connectionOptions;
  return {
    address: config.TEMPORAL_ADDRESS,
    ...(tls ? { tls } : {}),
    ...(typeof apiKey === 'string' ? { apiKey } : {}),
    ...(metadata ? { metadata: metadata as Record<string, string> } : {}),
  };
}

/** An empty variable (docker-compose's `${TEMPORAL_TLS:-}`) means unset, not "read the file at ''". */
function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
}
