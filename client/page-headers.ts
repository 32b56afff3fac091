import type { FastifyReply } from 'fastify';

// The headers every HTML page the service sends carries, the board pages and the email links'
// alike: never cached or sent on as a referrer (a link page's address holds its token), never
// framed (clickjacking), never sniffed as another type, and the page's own content security policy.

export function htmlPage(reply: FastifyReply, status: number, contentSecurityPolicy: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', contentSecurityPolicy)
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff');
}
