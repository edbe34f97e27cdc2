// autocannon ships no types and @types/autocannon is not a dependency: this declares the part the benchmarks and drills use.
declare module 'autocannon' {
  export type Options = {
    url: string;
    method?: 'GET' | 'POST';
    body?: string;
    headers?: Record<string, string>;
    connections?: number;
    /** Seconds. */
    duration?: number;
    /** Seconds per request before it counts as a timeout (and an error). */
    timeout?: number;
    /** A run before the measured one whose results are discarded. */
    warmup?: { connections?: number; duration?: number };
    /** Requests per second across all connections; without it each connection sends as fast as it is answered. */
    overallRate?: number;
    /** A sequence each connection sends in turn, over and over (each overrides the method, body and headers). */
    requests?: Request[];
  };

  /** `setupRequest` changes each request before it is sent (called for every request). */
  export type Request = { method?: 'GET' | 'POST'; path: string; body?: string; headers?: Record<string, string>; setupRequest?: (request: Request) => Request };

  /** Latencies are in milliseconds (whole, from an HDR histogram); requests are per-second samples. */
  export type Histogram = { mean: number; average: number; stddev: number; min: number; max: number; p50: number; p90: number; p99: number };

  export type Result = {
    duration: number;
    requests: Histogram & { total: number; sent: number };
    latency: Histogram;
    /** Connection errors and timeouts. */
    errors: number;
    timeouts: number;
    /** Responses outside 2xx. */
    non2xx: number;
  };

  export type Instance = PromiseLike<Result> & { stop(): void };

  export default function autocannon(options: Options): Instance;
}
