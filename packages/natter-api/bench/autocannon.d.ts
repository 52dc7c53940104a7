/** The part of autocannon 8's API the benchmark uses (the package ships no type declarations). */
declare module 'autocannon' {
  namespace autocannon {
    interface Histogram {
      readonly average: number;
      readonly mean: number;
      readonly p50: number;
      readonly p90: number;
      readonly p99: number;
      readonly max: number;
      readonly total: number;
    }
    interface Result {
      readonly requests: Histogram & { readonly sent: number };
      readonly latency: Histogram;
      readonly errors: number;
      readonly timeouts: number;
      readonly non2xx: number;
      readonly statusCodeStats: Readonly<Record<string, { readonly count: number }>>;
    }
    interface Request {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string;
      setupRequest?: (request: Request, context: Record<string, unknown>) => Request;
    }
    interface Options {
      url: string;
      connections?: number;
      duration?: number;
      amount?: number;
      /** Seconds. */
      timeout?: number;
      headers?: Record<string, string>;
      requests?: Request[];
    }
  }
  function autocannon(options: autocannon.Options): Promise<autocannon.Result>;
  export = autocannon;
}
