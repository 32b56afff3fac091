/** The authserv-id `npm start` trusts, from this machine only, when none is configured. */
export const LOCAL_AUTHSERV_ID = 'dispute-reply.localhost';

/**
 * The verdict `dispute reply` stamps on a reply it sends by hand, standing in for the council's mail
 * server: `npm start` trusts it (from this machine only) when no authserv-id is configured; a
 * deployment never does unless told to trust this id.
 */
export function localVerdict(from: string): string {
  return `${LOCAL_AUTHSERV_ID}; dmarc=pass (sent by hand with dispute reply) header.from=${from.slice(from.lastIndexOf('@') + 1).toLowerCase()}`;
}
