import pino, { type DestinationStream, type Logger } from 'pino';

// Logs carry ids, routes and status codes, never personal data: request and response serializers keep only what
// operations need, and redaction removes personal fields that slip into a log call.
export const REDACTED_PATHS = [
  'email', '*.email', 'name', '*.name', 'phone', '*.phone', 'address', '*.address', 'password', '*.password',
  'token', '*.token', 'message', 'body', '*.body', 'headers', '*.headers', 'cookie', '*.cookie',
  'to', '*.to', 'ip', '*.ip', 'remoteAddress', '*.remoteAddress',
];

export type Log = Logger;

export function createLog(level: string, destination?: DestinationStream): Log {
  return pino(
    {
      level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: undefined,
      serializers: {
        err: pino.stdSerializers.err,
        req: (req: { id?: string; method?: string; routeOptions?: { url?: string }; url?: string }) => ({
          id: req.id,
          method: req.method,
          // The route pattern, not the URL: query strings and path segments may carry personal values.
          route: req.routeOptions?.url ?? 'unmatched',
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
    destination,
  );
}
