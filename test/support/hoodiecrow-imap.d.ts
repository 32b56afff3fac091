// hoodiecrow-imap ships no types: the little of it the tests use.
declare module 'hoodiecrow-imap' {
  interface HoodiecrowOptions {
    plugins?: string[];
    storage?: Record<string, { messages: { raw: string; flags?: string[] }[] }>;
    users?: Record<string, { password: string }>;
  }
  interface HoodiecrowServer {
    listen(port: number, callback: () => void): void;
    close(callback: () => void): void;
  }
  export default function hoodiecrow(options: HoodiecrowOptions): HoodiecrowServer;
}
