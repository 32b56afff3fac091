// The parts of mailauth 4.8 (no bundled types) the reply handler uses.
declare module 'mailauth' {
  export type Resolver = (name: string, rrtype: string) => Promise<unknown>;
  export interface AuthStatus {
    result: string;
    comment?: string;
    aligned?: string | false;
  }
  export interface AuthenticateOptions {
    ip?: string;
    helo?: string;
    sender?: string;
    mta?: string;
    resolver?: Resolver;
    disableArc?: boolean;
    disableBimi?: boolean;
  }
  export interface AuthenticateResult {
    dkim: { headerFrom?: string[]; results?: { signingDomain?: string; status: AuthStatus }[] };
    spf: { domain?: string; status: AuthStatus } | false;
    dmarc: { status: AuthStatus } | false;
  }
  export function authenticate(input: Buffer | string, options: AuthenticateOptions): Promise<AuthenticateResult>;
}

declare module 'mailauth/lib/tools.js' {
  /** DMARC identifier alignment: the entry of `domains` aligned with `fromDomain` (organisational domain unless strict), or false. */
  export function getAlignment(fromDomain: string, domains: string[], strict?: { strict: boolean }): { domain: string } | false;
}
